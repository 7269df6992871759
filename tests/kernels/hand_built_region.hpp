// A region built person by person for the kernel tests (tests/kernels/): small enough that a
// kernel's outcome can be worked out by hand.
#pragma once

#include "kernels/demography.hpp"

namespace popsim::kernels::test {

using core::Nationality;
using core::Sex;

// A region built person by person; every person a household of its own unless placed.
class Region {
 public:
  // Adds a person aged `age` at the start of `year` in household `household` (0 = a new one).
  std::size_t add(Sex sex, int age, Nationality n, core::HouseholdId household = 0) {
    auto& p = persons_;
    const auto i = p.size();
    p.id.push_back(static_cast<core::PersonId>(i + 1));
    p.partner.push_back(core::kNoPerson);
    p.mother.push_back(core::kNoPerson);
    p.household.push_back(household ? household : next_household_++);
    p.birth_year.push_back(static_cast<core::Year>(kYear - 1 - age));
    p.region.push_back(0);
    p.sex.push_back(sex);
    p.parity.push_back(0);
    p.flags.push_back(core::withNationality(core::kFlagNone, n));
    return i;
  }
  // Records `mother` as the mother of `child` (living with her if they share a household).
  void motherOf(std::size_t child, std::size_t mother) {
    persons_.mother[child] = persons_.id[mother];
    if (persons_.household[child] == persons_.household[mother]) persons_.flags[child] |= core::kFlagLivesWithMother;
  }
  void marry(std::size_t wife, std::size_t husband) {
    persons_.partner[wife] = persons_.id[husband];
    persons_.partner[husband] = persons_.id[wife];
    persons_.household[husband] = persons_.household[wife];
  }
  RegionYear& year() {
    year_.persons = &persons_;
    year_.begin = 0;
    year_.end = persons_.size();
    year_.region = 0;
    year_.region_code = 1;
    year_.year = kYear;
    year_.seed = 7;
    year_.index();
    return year_;
  }
  core::Persons& persons() { return persons_; }

  static constexpr int kYear = 2030;

 private:
  core::Persons persons_;
  RegionYear year_;
  core::HouseholdId next_household_ = 1000;
};

// Every age and sex at the same probability.
inline BySexAge flat(double p) {
  BySexAge rates;
  for (auto& by_age : rates) by_age.fill(p);
  return rates;
}

}  // namespace popsim::kernels::test
