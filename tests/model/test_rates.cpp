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
  const auto& model = test::baseline().model;
  for (int year : {2024, 2050, 2072, 2123}) {
    const auto r = ratesFor(in, model, year);
    const auto t = static_cast<std::size_t>(year - in.assumptions.year.front());
    for (int s = 0; s < 2; ++s) {
      EXPECT_NEAR(lifeExpectancy(r.death_rate[s]), s == 0 ? in.assumptions.e0_male[t] : in.assumptions.e0_female[t], 1e-6)
          << year;
      // Improvement lowers death rates at every age, and never raises one.
      if (year > 2024) {
        for (int x = 0; x <= 100; ++x) EXPECT_LE(r.death_rate[s][x], in.mortality.mx[s][x] * (1.0 + 1e-12)) << x;
      }
    }
    for (double q : r.death_probability[0]) {
      EXPECT_GE(q, 0.0);
      EXPECT_LE(q, 1.0);
    }
  }
}

TEST(Rates, RotationMovesImprovementFromTheBaseToTheUltimatePattern) {
  EXPECT_EQ(rotationWeight(75.0, 80.0, 102.0), 0.0);
  EXPECT_EQ(rotationWeight(102.0, 80.0, 102.0), 1.0);
  EXPECT_NEAR(rotationWeight(91.0, 80.0, 102.0), 0.5, 1e-12);
  EXPECT_LT(rotationWeight(85.0, 80.0, 102.0), rotationWeight(86.0, 80.0, 102.0));
  Schedule b{}, u{};
  b[10] = 1.0;
  u[90] = 1.0;
  const auto mid = improvementPattern(b, u, 91.0, 80.0, 102.0);
  EXPECT_NEAR(mid[10], 0.5, 1e-12);
  EXPECT_NEAR(mid[90], 0.5, 1e-12);
  // A pattern concentrated at one age improves only that age.
  Schedule mx{};
  mx.fill(0.01);
  const double k = improvementIndex(mx, b, lifeExpectancy(mx) + 0.1);
  EXPECT_GT(k, 0.0);
  const auto m = improvedRates(mx, b, k);
  EXPECT_LT(m[10], 0.01);
  EXPECT_EQ(m[50], 0.01);
}

TEST(Rates, OldestOldImproveLessThanTheMiddleAged) {
  // Age-specific improvement (not one factor for all ages): by 2072 the death rates at 60 fall
  // by more than those at 100+, so the oldest old do not reach levels never observed.
  const auto& in = test::baselineInputs();
  const auto r = ratesFor(in, test::baseline().model, 2072);
  for (int s = 0; s < 2; ++s) {
    const double at60 = r.death_rate[s][60] / in.mortality.mx[s][60];
    const double at100 = r.death_rate[s][100] / in.mortality.mx[s][100];
    EXPECT_LT(at60, at100) << "sex " << s;
    EXPECT_GT(r.death_rate[s][100], 0.25) << "sex " << s;
  }
}

TEST(Rates, UnreachableLifeExpectancyIsRefused) {
  Schedule mx{};
  mx.fill(0.05);
  Schedule b{};
  b[100] = 1.0;  // only the open interval can improve: e0 stays far below 150
  EXPECT_THROW(improvementIndex(mx, b, 150.0), core::InputError);
}

TEST(Rates, FertilityFollowsTheTfrPath) {
  const auto& in = test::baselineInputs();
  for (int year : {2024, 2025, 2050}) {
    const auto r = ratesFor(in, test::baseline().model, year);
    double tfr = 0.0;
    for (double f : r.asfr) tfr += f;
    EXPECT_NEAR(tfr, in.assumptions.tfr[static_cast<std::size_t>(year - 2023)], 1e-12);
  }
}

TEST(Rates, YearsOutsideThePathAreRefused) {
  EXPECT_THROW(ratesFor(test::baselineInputs(), test::baseline().model, 2200), core::InputError);
}

}  // namespace
}  // namespace popsim::model
