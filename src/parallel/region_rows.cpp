#include "parallel/region_rows.hpp"

#include <algorithm>

namespace popsim::parallel {
namespace {

template <typename T>
std::vector<T> spread(const std::vector<core::RegionIndex>& owned, const std::vector<T>& local, std::size_t regions,
                      std::size_t width) {
  std::vector<T> all(regions * width, T{0});
  for (std::size_t k = 0; k < owned.size(); ++k)
    std::copy_n(local.begin() + static_cast<std::ptrdiff_t>(k * width), width,
                all.begin() + static_cast<std::ptrdiff_t>(owned[k] * width));
  return all;
}

}  // namespace

std::vector<double> allRegionRows(const std::vector<core::RegionIndex>& owned, const std::vector<double>& local,
                                  std::size_t regions, std::size_t width, MPI_Comm comm) {
  auto all = spread(owned, local, regions, width);
  MPI_Allreduce(MPI_IN_PLACE, all.data(), static_cast<int>(all.size()), MPI_DOUBLE, MPI_SUM, comm);
  return all;
}

std::vector<std::int64_t> allRegionRows(const std::vector<core::RegionIndex>& owned,
                                        const std::vector<std::int64_t>& local, std::size_t regions,
                                        std::size_t width, MPI_Comm comm) {
  auto all = spread(owned, local, regions, width);
  MPI_Allreduce(MPI_IN_PLACE, all.data(), static_cast<int>(all.size()), MPI_INT64_T, MPI_SUM, comm);
  return all;
}

}  // namespace popsim::parallel
