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

double rotationWeight(double e0, double start, double end) {
  if (e0 <= start) return 0.0;
  if (e0 >= end) return 1.0;
  return 0.5 * (1.0 + std::sin(M_PI / 2.0 * (2.0 * (e0 - start) / (end - start) - 1.0)));
}

Schedule improvementPattern(const Schedule& b, const Schedule& b_ultimate, double e0, double start, double end) {
  const double w = rotationWeight(e0, start, end);
  Schedule out{};
  for (int x = 0; x < core::kAgeClasses; ++x) out[x] = (1.0 - w) * b[x] + w * b_ultimate[x];
  return out;
}

Schedule improvedRates(const Schedule& mx, const Schedule& b, double k) {
  Schedule m{};
  for (int x = 0; x < core::kAgeClasses; ++x) m[x] = mx[x] * std::exp(-k * b[x]);
  return m;
}

double improvementIndex(const Schedule& mx, const Schedule& b, double e0) {
  // e0 rises with k; the bracket covers any life expectancy between about 1 and 150 years for
  // patterns that sum to 1.
  double lo = -2000.0;
  double hi = 20000.0;
  const double e_lo = lifeExpectancy(improvedRates(mx, b, lo));
  const double e_hi = lifeExpectancy(improvedRates(mx, b, hi));
  if (!(e0 >= e_lo && e0 <= e_hi))
    throw core::InputError(fmt::format("a life expectancy of {} years cannot be reached by the mortality model "
                                       "(it spans {:.1f} to {:.1f} years)", e0, e_lo, e_hi));
  for (int it = 0; it < 200 && hi - lo > 1e-11; ++it) {
    const double mid = 0.5 * (lo + hi);
    (lifeExpectancy(improvedRates(mx, b, mid)) < e0 ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

YearRates ratesFor(const io::CountryInputs& inputs, const io::ModelParameters& model, int year) {
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
    const auto b = improvementPattern(inputs.mortality.bx[s], inputs.mortality.bx_ultimate[s], e0[s],
                                      model.mortality_rotation_start_e0, model.mortality_rotation_end_e0);
    r.improvement_index[s] = improvementIndex(mx, b, e0[s]);
    r.death_rate[s] = improvedRates(mx, b, r.improvement_index[s]);
    r.death_probability[s] = deathProbabilities(r.death_rate[s]);
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
  r.net_international_migration[static_cast<int>(core::Nationality::National)] =
      path.net_international_migration_nationals[t];
  r.net_international_migration[static_cast<int>(core::Nationality::Foreign)] =
      path.net_international_migration[t] - path.net_international_migration_nationals[t];
  return r;
}

}  // namespace popsim::model
