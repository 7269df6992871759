// The national rates of one simulated year, from the base-year schedules and the scenario's
// assumption path: mortality improved by age (a rotating Lee-Carter pattern) to the
// life-expectancy path, fertility scaled to the TFR path.
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

// The weight of the ultimate improvement pattern at life expectancy e0 (Li, Lee & Gerland 2013):
// 0 up to `start`, 1 from `end`, a half sine wave between.
double rotationWeight(double e0, double start, double end);

// The improvement pattern at life expectancy e0: (1 - w) b + w b_ultimate.
Schedule improvementPattern(const Schedule& b, const Schedule& b_ultimate, double e0, double start, double end);

// The index k such that lifeExpectancy(mx exp(-k b)) == e0 (bisection to about 1e-10 years):
// k > 0 improves mortality, k < 0 worsens it. Throws core::InputError if e0 is out of reach.
double improvementIndex(const Schedule& mx, const Schedule& b, double e0);

// mx exp(-k b) at every age.
Schedule improvedRates(const Schedule& mx, const Schedule& b, double k);

struct YearRates {
  int year = 0;
  kernels::BySexAge death_probability{};  // national, by sex and age at the start of the year
  std::array<double, core::kSexes> improvement_index{};  // k of the year, by sex
  kernels::BySexAge death_rate{};  // m_x of the year, by sex
  // National births per woman by age 15..49 at the start of the year (the mean of the schedule
  // at x and x+1, scaled so that it sums to the year's TFR).
  std::array<double, kernels::kFertileAges> asfr{};
  double tfr = 0.0;
  // Net international migration by nationality, persons (full scale); the foreigners' part is
  // the path's total minus the nationals'.
  std::array<double, core::kNationalities> net_international_migration{};
};

// Throws core::InputError when `year` is not covered by the assumption path.
YearRates ratesFor(const io::CountryInputs& inputs, const io::ModelParameters& model, int year);

}  // namespace popsim::model
