// Household transitions: living alone and living with others, aligned to the year's living-alone
// shares. Kernel 4 of the year (kernels/demography.hpp).
#include "kernels/demography.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/detail.hpp"

namespace popsim::kernels {

using core::Event;
using detail::sexIndex;

namespace {

constexpr int kGroupYears = 5;
constexpr int kGroups = core::kOpenAge / kGroupYears + 1;  // start ages 0-4, ..., 95-99, 100+
constexpr std::uint32_t kHostTries = 2048;
// Between these ages (at the start of the year) nobody is made to stop living alone: the fall of
// the cross-sectional share living alone across them (men: 0.35 at 31-34, 0.20 at 40-49) records
// older cohorts that married more, not persons who stop living alone, so a cohort keeps its level
// there and leaves living alone by marriage, death or a move away (docs/model.md).
constexpr int kStickyFrom = 35;
constexpr int kStickyTo = 75;

// Households as they stand after the year's earlier events (deaths, births, unions): a key per
// household (start households by their position, this year's new households after them) and its
// members: the living persons and the year's newborns, who join their mother's household.
// Its arrays are the calling thread's, kept between regions and years (large regions would
// otherwise fault in fresh pages every year).
class CurrentHouseholds {
 public:
  explicit CurrentHouseholds(const RegionYear& r) : r_(r), key_(pooled_key), members_(pooled_members), adults_(pooled_adults) {
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
  static thread_local std::vector<std::uint32_t> pooled_key, pooled_members, pooled_adults;
  const RegionYear& r_;
  std::vector<std::uint32_t>& key_;
  std::vector<std::uint32_t>& members_;
  std::vector<std::uint32_t>& adults_;
};
thread_local std::vector<std::uint32_t> CurrentHouseholds::pooled_key, CurrentHouseholds::pooled_members,
    CurrentHouseholds::pooled_adults;

int cellOf(const RegionYear& r, std::size_t i) {
  return sexIndex(r, i) * kGroups + std::min(r.ageAtStart(i), core::kOpenAge) / kGroupYears;
}

// Whether woman i is the mother of a co-resident minor (she does not leave her children to live
// alone): her start household, if she is still in it, is searched for a minor who lives with her.
bool motherOfMinor(const RegionYear& r, std::size_t i) {
  const auto& p = r.p();
  if (p.sex[r.at(i)] != core::Sex::Female || r.moved[i]) return false;
  const auto id = p.id[r.at(i)];
  const auto h = r.household_of[i];
  for (auto k = r.household_start[h]; k < r.household_start[h + 1]; ++k) {
    const auto g = r.at(k);
    if (p.mother[g] == id && (p.flags[g] & core::kFlagLivesWithMother) && r.alive(k) && !r.moved[k] &&
        r.ageAtStart(k) + 1 < kAdultAge)
      return true;
  }
  return false;
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

constexpr std::size_t kCells = core::kSexes * kGroups;

// Who moves this year: the leavers and the joiners of every sex x 5-year group of nationals,
// each list in ascending local index.
struct Movers {
  std::vector<std::uint32_t> leaving, joining;
};

// Per group: the expected persons living alone at the end of the year (each person's share at
// the age they reach), who lives alone now and who may leave (an adult without a partner who lives
// with others, is not the mother of co-resident minors and not the household's only adult). The
// gap closes: where too few live alone, that many leavers (rounded without bias, at most all of
// them) are a simple random sample of the group's; where too many do, that many persons living
// alone join others. The samples come from the region's stream: no person needs a draw of their own.
Movers chooseMovers(const RegionYear& r, const CurrentHouseholds& now, const BySexAge& alone_share) {
  const auto& p = r.p();
  std::array<double, kCells> expected{};
  thread_local std::array<std::vector<std::uint32_t>, kCells> alone, leavers;
  for (auto& v : alone) v.clear();
  for (auto& v : leavers) v.clear();
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (!r.alive(i) || r.nationality(i) != core::Nationality::National || r.ageAtStart(i) + 1 < kAdultAge) continue;
    const auto c = static_cast<std::size_t>(cellOf(r, i));
    expected[c] += alone_share[sexIndex(r, i)][core::ageClass(r.ageAtStart(i) + 1)];
    if (now.alone(i))
      alone[c].push_back(static_cast<std::uint32_t>(i));
    else if (p.partner[r.at(i)] == core::kNoPerson && now.adults(i) >= 2 && !motherOfMinor(r, i))
      leavers[c].push_back(static_cast<std::uint32_t>(i));
  }
  const core::Stream rounding(r.seed, core::regionEntity(r.region_code), r.year, Event::LeaveHome);
  const core::Stream sampling(r.seed, core::regionEntity(r.region_code), r.year, Event::ElderlyMove);
  std::uint32_t draw = 0;
  Movers m;
  for (std::size_t c = 0; c < kCells; ++c) {
    double gap = expected[c] - static_cast<double>(alone[c].size());
    const int first_age = static_cast<int>(c % kGroups) * kGroupYears;
    if (gap < 0.0 && first_age >= kStickyFrom && first_age < kStickyTo) gap = 0.0;
    auto& from = gap > 0.0 ? leavers[c] : alone[c];
    const double wanted = std::min(std::abs(gap), static_cast<double>(from.size()));
    const double whole = std::floor(wanted);
    const auto k = static_cast<std::uint32_t>(whole) + (rounding.uniform(static_cast<std::uint32_t>(c)) < wanted - whole ? 1u : 0u);
    detail::sample(from, k, sampling, draw, gap > 0.0 ? m.leaving : m.joining);
  }
  std::sort(m.leaving.begin(), m.leaving.end());
  std::sort(m.joining.begin(), m.joining.end());
  return m;
}

// Each leaver moves to a new one-person household, unless the household would keep no adult.
void leave(RegionYear& r, CurrentHouseholds& now, const std::vector<std::uint32_t>& leaving) {
  auto& p = r.p();
  for (const auto i : leaving) {
    if (now.adults(i) < 2) continue;
    const auto h = r.newHousehold();
    r.moveTo(i, h);
    p.flags[r.at(i)] &= static_cast<std::uint8_t>(~(core::kFlagLivesWithMother | core::kFlagLivesWithChild));
    now.move(i, h, i);
    ++r.left_home;
  }
}

// The joiners' linked relatives, in one scan of the region: for a joiner from 60 an adult child
// (someone whose mother they are), for a younger one their mother; -1 where none lives here.
std::vector<std::int64_t> linkedRelatives(const RegionYear& r, const std::vector<std::uint32_t>& joining) {
  const auto& p = r.p();
  detail::IdTable elder_of(joining.size()), mother_of(joining.size());
  bool elders = false, young = false;
  for (std::size_t m = 0; m < joining.size(); ++m) {
    const auto g = r.at(joining[m]);
    if (r.ageAtStart(joining[m]) + 1 >= 60) {
      elder_of.insert(p.id[g], m);
      elders = true;
    } else if (p.mother[g] != core::kNoPerson) {
      mother_of.insert(p.mother[g], m);
      young = true;
    }
  }
  std::vector<std::int64_t> linked(joining.size(), -1);
  for (std::size_t k = 0; (elders || young) && k < r.size(); ++k) {
    const auto g = r.at(k);
    const bool has_mother = elders && p.mother[g] != core::kNoPerson;
    const bool woman = young && p.sex[g] == core::Sex::Female;
    if (!woman && !has_mother) continue;
    if (!r.alive(k) || r.ageAtStart(k) + 1 < kAdultAge) continue;
    if (woman)
      if (const auto m = mother_of.find(p.id[g]); m >= 0 && linked[static_cast<std::size_t>(m)] < 0)
        linked[static_cast<std::size_t>(m)] = static_cast<std::int64_t>(k);
    if (has_mother)
      if (const auto m = elder_of.find(p.mother[g]); m >= 0 && linked[static_cast<std::size_t>(m)] < 0)
        linked[static_cast<std::size_t>(m)] = static_cast<std::int64_t>(k);
  }
  return linked;
}

// Each joiner moves into the household of their host (hostFor).
void join(RegionYear& r, CurrentHouseholds& now, const std::vector<std::uint32_t>& joining) {
  if (joining.empty()) return;
  auto& p = r.p();
  const auto linked = linkedRelatives(r, joining);
  for (std::size_t m = 0; m < joining.size(); ++m) {
    const auto i = joining[m];
    const auto host = hostFor(r, now, i, linked[m]);
    if (host < 0) continue;
    const auto k = static_cast<std::size_t>(host);
    const auto h = p.household[r.at(k)];
    r.moveTo(i, h);
    now.move(i, h, k);
    if (r.ageAtStart(i) + 1 >= 60) {
      p.flags[r.at(i)] |= core::kFlagLivesWithChild;
      ++r.elderly_moved;
    } else {
      if (p.id[r.at(k)] == p.mother[r.at(i)]) p.flags[r.at(i)] |= core::kFlagLivesWithMother;
      ++r.returned_home;
    }
  }
}

}  // namespace

void householdTransitions(RegionYear& r, const BySexAge& alone_share) {
  CurrentHouseholds now(r);
  const auto movers = chooseMovers(r, now, alone_share);
  leave(r, now, movers.leaving);
  join(r, now, movers.joining);
}

}  // namespace popsim::kernels
