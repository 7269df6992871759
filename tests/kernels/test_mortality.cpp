// Deaths (kernels/mortality.cpp) on hand-built regions.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/hand_built_region.hpp"

namespace popsim::kernels {
namespace {

using core::Nationality;
using core::Sex;
using test::Region;

TEST(Mortality, CertainAndImpossibleDeaths) {
  // Women die with certainty, men never: every death is counted by sex and age.
  Region region;
  for (int k = 0; k < 5; ++k) region.add(Sex::Female, 40 + k, Nationality::National);
  for (int k = 0; k < 5; ++k) region.add(Sex::Male, 40 + k, Nationality::Foreign);
  BySexAge q{};
  q[1].fill(1.0);
  auto& r = region.year();
  mortality(r, q, {1.0, 1.0});
  for (std::size_t i = 0; i < r.size(); ++i)
    EXPECT_EQ(r.removed[i], i < 5 ? Removal::Died : Removal::Stays) << i;
  std::int64_t women = 0;
  for (const auto n : r.deaths[1]) women += n;
  EXPECT_EQ(women, 5);
  for (const auto n : r.deaths[0]) EXPECT_EQ(n, 0);
  EXPECT_EQ(r.national_deaths, 5);
}

TEST(Mortality, TheRegionMultiplierScalesTheRisk) {
  // 20,000 persons at 0.1 with a multiplier of 2 for men and 0.5 for women: expected 2,000 and
  // 500 deaths (binomial sd 40 and 21.8).
  Region region;
  for (int k = 0; k < 10000; ++k) {
    region.add(Sex::Male, 20 + k % 60, Nationality::National);
    region.add(Sex::Female, 20 + k % 60, Nationality::National);
  }
  auto& r = region.year();
  mortality(r, test::flat(0.1), {2.0, 0.5});
  std::int64_t men = 0, women = 0;
  for (std::size_t i = 0; i < r.size(); ++i)
    if (r.removed[i] == Removal::Died) (r.p().sex[i] == Sex::Male ? men : women)++;
  EXPECT_NEAR(static_cast<double>(men), 2000.0, 4.0 * 40.0);
  EXPECT_NEAR(static_cast<double>(women), 500.0, 4.0 * 21.8);
}

TEST(Mortality, IsAPureFunctionOfTheSeedAndIds) {
  // The same region twice: the same persons die.
  auto deaths = [] {
    Region region;
    for (int k = 0; k < 2000; ++k) region.add(Sex::Female, 70 + k % 30, Nationality::National);
    auto& r = region.year();
    mortality(r, test::flat(0.2), {1.0, 1.0});
    return r.removed;
  };
  EXPECT_EQ(deaths(), deaths());
}

}  // namespace
}  // namespace popsim::kernels
