// Minors left without an adult: kernel 7 of the year (kernels/demography.hpp).
#include "kernels/demography.hpp"

#include <algorithm>

#include "kernels/detail.hpp"

namespace popsim::kernels {

using core::Event;

namespace {

// The household of a woman of the region aged 35-75 other than h, drawn with `s`; failing that
// (a tiny sample), of any adult of the region, the first after a random start; 0 if the region
// has no adult outside h.
core::HouseholdId randomHost(const RegionYear& r, const core::Stream& s, core::HouseholdId h) {
  const auto& p = r.p();
  for (std::uint32_t draw = 0; draw < 4096; ++draw) {
    const auto k = static_cast<std::size_t>(s.uniform(draw) * static_cast<double>(r.size()));
    const int a = r.ageAtStart(k) + 1;
    if (r.alive(k) && p.sex[r.at(k)] == core::Sex::Female && a >= 35 && a <= 75 && p.household[r.at(k)] != h)
      return p.household[r.at(k)];
  }
  const auto start = static_cast<std::size_t>(s.uniform(4096) * static_cast<double>(r.size()));
  for (std::size_t n = 0; n < r.size(); ++n) {
    const auto k = (start + n) % r.size();
    if (r.alive(k) && r.ageAtStart(k) + 1 >= kAdultAge && p.household[r.at(k)] != h) return p.household[r.at(k)];
  }
  return 0;
}

void placeNewHouseholdOrphans(RegionYear& r) {
  auto& p = r.p();
  if (r.new_households == 0) return;
  std::vector<std::uint8_t> adult(r.new_households, 0);
  std::vector<std::int64_t> first_minor(r.new_households, -1);
  for (const auto& im : r.immigrants)
    if (isNewHousehold(im.household) && im.age >= kAdultAge) adult[im.household & ~kNewHousehold] = 1;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const auto h = p.household[r.at(i)];
    if (!r.alive(i) || !r.moved[i] || !isNewHousehold(h)) continue;
    const auto n = h & ~kNewHousehold;
    if (r.ageAtStart(i) + 1 >= kAdultAge) adult[n] = 1;
    else if (first_minor[n] < 0) first_minor[n] = static_cast<std::int64_t>(i);
  }
  for (std::uint32_t n = 0; n < r.new_households; ++n) {
    if (adult[n] || first_minor[n] < 0) continue;
    const core::HouseholdId h = kNewHousehold | n;
    const auto target = randomHost(r, r.stream(static_cast<std::size_t>(first_minor[n]), Event::OrphanHost), h);
    if (target == 0) continue;
    for (std::size_t i = static_cast<std::size_t>(first_minor[n]); i < r.size(); ++i)
      if (r.alive(i) && p.household[r.at(i)] == h) {
        r.moveTo(i, target);
        p.flags[r.at(i)] &= static_cast<std::uint8_t>(~core::kFlagLivesWithMother);
        ++r.orphans_placed;
      }
  }
}

// Children whose mother died or emigrated no longer live with her.
void unlinkAbsentMothers(RegionYear& r) {
  auto& p = r.p();
  for (std::size_t hh = 0; hh + 1 < r.household_start.size(); ++hh)
    for (auto k = r.household_start[hh]; k < r.household_start[hh + 1]; ++k) {
      const auto g = r.at(k);
      if (!r.alive(k) || !(p.flags[g] & core::kFlagLivesWithMother)) continue;
      bool with_mother = false;
      for (auto m = r.household_start[hh]; m < r.household_start[hh + 1] && !with_mother; ++m)
        with_mother = p.id[r.at(m)] == p.mother[g] && r.alive(m) && p.household[r.at(m)] == p.household[g];
      if (!with_mother) p.flags[g] &= static_cast<std::uint8_t>(~core::kFlagLivesWithMother);
    }
}

// Minors left without an adult in their start-of-year household.
struct Orphans {
  std::size_t household;    // start-of-year household position
  std::size_t first_minor;  // local index
  std::int64_t mother = -1, grandmother = -1;
};

// Orphan groups: start-of-year households whose remaining members are all minors (households
// that gained an adult this year, an elderly parent moving in, still have one).
std::vector<Orphans> orphanGroups(const RegionYear& r) {
  const auto& p = r.p();
  std::vector<core::HouseholdId> gained_adult;
  for (std::size_t i = 0; i < r.size(); ++i)
    if (r.alive(i) && r.moved[i] && !isNewHousehold(p.household[r.at(i)]) && r.ageAtStart(i) + 1 >= kAdultAge)
      gained_adult.push_back(p.household[r.at(i)]);
  std::sort(gained_adult.begin(), gained_adult.end());
  std::vector<Orphans> groups;
  const std::size_t households = r.household_start.size() - 1;
  for (std::size_t hh = 0; hh < households; ++hh) {
    const core::HouseholdId h = r.household_id[hh];
    bool minor = false;
    bool adult = std::binary_search(gained_adult.begin(), gained_adult.end(), h);
    std::size_t first_minor = 0;
    for (auto k = r.household_start[hh]; k < r.household_start[hh + 1] && !adult; ++k) {
      if (!r.alive(k) || p.household[r.at(k)] != h) continue;
      if (r.ageAtStart(k) + 1 >= kAdultAge) adult = true;
      else if (!minor) {
        minor = true;
        first_minor = k;
      }
    }
    if (!adult && minor) groups.push_back({hh, first_minor});
  }
  return groups;
}

// The groups' mothers and grandmothers. A minor's mother is looked for first in the minor's
// start-of-year household (where she usually lived); the others, and the mothers' mothers, by
// one scan of the region for all of them; only the mothers found by that scan need a second
// scan for their own mothers.
void locateGrandmothers(const RegionYear& r, std::vector<Orphans>& groups) {
  const auto& p = r.p();
  enum Slot : std::size_t { kMother = 0, kGrandmother = 1 };
  // (id, group x 2 + slot), sorted: the persons one scan looks for.
  auto scan = [&](std::vector<std::pair<core::PersonId, std::size_t>>& wanted) {
    if (wanted.empty()) return;
    std::sort(wanted.begin(), wanted.end());
    detail::IdTable first(wanted.size());  // id -> first position in `wanted`
    for (std::size_t w = wanted.size(); w-- > 0;) first.insert(wanted[w].first, w);
    for (std::size_t k = 0; k < r.size(); ++k) {
      const auto id = p.id[r.at(k)];
      const auto w0 = first.find(id);
      if (w0 < 0) continue;
      for (auto w = static_cast<std::size_t>(w0); w < wanted.size() && wanted[w].first == id; ++w)
        (wanted[w].second % 2 == kMother ? groups[wanted[w].second / 2].mother : groups[wanted[w].second / 2].grandmother) =
            static_cast<std::int64_t>(k);
    }
  };
  auto motherOf = [&](std::int64_t k) { return p.mother[r.at(static_cast<std::size_t>(k))]; };
  std::vector<std::pair<core::PersonId, std::size_t>> wanted;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    auto& o = groups[g];
    const auto mother = motherOf(static_cast<std::int64_t>(o.first_minor));
    if (mother == core::kNoPerson) continue;
    for (auto k = r.household_start[o.household]; k < r.household_start[o.household + 1] && o.mother < 0; ++k)
      if (p.id[r.at(k)] == mother) o.mother = k;
    if (o.mother < 0) wanted.emplace_back(mother, 2 * g + kMother);
    else if (const auto grandmother = motherOf(o.mother); grandmother != core::kNoPerson)
      wanted.emplace_back(grandmother, 2 * g + kGrandmother);
  }
  scan(wanted);
  // Mothers found by the scan: their own mothers.
  std::vector<std::pair<core::PersonId, std::size_t>> again;
  for (const auto& [id, slot] : wanted)
    if (slot % 2 == kMother && groups[slot / 2].mother >= 0)
      if (const auto grandmother = motherOf(groups[slot / 2].mother); grandmother != core::kNoPerson)
        again.emplace_back(grandmother, slot - kMother + kGrandmother);
  scan(again);
}

}  // namespace

void placeOrphans(RegionYear& r) {
  auto& p = r.p();
  unlinkAbsentMothers(r);
  auto groups = orphanGroups(r);
  // Households created this year left without an adult (a mother who moved out with her
  // children and then emigrated) are placed by a separate pass.
  placeNewHouseholdOrphans(r);
  if (groups.empty()) return;
  locateGrandmothers(r, groups);
  for (const auto& o : groups) {
    const core::HouseholdId h = r.household_id[o.household];
    std::int64_t host = -1;
    if (o.grandmother >= 0 && r.alive(static_cast<std::size_t>(o.grandmother)) &&
        p.household[r.at(static_cast<std::size_t>(o.grandmother))] != h)
      host = o.grandmother;
    // Otherwise a woman of the region aged 35-75, drawn at random.
    const auto target = host >= 0 ? p.household[r.at(static_cast<std::size_t>(host))]
                                  : randomHost(r, r.stream(o.first_minor, Event::OrphanHost), h);
    if (target == 0) continue;  // no possible host: the minors stay (the yearly check reports it)
    for (auto k = r.household_start[o.household]; k < r.household_start[o.household + 1]; ++k)
      if (r.alive(k) && p.household[r.at(k)] == h) {
        r.moveTo(k, target);
        p.flags[r.at(k)] &= static_cast<std::uint8_t>(~core::kFlagLivesWithMother);
        ++r.orphans_placed;
      }
  }
}

}  // namespace popsim::kernels
