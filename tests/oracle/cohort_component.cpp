#include "oracle/cohort_component.hpp"

#include "model/rates.hpp"

namespace popsim::oracle {

std::vector<Year> project(const io::CountryInputs& inputs, const io::ModelParameters& model, const BySexAge& start,
                          const BySexAge& start_nationals, int start_year, int years, double scale) {
  constexpr int kNational = static_cast<int>(core::Nationality::National);
  constexpr int kForeign = static_cast<int>(core::Nationality::Foreign);
  const double boys = model.sex_ratio_at_birth / (1.0 + model.sex_ratio_at_birth);
  std::array<BySexAge, core::kNationalities> n{};
  n[kNational] = start_nationals;
  for (int s = 0; s < 2; ++s)
    for (int a = 0; a <= 100; ++a) n[kForeign][s][a] = start[s][a] - start_nationals[s][a];
  std::vector<Year> out;
  for (int t = 1; t <= years; ++t) {
    const int year = start_year + t;
    const auto rates = model::ratesFor(inputs, model, year);
    Year y;
    y.year = year;
    y.tfr = rates.tfr;
    std::array<BySexAge, core::kNationalities> next{};
    std::array<double, core::kNationalities> births{};
    for (int k = 0; k < core::kNationalities; ++k) {
      // The TFR path is the nationals'; foreign women have their relative fertility.
      const double ratio = k == kForeign ? model.foreign_fertility_ratio : 1.0;
      for (int a = 15; a <= 49; ++a) births[k] += ratio * rates.asfr[a - 15] * n[k][1][a];
      for (int s = 0; s < 2; ++s)
        for (int a = 0; a <= 100; ++a) {
          const double deaths = n[k][s][a] * rates.death_probability[s][a];
          y.deaths[s][a] += deaths;
          next[k][s][std::min(a + 1, 100)] += n[k][s][a] - deaths;
        }
    }
    // Emigrants leave the survivors; then foreign survivors naturalise (the year's newborns and
    // immigrants are not yet residents when the kernels run).
    std::array<BySexAge, core::kNationalities> arrivals{};
    for (int k = 0; k < core::kNationalities; ++k) {
      const double net = rates.net_international_migration[static_cast<std::size_t>(k)] * scale;
      for (int s = 0; s < 2; ++s)
        for (int a = 0; a <= 100; ++a) {
          const double cell = net * inputs.international_migration.share[k][s][a];
          (cell < 0.0 ? next[k][s][a] : arrivals[k][s][a]) += cell;
        }
    }
    for (int s = 0; s < 2; ++s)
      for (int a = 0; a <= 100; ++a) {
        const double naturalised = model.naturalisation_rate * next[kForeign][s][a];
        next[kForeign][s][a] -= naturalised;
        next[kNational][s][a] += naturalised;
      }
    for (int k = 0; k < core::kNationalities; ++k) {
      next[k][0][0] += births[k] * boys;
      next[k][1][0] += births[k] * (1.0 - boys);
      for (int s = 0; s < 2; ++s)
        for (int a = 0; a <= 100; ++a) next[k][s][a] += arrivals[k][s][a];
    }
    y.births = births[kNational] + births[kForeign];
    y.national_births = births[kNational];
    for (int s = 0; s < 2; ++s)
      for (int a = 0; a <= 100; ++a) {
        y.nationals[s][a] = next[kNational][s][a];
        y.population[s][a] = next[kNational][s][a] + next[kForeign][s][a];
      }
    n = next;
    out.push_back(y);
  }
  return out;
}

}  // namespace popsim::oracle
