#include "oracle/cohort_component.hpp"

#include "model/rates.hpp"

namespace popsim::oracle {

std::vector<Year> project(const io::CountryInputs& inputs, const io::ModelParameters& model, const BySexAge& start,
                          int start_year, int years, double scale) {
  const double sex_ratio_at_birth = model.sex_ratio_at_birth;
  std::vector<Year> out;
  BySexAge n = start;
  for (int t = 1; t <= years; ++t) {
    const int year = start_year + t;
    const auto rates = model::ratesFor(inputs, model, year);
    Year y;
    y.year = year;
    y.tfr = rates.tfr;
    for (int a = 15; a <= 49; ++a) y.births += rates.asfr[a - 15] * n[1][a];
    for (int s = 0; s < 2; ++s)
      for (int a = 0; a <= 100; ++a) {
        y.deaths[s][a] = n[s][a] * rates.death_probability[s][a];
        y.population[s][std::min(a + 1, 100)] += n[s][a] - y.deaths[s][a];
      }
    y.population[0][0] += y.births * sex_ratio_at_birth / (1.0 + sex_ratio_at_birth);
    y.population[1][0] += y.births / (1.0 + sex_ratio_at_birth);
    for (int k = 0; k < core::kNationalities; ++k) {
      const double net = rates.net_international_migration[static_cast<std::size_t>(k)] * scale;
      for (int s = 0; s < 2; ++s)
        for (int a = 0; a <= 100; ++a) y.population[s][a] += net * inputs.international_migration.share[k][s][a];
    }
    n = y.population;
    out.push_back(y);
  }
  return out;
}

}  // namespace popsim::oracle
