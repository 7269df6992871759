// The share of each region's persons expected to live alone, by sex and single age, in any year:
// the household transitions align to it (docs/model.md, "Household transitions") and the
// synthesis places the base year's one-person households by it (docs/synthesis.md).
#pragma once

#include <array>
#include <vector>

#include "core/types.hpp"
#include "io/config.hpp"
#include "io/inputs.hpp"

namespace popsim::model {

using SharesBySexAge = std::array<std::array<double, core::kAgeClasses>, core::kSexes>;

// Region r's shares in the base year (the synthesis's single-age shape within each group).
SharesBySexAge baseYearShares(const io::LivingAlone& inputs, core::RegionIndex r, double max_share);
// Region r's ratio to the nation's share by sex and single age: the 10-year groups' ratios,
// interpolated linearly in age between their midpoints.
SharesBySexAge regionRatio(const io::LivingAlone& inputs, core::RegionIndex r);

class LivingAloneShares {
 public:
  LivingAloneShares(const io::LivingAlone& inputs, const io::HouseholdParameters& parameters);

  // The nation's share by sex and age `years` after the base year: the base-year logit plus the
  // observed yearly trend, fading with the configured half-life, at most the configured ceiling.
  SharesBySexAge national(int years) const;
  // Region r's share: the nation's times the region's ratio to the nation in its 10-year group,
  // interpolated linearly in age between the groups' midpoints; at most the ceiling.
  SharesBySexAge region(core::RegionIndex r, const SharesBySexAge& national) const;
  // The trend's cumulated years after `years` years: sum over k < years of 0.5^(k / half-life).
  double trendYears(int years) const;

 private:
  const io::LivingAlone& inputs_;
  io::HouseholdParameters parameters_;
  std::vector<SharesBySexAge> ratio_;  // per region: share / national share, by sex and single age
};

}  // namespace popsim::model
