#include <gtest/gtest.h>

#include "core/error.hpp"
#include "model/rates.hpp"
#include "support/test_support.hpp"

namespace popsim::model {
namespace {

TEST(Rates, BaseYearLifeTableReproducesItsLifeExpectancy) {
  const auto& in = test::baselineInputs();
  EXPECT_NEAR(lifeExpectancy(in.mortality.mx[0]), in.mortality.ex[0][0], 0.05);
  EXPECT_NEAR(lifeExpectancy(in.mortality.mx[1]), in.mortality.ex[1][0], 0.05);
}

TEST(Rates, DeathProbabilitiesAreTheLifeTableSurvivalRatios) {
  // Reference values from the input life table's own lx column (computed by the preparation
  // script, not by this code): 1 - L(x+1)/L(x) with L(x) = (l(x) + l(x+1)) / 2.
  const auto& in = test::baselineInputs();
  for (int s = 0; s < 2; ++s) {
    const auto q = deathProbabilities(in.mortality.mx[s]);
    const auto& l = in.mortality.lx[s];
    for (int x = 0; x + 2 < 100; ++x) {
      const double reference = 1.0 - (l[x + 1] + l[x + 2]) / (l[x] + l[x + 1]);
      EXPECT_NEAR(q[x], reference, 2e-4 + 0.01 * reference) << "sex " << s << " age " << x;
    }
  }
}

TEST(Rates, MortalityFollowsTheLifeExpectancyPath) {
  const auto& in = test::baselineInputs();
  for (int year : {2024, 2050, 2072, 2123}) {
    const auto r = ratesFor(in, year);
    const auto t = static_cast<std::size_t>(year - in.assumptions.year.front());
    for (int s = 0; s < 2; ++s) {
      Schedule m = in.mortality.mx[s];
      for (auto& v : m) v *= r.mortality_level[s];
      EXPECT_NEAR(lifeExpectancy(m), s == 0 ? in.assumptions.e0_male[t] : in.assumptions.e0_female[t], 1e-6) << year;
    }
    // Improvement lowers death rates.
    if (year > 2024) {
      EXPECT_LT(r.mortality_level[1], 1.0);
    }
    for (double q : r.death_probability[0]) {
      EXPECT_GE(q, 0.0);
      EXPECT_LE(q, 1.0);
    }
  }
}

TEST(Rates, FertilityFollowsTheTfrPath) {
  const auto& in = test::baselineInputs();
  for (int year : {2024, 2025, 2050}) {
    const auto r = ratesFor(in, year);
    double tfr = 0.0;
    for (double f : r.asfr) tfr += f;
    EXPECT_NEAR(tfr, in.assumptions.tfr[static_cast<std::size_t>(year - 2023)], 1e-12);
  }
}

TEST(Rates, YearsOutsideThePathAreRefused) {
  EXPECT_THROW(ratesFor(test::baselineInputs(), 2200), core::InputError);
}

}  // namespace
}  // namespace popsim::model
