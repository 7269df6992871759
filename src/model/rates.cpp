#include "model/rates.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/error.hpp"

namespace popsim::model {

double lifeExpectancy(const Schedule& mx) {
  double l = 1.0;
  double person_years = 0.0;
  for (int x = 0; x < core::kOpenAge; ++x) {
    const double q = std::min(1.0, mx[x] / (1.0 + 0.5 * mx[x]));
    const double d = l * q;
    person_years += l - 0.5 * d;
    l -= d;
  }
  return person_years + (mx[core::kOpenAge] > 0.0 ? l / mx[core::kOpenAge] : 0.0);
}

Schedule deathProbabilities(const Schedule& mx) {
  // Person-years L_x of the life table (a_x = 0.5; constant hazard beyond 100).
  std::array<double, core::kAgeClasses + 1> l{};
  Schedule L{};
  l[0] = 1.0;
  for (int x = 0; x < core::kOpenAge; ++x) {
    const double q = std::min(1.0, mx[x] / (1.0 + 0.5 * mx[x]));
    l[x + 1] = l[x] * (1.0 - q);
    L[x] = 0.5 * (l[x] + l[x + 1]);
  }
  const double m = mx[core::kOpenAge];
  const double open_survival = std::exp(-m);
  const double L100_single = m > 0.0 ? l[core::kOpenAge] * (1.0 - open_survival) / m : l[core::kOpenAge];
  Schedule q{};
  for (int x = 0; x + 1 < core::kOpenAge; ++x) q[x] = L[x] > 0.0 ? 1.0 - L[x + 1] / L[x] : 1.0;
  q[core::kOpenAge - 1] = L[core::kOpenAge - 1] > 0.0 ? 1.0 - L100_single / L[core::kOpenAge - 1] : 1.0;
  q[core::kOpenAge] = 1.0 - open_survival;
  return q;
}

double mortalityLevel(const Schedule& mx, double e0) {
  auto scaled = [&](double k) {
    Schedule m = mx;
    for (auto& v : m) v *= k;
    return lifeExpectancy(m);
  };
  double lo = std::log(1e-4);
  double hi = std::log(1e2);
  for (int it = 0; it < 200 && hi - lo > 1e-14; ++it) {
    const double mid = 0.5 * (lo + hi);
    (scaled(std::exp(mid)) > e0 ? lo : hi) = mid;  // e0 falls as k rises
  }
  return std::exp(0.5 * (lo + hi));
}

YearRates ratesFor(const io::CountryInputs& inputs, int year) {
  const auto& path = inputs.assumptions;
  if (year < path.year.front() || year > path.year.back())
    throw core::InputError(fmt::format("year {} is outside the assumption path ({}..{})", year, path.year.front(),
                                       path.year.back()));
  const auto t = static_cast<std::size_t>(year - path.year.front());
  YearRates r;
  r.year = year;
  const std::array<double, core::kSexes> e0 = {path.e0_male[t], path.e0_female[t]};
  for (int s = 0; s < core::kSexes; ++s) {
    const auto& mx = inputs.mortality.mx[s];
    r.mortality_level[s] = mortalityLevel(mx, e0[s]);
    Schedule m = mx;
    for (auto& v : m) v *= r.mortality_level[s];
    r.death_probability[s] = deathProbabilities(m);
  }
  r.tfr = path.tfr[t];
  // The schedule is by age at the birth; a woman aged x at the start of the year is x or x+1 at a
  // birth during it, so her rate is the mean of ASFR(x) and ASFR(x+1), rescaled to the TFR.
  std::array<double, kernels::kFertileAges> start{};
  double sum = 0.0;
  for (int a = 0; a < kernels::kFertileAges; ++a) {
    const double next = a + 1 < kernels::kFertileAges ? inputs.fertility.asfr[a + 1] : 0.0;
    sum += start[a] = 0.5 * (inputs.fertility.asfr[a] + next);
  }
  for (int a = 0; a < kernels::kFertileAges; ++a) r.asfr[a] = start[a] * r.tfr / sum;
  r.net_international_migration = path.net_international_migration[t];
  return r;
}

}  // namespace popsim::model
