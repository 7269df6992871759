// The national rates of one simulated year, from the base-year schedules and the scenario's
// assumption path: mortality scaled to the life-expectancy path, fertility to the TFR path.
#pragma once

#include <array>

#include "io/inputs.hpp"
#include "kernels/demography.hpp"

namespace popsim::model {

using Schedule = std::array<double, core::kAgeClasses>;

// Life expectancy at birth of a period life table with death rates mx (ages 0..99 with
// a_x = 0.5, open interval 100+ with e = 1 / m).
double lifeExpectancy(const Schedule& mx);

// The probability that a person aged x (completed years) at the start of a year dies before its
// end: 1 - L(x+1) / L(x), the survival ratio of cohort-component projections (a person aged x at
// the start is x to x+1 years old, not exactly x); in the open interval 100+, 1 - exp(-m).
Schedule deathProbabilities(const Schedule& mx);

// The factor k such that lifeExpectancy(k x mx) == e0 (bisection to 1e-10 years).
double mortalityLevel(const Schedule& mx, double e0);

struct YearRates {
  int year = 0;
  kernels::BySexAge death_probability{};  // national, by sex and age at the start of the year
  std::array<double, core::kSexes> mortality_level{};  // k of the year, by sex
  // National births per woman by age 15..49 at the start of the year (the mean of the schedule
  // at x and x+1, scaled so that it sums to the year's TFR).
  std::array<double, kernels::kFertileAges> asfr{};
  double tfr = 0.0;
  double net_international_migration = 0.0;  // persons (full scale)
};

// Throws core::InputError when `year` is not covered by the assumption path.
YearRates ratesFor(const io::CountryInputs& inputs, int year);

}  // namespace popsim::model
