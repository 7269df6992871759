// Assigns whole regions to MPI ranks, balanced by work (persons).
#pragma once

#include <cstdint>
#include <vector>

#include "core/types.hpp"

namespace popsim::parallel {

// Longest-processing-time greedy: regions in descending order of work (ties by index) go to
// the rank with the least work so far (ties to the lowest rank). Deterministic; within 4/3 of
// the optimal makespan. Returns the owning rank of every region.
std::vector<int> assignRegions(const std::vector<std::uint64_t>& work, int ranks);

// Load balancing by moving whole regions. When imbalance(work, owner) exceeds `threshold`,
// returns a new owner vector that moves as few regions as it can: repeatedly the largest region
// of the most loaded rank that fits within half the gap to the least loaded rank goes there
// (ties: lowest rank, lowest region index), until the imbalance is within the threshold or no
// move helps. Deterministic: every rank computes the same answer from the same inputs. Returns
// `owner` unchanged when it is already balanced.
std::vector<int> rebalance(const std::vector<std::uint64_t>& work, const std::vector<int>& owner, int ranks,
                           double threshold);

// The regions owned by `rank`, ascending.
std::vector<core::RegionIndex> ownedRegions(const std::vector<int>& owner, int rank);

// max rank work / mean rank work (1 = perfect balance).
double imbalance(const std::vector<std::uint64_t>& work, const std::vector<int>& owner, int ranks);

}  // namespace popsim::parallel
