// Household transitions: living alone and living with others, aligned to the year's living-alone
// shares. Kernel 4 of the year (kernels/demography.hpp).
#include "kernels/demography.hpp"

#include <algorithm>

#include "kernels/detail.hpp"

namespace popsim::kernels {

using core::Event;
using detail::sexIndex;

namespace {

constexpr int kGroupYears = 5;
constexpr int kGroups = core::kOpenAge / kGroupYears + 1;  // start ages 0-4, ..., 95-99, 100+
constexpr std::uint32_t kHostTries = 2048;

// Households as they stand after the year's earlier events (deaths, births, unions): a key per
// household (start households by their position, this year's new households after them) and its
// members: the living persons and the year's newborns, who join their mother's household.
class CurrentHouseholds {
 public:
  explicit CurrentHouseholds(const RegionYear& r) : r_(r) {
    const auto start = r.household_id.size();
    members_.assign(start + r.new_households, 0);
    adults_.assign(members_.size(), 0);
    key_.resize(r.size());
    for (std::size_t i = 0; i < r.size(); ++i) {
      key_[i] = keyOf(r.p().household[r.at(i)], i);
      if (!r.alive(i)) continue;
      ++members_[key_[i]];
      adults_[key_[i]] += r.ageAtStart(i) + 1 >= kAdultAge;
    }
    for (const auto& b : r.newborns) ++members_[key_[b.mother]];
  }
  std::uint32_t key(std::size_t i) const { return key_[i]; }
  std::uint32_t members(std::size_t i) const { return members_[key_[i]]; }
  std::uint32_t adults(std::size_t i) const { return adults_[key_[i]]; }
  bool alone(std::size_t i) const { return members(i) == 1; }
  // Person i moves from its household to household `h` (a new one, or another person's).
  void move(std::size_t i, core::HouseholdId h, std::size_t local_of_h) {
    --members_[key_[i]];
    adults_[key_[i]] -= r_.ageAtStart(i) + 1 >= kAdultAge;
    if (isNewHousehold(h) && (h & ~kNewHousehold) >= members_.size() - r_.household_id.size()) {
      key_[i] = static_cast<std::uint32_t>(members_.size());
      members_.push_back(0);
      adults_.push_back(0);
    } else {
      key_[i] = key_[local_of_h];
    }
    ++members_[key_[i]];
    adults_[key_[i]] += r_.ageAtStart(i) + 1 >= kAdultAge;
  }

 private:
  std::uint32_t keyOf(core::HouseholdId h, std::size_t i) const {
    if (isNewHousehold(h)) return static_cast<std::uint32_t>(r_.household_id.size() + (h & ~kNewHousehold));
    // Unmoved persons are in their start household; others look theirs up (ids ascend).
    if (!r_.moved[i]) return r_.household_of[i];
    const auto it = std::lower_bound(r_.household_id.begin(), r_.household_id.end(), h);
    return static_cast<std::uint32_t>(it - r_.household_id.begin());
  }
  const RegionYear& r_;
  std::vector<std::uint32_t> key_;
  std::vector<std::uint32_t> members_, adults_;
};

int cellOf(const RegionYear& r, std::size_t i) {
  return sexIndex(r, i) * kGroups + std::min(r.ageAtStart(i), core::kOpenAge) / kGroupYears;
}

// Mothers of co-resident minors: they do not leave their children to live alone.
std::vector<std::uint8_t> mothersOfMinors(const RegionYear& r) {
  const auto& p = r.p();
  std::vector<std::uint8_t> mother(r.size(), 0);
  for (std::size_t h = 0; h + 1 < r.household_start.size(); ++h)
    for (auto k = r.household_start[h]; k < r.household_start[h + 1]; ++k) {
      const auto g = r.at(k);
      if (!r.alive(k) || r.moved[k] || r.ageAtStart(k) + 1 >= kAdultAge || !(p.flags[g] & core::kFlagLivesWithMother))
        continue;
      for (auto j = r.household_start[h]; j < r.household_start[h + 1]; ++j)
        if (p.id[r.at(j)] == p.mother[g]) mother[j] = 1;
    }
  return mother;
}

// The household person i joins on leaving a one-person household: the mother's (a linked mother
// of the region) or an adult child's (children linked to i) if there is one, otherwise a person
// of the region of the generation of i's parents (under 60) or children (60 and over) who lives
// with others, drawn at random. Returns the local index of that person, or -1.
std::int64_t hostFor(const RegionYear& r, const CurrentHouseholds& now, std::size_t i, std::int64_t linked) {
  if (linked >= 0 && !now.alone(static_cast<std::size_t>(linked))) return linked;
  const auto& p = r.p();
  const int age = r.ageAtStart(i);
  const bool elder = age + 1 >= 60;
  const auto s = r.stream(i, Event::ElderlyMove);
  for (std::uint32_t d = 1; d < kHostTries; ++d) {
    const auto k = static_cast<std::size_t>(s.uniform(d) * static_cast<double>(r.size()));
    if (!r.alive(k) || now.alone(k) || r.ageAtStart(k) + 1 < kAdultAge) continue;
    const int gap = elder ? age - r.ageAtStart(k) : r.ageAtStart(k) - age;
    if (gap < 20 || gap > 40) continue;
    if (elder && p.partner[r.at(k)] == core::kNoPerson) continue;  // a child's family: a couple
    return static_cast<std::int64_t>(k);
  }
  return -1;
}

}  // namespace

void householdTransitions(RegionYear& r, const BySexAge& alone_share) {
  auto& p = r.p();
  CurrentHouseholds now(r);
  const auto mothers = mothersOfMinors(r);
  // Who may set up a one-person household: a national adult without a partner who lives with
  // others, is not the mother of co-resident minors and is not the household's only adult.
  auto mayLeave = [&](std::size_t i) {
    return r.alive(i) && r.nationality(i) == core::Nationality::National && r.ageAtStart(i) + 1 >= kAdultAge &&
           p.partner[r.at(i)] == core::kNoPerson && !now.alone(i) && !mothers[i] && now.adults(i) >= 2;
  };
  auto livesAlone = [&](std::size_t i) {
    return r.alive(i) && r.nationality(i) == core::Nationality::National && r.ageAtStart(i) + 1 >= kAdultAge &&
           now.alone(i);
  };

  // Per sex and 5-year group of nationals: the expected persons living alone at the end of the
  // year (each person's share at the age they reach), those living alone now, those who may leave.
  std::array<double, core::kSexes * kGroups> expected{};
  std::array<std::int64_t, core::kSexes * kGroups> alone{}, leavers{};
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (!r.alive(i) || r.nationality(i) != core::Nationality::National || r.ageAtStart(i) + 1 < kAdultAge) continue;
    const auto c = static_cast<std::size_t>(cellOf(r, i));
    expected[c] += alone_share[sexIndex(r, i)][core::ageClass(r.ageAtStart(i) + 1)];
    alone[c] += now.alone(i);
    leavers[c] += mayLeave(i);
  }
  // The gap closes in expectation: by leavers where too few live alone, by persons living alone
  // moving in with others where too many do.
  std::array<double, core::kSexes * kGroups> leave{}, join{};
  for (std::size_t c = 0; c < expected.size(); ++c) {
    const double gap = expected[c] - static_cast<double>(alone[c]);
    if (gap > 0.0 && leavers[c] > 0) leave[c] = std::min(1.0, gap / static_cast<double>(leavers[c]));
    if (gap < 0.0 && alone[c] > 0) join[c] = std::min(1.0, -gap / static_cast<double>(alone[c]));
  }

  // Leaving: to a new one-person household; a household keeps at least one adult.
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (!mayLeave(i)) continue;
    if (r.stream(i, Event::LeaveHome).uniform(0) >= leave[static_cast<std::size_t>(cellOf(r, i))]) continue;
    const auto h = r.newHousehold();
    r.moveTo(i, h);
    p.flags[r.at(i)] &= static_cast<std::uint8_t>(~(core::kFlagLivesWithMother | core::kFlagLivesWithChild));
    now.move(i, h, i);
    ++r.left_home;
  }

  // Joining: first who joins, then one scan of the region for their linked mothers and children.
  std::vector<std::size_t> joiners;
  for (std::size_t i = 0; i < r.size(); ++i)
    if (livesAlone(i) && !r.moved[i] &&
        r.stream(i, Event::ElderlyMove).uniform(0) < join[static_cast<std::size_t>(cellOf(r, i))])
      joiners.push_back(i);
  if (joiners.empty()) return;
  detail::IdTable joiner_of(joiners.size()), mother_of(joiners.size());
  for (std::size_t m = 0; m < joiners.size(); ++m) {
    joiner_of.insert(p.id[r.at(joiners[m])], m);
    if (p.mother[r.at(joiners[m])] != core::kNoPerson) mother_of.insert(p.mother[r.at(joiners[m])], m);
  }
  std::vector<std::int64_t> linked(joiners.size(), -1);
  for (std::size_t k = 0; k < r.size(); ++k) {
    if (!r.alive(k) || r.ageAtStart(k) + 1 < kAdultAge) continue;
    const auto g = r.at(k);
    // k is the mother of a joiner under 60, or an adult child of a joiner aged 60 or more.
    if (const auto m = mother_of.find(p.id[g]); m >= 0 && r.ageAtStart(joiners[static_cast<std::size_t>(m)]) + 1 < 60 &&
                                                 linked[static_cast<std::size_t>(m)] < 0)
      linked[static_cast<std::size_t>(m)] = static_cast<std::int64_t>(k);
    if (p.mother[g] == core::kNoPerson) continue;
    if (const auto m = joiner_of.find(p.mother[g]); m >= 0 && r.ageAtStart(joiners[static_cast<std::size_t>(m)]) + 1 >= 60 &&
                                                     linked[static_cast<std::size_t>(m)] < 0)
      linked[static_cast<std::size_t>(m)] = static_cast<std::int64_t>(k);
  }
  for (std::size_t m = 0; m < joiners.size(); ++m) {
    const auto i = joiners[m];
    const auto host = hostFor(r, now, i, linked[m]);
    if (host < 0) continue;
    const auto k = static_cast<std::size_t>(host);
    const auto h = p.household[r.at(k)];
    r.moveTo(i, h);
    now.move(i, h, k);
    const bool elder = r.ageAtStart(i) + 1 >= 60;
    if (elder) {
      p.flags[r.at(i)] |= core::kFlagLivesWithChild;
      ++r.elderly_moved;
    } else {
      if (p.id[r.at(k)] == p.mother[r.at(i)]) p.flags[r.at(i)] |= core::kFlagLivesWithMother;
      ++r.returned_home;
    }
  }
}

}  // namespace popsim::kernels
