#include "model/migration.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace popsim::model {
namespace {

// Great-circle distance in km between two centroids.
double distanceKm(const core::Region& a, const core::Region& b) {
  constexpr double kEarthRadiusKm = 6371.0;
  const double rad = std::numbers::pi / 180.0;
  const double dlat = (b.centroid_lat - a.centroid_lat) * rad;
  const double dlon = (b.centroid_lon - a.centroid_lon) * rad;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(a.centroid_lat * rad) * std::cos(b.centroid_lat * rad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2.0 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(h)));
}

}  // namespace

Destinations::Destinations(const io::CountryInputs& inputs)
    : inputs_(inputs), regions_(inputs.regions.size()), log_distance_(regions_ * regions_, 0.0), cdf_(regions_) {
  const auto& rs = inputs.regions.regions();
  for (std::size_t i = 0; i < regions_; ++i)
    for (std::size_t j = 0; j < regions_; ++j)
      if (i != j) log_distance_[i * regions_ + j] = std::log(std::max(distanceKm(rs[i], rs[j]), 1.0));
  const auto& m = inputs.destinations;
  province_constant_.assign(regions_, {});
  for (std::size_t j = 0; j < regions_; ++j)
    if (const auto c = m.province_constant.find(rs[j].province_code); c != m.province_constant.end())
      province_constant_[j] = c->second;
  for (int a = 0; a < core::kAgeClasses; ++a)
    leave_[static_cast<std::size_t>(a)] = std::min(1.0, inputs.migration.move_rate[a] * inputs.migration.cross_region_share[a] *
                                                            m.cross_region_scale[static_cast<std::size_t>(io::DestinationModel::group(a))]);
}

void Destinations::update(const std::vector<ByGroup>& population,
                          const std::vector<std::array<double, io::DestinationModel::kGroups>>& attractiveness,
                          double region_constant_weight) {
  const auto& m = inputs_.destinations;
  const auto& rs = inputs_.regions.regions();
  for (std::size_t i = 0; i < regions_; ++i)
    for (int g = 0; g < io::DestinationModel::kGroups; ++g) {
      const auto gi = static_cast<std::size_t>(g);
      auto& cdf = cdf_[i][gi];
      cdf.assign(regions_, 0.0);
      double sum = 0.0;
      for (std::size_t j = 0; j < regions_; ++j) {
        if (j != i && population[j][gi] > 0.0) {
          const double v = m.log_population[gi] * std::log(population[j][gi]) + m.log_distance[gi] * log_distance_[i * regions_ + j] +
                           (rs[i].province_code == rs[j].province_code ? m.same_province[gi] : 0.0) +
                           (rs[j].capital_region ? m.capital_region[gi] : 0.0) + province_constant_[j][gi] +
                           region_constant_weight * m.region_constant[j][gi] +
                           (attractiveness.empty() ? 0.0 : attractiveness[j][gi]);
          sum += std::exp(v);
        }
        cdf[j] = sum;
      }
      for (auto& c : cdf) c = sum > 0.0 ? c / sum : 0.0;
    }
}

core::RegionIndex Destinations::draw(core::RegionIndex origin, int age, double u) const {
  const auto& cdf = cdf_[origin][static_cast<std::size_t>(io::DestinationModel::group(std::max(age, 0)))];
  auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
  if (it == cdf.end()) --it;
  auto j = static_cast<std::size_t>(it - cdf.begin());
  if (j == origin) j = j == 0 ? 1 : j - 1;  // only when u falls on the origin's zero-width step
  return static_cast<core::RegionIndex>(j);
}

}  // namespace popsim::model
