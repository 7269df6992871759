// Births: kernel 2 of the year (kernels/demography.hpp).
#include "kernels/demography.hpp"

#include <algorithm>

namespace popsim::kernels {

using core::Event;

void fertility(RegionYear& r, const FertilityCoefficients& coefficient, double multiplier, double foreign_ratio,
               double sex_ratio_at_birth) {
  auto& p = r.p();
  const double p_boy = sex_ratio_at_birth / (1.0 + sex_ratio_at_birth);
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (!r.alive(i) || p.sex[r.at(i)] != core::Sex::Female) continue;
    const int a = r.ageAtStart(i);
    if (a < kFertileMin || a > kFertileMax) continue;
    const int parity = std::min<int>(p.parity[r.at(i)], kParityGroups - 1);
    const int married = r.partner[i] >= 0 ? 1 : 0;
    const double prob = coefficient[a - kFertileMin][parity][married] * multiplier *
                        (r.nationality(i) == core::Nationality::Foreign ? foreign_ratio : 1.0);
    if (r.uniform(i, Draw::Birth) >= prob) continue;
    const bool national = r.nationality(i) == core::Nationality::National ||
                          (married && r.nationality(static_cast<std::size_t>(r.partner[i])) == core::Nationality::National);
    r.newborns.push_back({static_cast<std::uint32_t>(i), r.stream(i, Event::Birth).uniform(1) < p_boy ? core::Sex::Male : core::Sex::Female,
                          national ? core::Nationality::National : core::Nationality::Foreign});
    if (national) ++r.national_births;
    if (r.nationality(i) == core::Nationality::National) ++r.births_to_nationals[a - kFertileMin];
    if (p.parity[r.at(i)] < 255) ++p.parity[r.at(i)];
    ++r.births[a - kFertileMin];
  }
}

}  // namespace popsim::kernels
