// Deaths: kernel 1 of the year (kernels/demography.hpp).
#include "kernels/demography.hpp"

#include "kernels/detail.hpp"

namespace popsim::kernels {

using core::Event;
using detail::sexIndex;

void mortality(RegionYear& r, const BySexAge& coefficient, const std::array<double, core::kSexes>& multiplier) {
  for (std::size_t i = 0; i < r.size(); ++i) {
    const int s = sexIndex(r, i);
    const int a = core::ageClass(r.ageAtStart(i));
    const double prob = coefficient[s][a] * multiplier[s];
    if (r.uniform(i, Draw::Death) < prob) {
      r.removed[i] = Removal::Died;
      ++r.deaths[s][a];
      if (r.nationality(i) == core::Nationality::National) ++r.national_deaths;
    }
  }
}

}  // namespace popsim::kernels
