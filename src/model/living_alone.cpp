#include "model/living_alone.hpp"

#include <algorithm>
#include <cmath>

namespace popsim::model {
namespace {

using io::LivingAlone;

// The midpoint age of a 10-year group (the open group 100+ at 100).
double midpoint(int g) { return g == LivingAlone::kGroups - 1 ? 100.0 : 10.0 * g + 4.5; }

}  // namespace

SharesBySexAge regionRatio(const io::LivingAlone& inputs, core::RegionIndex r) {
  SharesBySexAge ratio{};
  for (int s = 0; s < core::kSexes; ++s) {
    std::array<double, LivingAlone::kGroups> group{};
    for (int g = 0; g < LivingAlone::kGroups; ++g) {
      const double nation = inputs.national_group_share[s][g];
      group[g] = nation > 0.0 ? inputs.region_share[r][s][g] / nation : 1.0;
    }
    for (int a = 0; a < core::kAgeClasses; ++a) {
      int g = 0;  // the last group whose midpoint is at or below a (the first below its midpoint)
      while (g + 1 < LivingAlone::kGroups && midpoint(g + 1) <= a) ++g;
      double value = group[g];
      if (a > midpoint(g) && g + 1 < LivingAlone::kGroups) {
        const double w = (a - midpoint(g)) / (midpoint(g + 1) - midpoint(g));
        value = (1.0 - w) * group[g] + w * group[g + 1];
      }
      ratio[s][a] = value;
    }
  }
  return ratio;
}

SharesBySexAge baseYearShares(const io::LivingAlone& inputs, core::RegionIndex r, double max_share) {
  const auto ratio = regionRatio(inputs, r);
  SharesBySexAge out{};
  for (int s = 0; s < core::kSexes; ++s)
    for (int a = 0; a < core::kAgeClasses; ++a) out[s][a] = std::min(inputs.share[s][a] * ratio[s][a], max_share);
  return out;
}

LivingAloneShares::LivingAloneShares(const io::LivingAlone& inputs, const io::HouseholdParameters& parameters)
    : inputs_(inputs), parameters_(parameters), ratio_(inputs.region_share.size()) {
  for (std::size_t r = 0; r < ratio_.size(); ++r) ratio_[r] = regionRatio(inputs, static_cast<core::RegionIndex>(r));
}

double LivingAloneShares::trendYears(int years) const {
  const double h = parameters_.living_alone_trend_half_life_years;
  if (h <= 0.0 || years <= 0) return 0.0;
  const double fade = std::exp2(-1.0 / h);
  return (1.0 - std::pow(fade, years)) / (1.0 - fade);
}

SharesBySexAge LivingAloneShares::national(int years) const {
  const double t = trendYears(years);
  SharesBySexAge out{};
  for (int s = 0; s < core::kSexes; ++s)
    for (int a = 0; a < core::kAgeClasses; ++a) {
      const double p = inputs_.share[s][a];
      if (p <= 0.0) continue;
      const double logit = std::log(p / (1.0 - p)) + inputs_.trend_logit[s][a] * t;
      out[s][a] = std::min(1.0 / (1.0 + std::exp(-logit)), parameters_.living_alone_max_share);
    }
  return out;
}

SharesBySexAge LivingAloneShares::region(core::RegionIndex r, const SharesBySexAge& national) const {
  SharesBySexAge out{};
  for (int s = 0; s < core::kSexes; ++s)
    for (int a = 0; a < core::kAgeClasses; ++a)
      out[s][a] = std::min(national[s][a] * ratio_[r][s][a], parameters_.living_alone_max_share);
  return out;
}

}  // namespace popsim::model
