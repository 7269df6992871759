#include "kernels/region_year.hpp"

#include <algorithm>

namespace popsim::kernels {

void RegionYear::index() {
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
  marriages = divorces = left_home = elderly_moved = orphans_placed = 0;

  household_start.clear();
  household_of.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (i == 0 || p.household[at(i)] != p.household[at(i - 1)]) household_start.push_back(static_cast<std::uint32_t>(i));
    household_of[i] = static_cast<std::uint32_t>(household_start.size() - 1);
  }
  household_start.push_back(static_cast<std::uint32_t>(n));
  household_id.resize(household_start.size() - 1);
  for (std::size_t h = 0; h + 1 < household_start.size(); ++h) household_id[h] = p.household[at(household_start[h])];

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
  std::vector<std::uint32_t>().swap(household_start);
  std::vector<core::HouseholdId>().swap(household_id);
  std::vector<std::uint32_t>().swap(household_of);
  std::vector<std::int32_t>().swap(partner);
}

}  // namespace popsim::kernels
