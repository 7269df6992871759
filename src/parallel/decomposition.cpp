#include "parallel/decomposition.hpp"

#include <algorithm>
#include <numeric>
#include <queue>
#include <stdexcept>

namespace popsim::parallel {

std::vector<int> assignRegions(const std::vector<std::uint64_t>& work, int ranks) {
  if (ranks < 1) throw std::invalid_argument("assignRegions: need at least one rank");
  std::vector<std::size_t> order(work.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return work[a] > work[b]; });
  using Load = std::pair<std::uint64_t, int>;  // (work so far, rank): smallest first
  std::priority_queue<Load, std::vector<Load>, std::greater<>> load;
  for (int r = 0; r < ranks; ++r) load.emplace(0, r);
  std::vector<int> owner(work.size(), 0);
  for (const auto region : order) {
    auto [w, r] = load.top();
    load.pop();
    owner[region] = r;
    load.emplace(w + work[region], r);
  }
  return owner;
}

std::vector<int> rebalance(const std::vector<std::uint64_t>& work, const std::vector<int>& owner, int ranks,
                           double threshold) {
  std::vector<int> next = owner;
  std::vector<std::uint64_t> load(static_cast<std::size_t>(ranks), 0);
  for (std::size_t r = 0; r < work.size(); ++r) load[static_cast<std::size_t>(owner[r])] += work[r];
  for (std::size_t moves = 0; moves < work.size() && imbalance(work, next, ranks) > threshold; ++moves) {
    const auto heavy = static_cast<int>(std::max_element(load.begin(), load.end()) - load.begin());
    const auto light = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
    const std::uint64_t gap = load[static_cast<std::size_t>(heavy)] - load[static_cast<std::size_t>(light)];
    // The largest region of the heavy rank that is no more than half the gap: moving it lowers
    // the maximum without making the light rank the new maximum.
    std::size_t best = work.size();
    for (std::size_t r = 0; r < work.size(); ++r)
      if (next[r] == heavy && work[r] > 0 && 2 * work[r] <= gap && (best == work.size() || work[r] > work[best])) best = r;
    if (best == work.size()) break;  // no single move helps
    next[best] = light;
    load[static_cast<std::size_t>(heavy)] -= work[best];
    load[static_cast<std::size_t>(light)] += work[best];
  }
  return next;
}

std::vector<core::RegionIndex> ownedRegions(const std::vector<int>& owner, int rank) {
  std::vector<core::RegionIndex> owned;
  for (std::size_t r = 0; r < owner.size(); ++r)
    if (owner[r] == rank) owned.push_back(static_cast<core::RegionIndex>(r));
  return owned;
}

double imbalance(const std::vector<std::uint64_t>& work, const std::vector<int>& owner, int ranks) {
  std::vector<std::uint64_t> per_rank(static_cast<std::size_t>(ranks), 0);
  for (std::size_t r = 0; r < work.size(); ++r) per_rank[static_cast<std::size_t>(owner[r])] += work[r];
  const double total = static_cast<double>(std::accumulate(per_rank.begin(), per_rank.end(), std::uint64_t{0}));
  if (total == 0.0) return 1.0;
  return static_cast<double>(*std::max_element(per_rank.begin(), per_rank.end())) / (total / ranks);
}

}  // namespace popsim::parallel
