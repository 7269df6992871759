#include "kernels/region_year.hpp"

#include <algorithm>

namespace popsim::kernels {
namespace {

// Capacity of the start-of-year structure, kept per thread between regions and years so that
// large regions do not fault in and zero fresh pages every year. Only capacity is kept: the
// contents are recomputed by index().
thread_local std::vector<std::uint32_t> pooled_start, pooled_of;
thread_local std::vector<core::HouseholdId> pooled_id;
thread_local std::vector<std::int32_t> pooled_partner;
thread_local std::vector<std::array<std::uint32_t, 4>> pooled_draws;

}  // namespace

void RegionYear::index() {
  household_start.swap(pooled_start);
  household_id.swap(pooled_id);
  household_of.swap(pooled_of);
  partner.swap(pooled_partner);
  draws.swap(pooled_draws);
  const std::size_t n = size();
  const auto& p = *persons;
  removed.assign(n, Removal::Stays);
  moved.assign(n, 0);
  newborns.clear();
  immigrants.clear();
  new_households = 0;
  deaths = {};
  births = {};
  emigrants = {};
  national_deaths = national_births = national_emigrants = naturalisations = 0;
  births_to_nationals = {};
  marriages = divorces = left_home = elderly_moved = returned_home = orphans_placed = 0;

  household_start.clear();
  household_of.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (i == 0 || p.household[at(i)] != p.household[at(i - 1)]) household_start.push_back(static_cast<std::uint32_t>(i));
    household_of[i] = static_cast<std::uint32_t>(household_start.size() - 1);
  }
  household_start.push_back(static_cast<std::uint32_t>(n));
  household_id.resize(household_start.size() - 1);
  for (std::size_t h = 0; h + 1 < household_start.size(); ++h) household_id[h] = p.household[at(household_start[h])];

  draws.resize(n);
  for (std::size_t i = 0; i < n; ++i) draws[i] = core::Stream(seed, p.id[at(i)], year, core::Event::PersonYear).words(0);

  // Partners share a household, so a partner is found within the household's range.
  partner.assign(n, -1);
  for (std::size_t i = 0; i < n; ++i) {
    const auto want = p.partner[at(i)];
    if (want == core::kNoPerson) continue;
    const auto h = household_of[i];
    for (std::uint32_t j = household_start[h]; j < household_start[h + 1]; ++j)
      if (p.id[at(j)] == want) {
        partner[i] = static_cast<std::int32_t>(j);
        break;
      }
  }
}

void RegionYear::releaseIndex() {
  household_start.swap(pooled_start);
  household_id.swap(pooled_id);
  household_of.swap(pooled_of);
  partner.swap(pooled_partner);
  draws.swap(pooled_draws);
}

}  // namespace popsim::kernels
