// Leaving home and elderly parents joining a child: kernel 4 of the year (kernels/demography.hpp).
#include "kernels/demography.hpp"

#include <algorithm>

#include "kernels/detail.hpp"

namespace popsim::kernels {

using core::Event;
using detail::sexIndex;

void householdTransitions(RegionYear& r, const BySexAge& leave, double elderly_join_child_rate) {
  auto& p = r.p();
  // Unmarried adults living with a parent or guardian (someone at least 15 years older in the
  // household: the mother, a lone father, a grandmother who took them in) may leave.
  for (std::size_t hh = 0; hh + 1 < r.household_start.size(); ++hh) {
    const auto b = r.household_start[hh];
    const auto e = r.household_start[hh + 1];
    if (e - b < 2) continue;
    int oldest = 0;
    for (auto k = b; k < e; ++k)
      if (r.alive(k)) oldest = std::max(oldest, r.ageAtStart(k));
    for (auto i = b; i < e; ++i) {
      const auto g = r.at(i);
      const int a = r.ageAtStart(i);
      if (!r.alive(i) || a < kAdultAge || oldest - a < 15 || p.partner[g] != core::kNoPerson || r.moved[i] ||
          (p.flags[g] & core::kFlagLivesWithChild))
        continue;
      if (r.stream(i, Event::LeaveHome).uniform(0) >= leave[sexIndex(r, i)][core::ageClass(a)]) continue;
      detail::moveWithChildren(r, i, r.newHousehold());
      ++r.left_home;
    }
  }

  // Women 75+ living alone who move to a child: first who moves, then one scan of the region
  // for their adult children (through the children's mother links), the first of each by index.
  std::vector<std::pair<core::PersonId, std::size_t>> movers;  // (id, local index)
  for (std::size_t i = 0; i < r.size(); ++i) {
    const auto g = r.at(i);
    const auto hh = r.household_of[i];
    if (!r.alive(i) || p.sex[g] != core::Sex::Female || r.ageAtStart(i) < 75 ||
        r.household_start[hh + 1] - r.household_start[hh] != 1 || r.moved[i])
      continue;
    if (r.stream(i, Event::ElderlyMove).uniform(0) < elderly_join_child_rate) movers.emplace_back(p.id[g], i);
  }
  if (movers.empty()) return;
  detail::IdTable mover_of(movers.size());
  for (std::size_t m = 0; m < movers.size(); ++m) mover_of.insert(movers[m].first, m);
  std::vector<std::int64_t> child(movers.size(), -1);
  for (std::size_t k = 0; k < r.size(); ++k) {
    const auto mother = p.mother[r.at(k)];
    if (mother == core::kNoPerson || !r.alive(k) || r.ageAtStart(k) < kAdultAge) continue;
    const auto m = mover_of.find(mother);
    if (m >= 0 && child[static_cast<std::size_t>(m)] < 0) child[static_cast<std::size_t>(m)] = static_cast<std::int64_t>(k);
  }
  for (std::size_t m = 0; m < movers.size(); ++m) {
    const auto i = movers[m].second;
    if (child[m] < 0) {
      // No linked child in the region (links exist only for children known at the start): a
      // married woman 25-35 years younger, drawn at random, stands for a child's family.
      const auto s = r.stream(i, Event::ElderlyMove);
      for (std::uint32_t d = 1; d < 2048 && child[m] < 0; ++d) {
        const auto k = static_cast<std::size_t>(s.uniform(d) * static_cast<double>(r.size()));
        const int gap = r.ageAtStart(i) - r.ageAtStart(k);
        if (r.alive(k) && p.sex[r.at(k)] == core::Sex::Female && r.partner[k] >= 0 && gap >= 25 && gap <= 35)
          child[m] = static_cast<std::int64_t>(k);
      }
      if (child[m] < 0) continue;
    }
    r.moveTo(i, p.household[r.at(static_cast<std::size_t>(child[m]))]);
    p.flags[r.at(i)] |= core::kFlagLivesWithChild;
    ++r.elderly_moved;
  }
}

}  // namespace popsim::kernels
