// Internal migration between regions: who leaves and where they go, from the destination-choice
// model of inputs/korea/migration_model.csv (calibrated by inputs/calibrate_migration.py).
#pragma once

#include <array>
#include <vector>

#include "core/types.hpp"
#include "io/inputs.hpp"

namespace popsim::model {

class Destinations {
 public:
  explicit Destinations(const io::CountryInputs& inputs);

  using ByGroup = std::array<double, io::DestinationModel::kGroups>;
  // Rebuilds the destination distributions for this year's regional populations (persons per
  // region and destination-model age group, the same on every rank: a destination draws movers
  // in proportion to its residents of their age group) and a scenario's attractiveness changes
  // (per region and age group, added to the utility; empty = none). The regions' own destination
  // constants enter with `region_constant_weight` (1 in the first projected year, fading after).
  void update(const std::vector<ByGroup>& population,
              const std::vector<std::array<double, io::DestinationModel::kGroups>>& attractiveness = {},
              double region_constant_weight = 1.0);

  // The yearly probability that a household whose reference person is `age` (completed years at
  // the start of the year) moves to another region.
  double leaveProbability(int age) const { return leave_[static_cast<std::size_t>(core::ageClass(std::max(age, 0)))]; }

  // The destination of such a household from `origin`, for a uniform u in [0, 1).
  core::RegionIndex draw(core::RegionIndex origin, int age, double u) const;

 private:
  const io::CountryInputs& inputs_;
  std::size_t regions_;
  std::vector<double> log_distance_;                           // regions x regions
  std::vector<std::array<double, io::DestinationModel::kGroups>> province_constant_;  // per destination region
  std::array<double, core::kAgeClasses> leave_{};
  std::vector<std::array<std::vector<double>, io::DestinationModel::kGroups>> cdf_;  // [origin][group]
};

}  // namespace popsim::model
