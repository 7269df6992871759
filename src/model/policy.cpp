#include "model/policy.hpp"

#include <algorithm>
#include <limits>

namespace popsim::model {
namespace {

constexpr std::array<std::array<int, 2>, io::DestinationModel::kGroups> kGroupAges = {{{0, 19}, {20, 29}, {30, 39}, {40, 59}, {60, 100}}};

}  // namespace

double extinctionIndex(double women_20_39, double persons_65_plus) {
  if (persons_65_plus <= 0.0) return women_20_39 > 0.0 ? std::numeric_limits<double>::infinity() : 0.0;
  return women_20_39 / persons_65_plus;
}

int extinctionClass(double index) {
  return index < 0.2 ? 0 : index < 0.5 ? 1 : index < 1.0 ? 2 : index < 1.5 ? 3 : 4;
}

Policy::Policy(const io::Scenario& scenario, const core::RegionTable& regions) : scenario_(scenario) {
  const auto n = regions.size();
  for (const auto& iv : scenario.interventions) {
    std::vector<bool> match(n);
    for (std::size_t r = 0; r < n; ++r) match[r] = iv.selector.matchesFixed(regions[static_cast<core::RegionIndex>(r)]);
    static_match_.push_back(std::move(match));
  }
  selected_.assign(scenario.interventions.size(), std::vector<bool>(n, false));
  fertility_.assign(n, 1.0);
  mortality_.assign(n, 1.0);
  std::array<double, core::kAgeClasses> ones;
  ones.fill(1.0);
  out_migration_.assign(n, ones);
  attractiveness_.assign(n, {});
}

void Policy::update(int year, const std::vector<double>& extinction_index) {
  const auto n = fertility_.size();
  std::fill(fertility_.begin(), fertility_.end(), 1.0);
  std::fill(mortality_.begin(), mortality_.end(), 1.0);
  for (auto& m : out_migration_) m.fill(1.0);
  for (auto& a : attractiveness_) a.fill(0.0);
  for (std::size_t k = 0; k < scenario_.interventions.size(); ++k) {
    const auto& iv = scenario_.interventions[k];
    const bool in_period = year >= iv.start_year && year <= iv.end_year;
    const double below = iv.selector.extinction_index_below;
    for (std::size_t r = 0; r < n; ++r)
      selected_[k][r] = in_period && static_match_[k][r] && (below <= 0.0 || extinction_index[r] < below);
    const auto& e = iv.effects;
    const double fertility = e.fertility_multiplier * (1.0 + e.birth_grant_effect * e.birth_grant_million_krw);
    for (std::size_t r = 0; r < n; ++r) {
      if (!selected_[k][r]) continue;
      fertility_[r] *= fertility;
      mortality_[r] *= e.mortality_multiplier;
      if (e.out_migration_multiplier.active)
        for (int a = e.out_migration_multiplier.min_age; a <= e.out_migration_multiplier.max_age; ++a)
          out_migration_[r][static_cast<std::size_t>(a)] *= e.out_migration_multiplier.value;
      if (e.attractiveness.active)
        for (std::size_t g = 0; g < kGroupAges.size(); ++g)
          if (kGroupAges[g][0] <= e.attractiveness.max_age && e.attractiveness.min_age <= kGroupAges[g][1])
            attractiveness_[r][g] += e.attractiveness.value;
    }
  }
}

}  // namespace popsim::model
