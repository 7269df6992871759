// The test oracle: a deterministic cohort-component projection of the national population by
// sex and single year of age, written independently of the kernels. It uses the same rate
// tables and conventions (ages at the start of the year for rates, newborns aged 0 at the end of
// their birth year, net migrants by age at the end of the year), so the simulation must agree
// with it in expectation.
#pragma once

#include <array>
#include <vector>

#include "io/config.hpp"
#include "io/inputs.hpp"

namespace popsim::oracle {

using BySexAge = std::array<std::array<double, 101>, 2>;

struct Year {
  int year = 0;
  BySexAge population{};  // end of year, everyone
  BySexAge nationals{};   // end of year, nationals
  BySexAge deaths{};      // during the year, by age at its start
  double births = 0.0;
  double national_births = 0.0;  // to national mothers (their children are nationals)
  double tfr = 0.0;       // the period TFR of the rates used (the nationals')
};

// Projects `start` (everyone at the end of `start_year`; `start_nationals` of them nationals)
// for `years` years, by nationality: the nationals' fertility follows the TFR path, foreign
// women's is its model.foreign_fertility_ratio; foreign residents naturalise at
// model.naturalisation_rate; migrants of each nationality are scaled by `scale`.
std::vector<Year> project(const io::CountryInputs& inputs, const io::ModelParameters& model, const BySexAge& start,
                          const BySexAge& start_nationals, int start_year, int years, double scale);

}  // namespace popsim::oracle
