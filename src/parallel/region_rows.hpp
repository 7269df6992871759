// Per-region tables known to every rank: each rank fills the rows of the regions it owns and
// receives every region's row. Every element has exactly one contributor, so the sum over
// ranks is exact and the result does not depend on the decomposition; national totals are
// then summed in region order, the same on any number of ranks.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <vector>

#include "core/types.hpp"

namespace popsim::parallel {

// `local` holds `width` values for each owned region, in `owned` order; returns
// regions x width values in region order.
std::vector<double> allRegionRows(const std::vector<core::RegionIndex>& owned, const std::vector<double>& local,
                                  std::size_t regions, std::size_t width, MPI_Comm comm);
std::vector<std::int64_t> allRegionRows(const std::vector<core::RegionIndex>& owned,
                                        const std::vector<std::int64_t>& local, std::size_t regions,
                                        std::size_t width, MPI_Comm comm);

}  // namespace popsim::parallel
