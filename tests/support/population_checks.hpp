// Invariants every population must keep, checked over a whole population held in one process.
#pragma once

#include <gtest/gtest.h>

#include <unordered_map>
#include <unordered_set>

#include "core/population.hpp"

namespace popsim::test {

// Every person in exactly one existing household of their own region, household members
// contiguous, ids unique, partners mutual and in the same household, mothers in the child's
// household when flagged as living with her, 15-49 years older, and no household of minors only.
inline void expectHouseholdInvariants(const core::Population& pop, int year) {
  const auto& p = pop.persons;
  const auto& h = pop.households;
  std::unordered_map<core::HouseholdId, std::size_t> household_index;
  household_index.reserve(h.size());
  for (std::size_t k = 0; k < h.size(); ++k) {
    ASSERT_NE(h.id[k], core::kNoHousehold);
    ASSERT_TRUE(household_index.emplace(h.id[k], k).second) << "household id " << h.id[k] << " twice";
  }
  std::unordered_map<core::PersonId, std::size_t> person_index;
  person_index.reserve(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    ASSERT_NE(p.id[i], core::kNoPerson);
    ASSERT_LT(p.id[i], pop.next_person_id);
    ASSERT_TRUE(person_index.emplace(p.id[i], i).second) << "person id " << p.id[i] << " twice";
  }
  std::vector<std::uint32_t> members(h.size(), 0);
  std::vector<std::uint8_t> has_adult(h.size(), 0);
  std::unordered_set<core::HouseholdId> closed;  // households whose member run has ended
  for (std::size_t i = 0; i < p.size(); ++i) {
    const auto it = household_index.find(p.household[i]);
    ASSERT_NE(it, household_index.end()) << "person " << p.id[i] << " in unknown household " << p.household[i];
    ASSERT_EQ(h.region[it->second], p.region[i]) << "person " << p.id[i] << " lives outside the household's region";
    ++members[it->second];
    if (year - p.birth_year[i] >= 18) has_adult[it->second] = 1;
    if (i > 0 && p.household[i] != p.household[i - 1]) {
      ASSERT_TRUE(closed.insert(p.household[i - 1]).second);
      ASSERT_FALSE(closed.contains(p.household[i])) << "household " << p.household[i] << " is not contiguous";
    }
    if (p.partner[i] != core::kNoPerson) {
      const auto q = person_index.find(p.partner[i]);
      ASSERT_NE(q, person_index.end()) << "partner of " << p.id[i] << " missing";
      ASSERT_EQ(p.partner[q->second], p.id[i]) << "partnership of " << p.id[i] << " is not mutual";
      ASSERT_NE(p.sex[q->second], p.sex[i]);
      ASSERT_EQ(p.household[q->second], p.household[i]) << "spouses of " << p.id[i] << " live apart";
      ASSERT_GE(year - p.birth_year[i], 18);
    }
    if (p.flags[i] & core::kFlagLivesWithMother) {
      ASSERT_NE(p.mother[i], core::kNoPerson);
    }
    if (p.mother[i] != core::kNoPerson) {
      const auto m = person_index.find(p.mother[i]);
      if (m == person_index.end()) {  // she died or emigrated; then the child cannot live with her
        ASSERT_FALSE(p.flags[i] & core::kFlagLivesWithMother) << "mother of " << p.id[i] << " missing";
        continue;
      }
      ASSERT_EQ(p.sex[m->second], core::Sex::Female);
      if (p.flags[i] & core::kFlagLivesWithMother) {
        ASSERT_EQ(p.household[m->second], p.household[i]) << "mother of " << p.id[i] << " lives elsewhere";
      }
      const int gap = p.birth_year[i] - p.birth_year[m->second];
      ASSERT_GE(gap, 15) << "mother of " << p.id[i];
      ASSERT_LE(gap, 49) << "mother of " << p.id[i];
      ASSERT_GE(p.parity[m->second], 1) << "mother of " << p.id[i];
    }
  }
  for (std::size_t k = 0; k < h.size(); ++k) {
    ASSERT_GE(members[k], 1u) << "household " << h.id[k] << " is empty";
    ASSERT_TRUE(has_adult[k]) << "household " << h.id[k] << " has no adult";
  }
}

}  // namespace popsim::test
