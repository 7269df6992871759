// Naturalisation: kernel 6 of the year (kernels/demography.hpp): foreign residents who become
// nationals during the year.
#include "kernels/demography.hpp"

namespace popsim::kernels {

void naturalisation(RegionYear& r, double rate) {
  if (rate <= 0.0) return;
  auto& p = r.p();
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (!r.alive(i) || r.nationality(i) != core::Nationality::Foreign) continue;
    if (r.stream(i, core::Event::Naturalisation).uniform(0) >= rate) continue;
    p.flags[r.at(i)] = core::withNationality(p.flags[r.at(i)], core::Nationality::National);
    ++r.naturalisations;
  }
}

}  // namespace popsim::kernels
