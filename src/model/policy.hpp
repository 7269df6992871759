// The effects of a scenario's interventions on each region in a given year (docs/scenarios.md):
// which regions each intervention selects (its selector, evaluated at the start of the year for
// the extinction-index rule) and the composed effects. Multipliers of several interventions on
// one region multiply; attractiveness changes add. The effects apply on top of the year's
// national rates (after the normalisation to the assumption path), so a fertility multiplier of
// 1.2 raises the selected regions' expected births by 20%.
#pragma once

#include <algorithm>
#include <array>
#include <vector>

#include "core/types.hpp"
#include "io/inputs.hpp"
#include "io/scenario.hpp"

namespace popsim::model {

class Policy {
 public:
  Policy(const io::Scenario& scenario, const core::RegionTable& regions);

  // Selects and composes the effects of `year`; `extinction_index` is every region's index
  // (women 20-39 / persons 65+) at the start of the year.
  void update(int year, const std::vector<double>& extinction_index);

  double fertility(core::RegionIndex r) const { return fertility_[r]; }
  double mortality(core::RegionIndex r) const { return mortality_[r]; }
  // Multiplies the leave probability of a household whose reference person is `age`.
  double outMigration(core::RegionIndex r, int age) const {
    return out_migration_[r][static_cast<std::size_t>(std::clamp(age, 0, core::kAgeClasses - 1))];
  }
  // Added to the destination utility of region r for movers of destination-model age group g.
  const std::vector<std::array<double, io::DestinationModel::kGroups>>& attractiveness() const { return attractiveness_; }
  // Whether intervention k selects region r this year (after update()).
  bool selects(std::size_t k, core::RegionIndex r) const { return selected_[k][r]; }

 private:
  const io::Scenario& scenario_;
  std::vector<std::vector<bool>> static_match_;  // per intervention, per region: the fixed criteria
  std::vector<std::vector<bool>> selected_;      // per intervention, per region: this year
  std::vector<double> fertility_, mortality_;
  std::vector<std::array<double, core::kAgeClasses>> out_migration_;
  std::vector<std::array<double, io::DestinationModel::kGroups>> attractiveness_;
};

// The local extinction index (women aged 20-39 / persons aged 65+; 0 without women, a large
// value without old people) and its class: 0 high risk (< 0.2), 1 risk (0.2-0.5), 2 caution
// (0.5-1.0), 3 normal (1.0-1.5), 4 low risk (>= 1.5).
double extinctionIndex(double women_20_39, double persons_65_plus);
int extinctionClass(double index);

}  // namespace popsim::model
