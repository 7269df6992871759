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
  BySexAge population{};  // end of year
  BySexAge deaths{};      // during the year, by age at its start
  double births = 0.0;
  double tfr = 0.0;       // the period TFR of the rates used
};

// Projects `start` (the end of `start_year`) for `years` years; migrants are scaled by `scale`.
std::vector<Year> project(const io::CountryInputs& inputs, const io::ModelParameters& model, const BySexAge& start,
                          int start_year, int years, double scale);

}  // namespace popsim::oracle
