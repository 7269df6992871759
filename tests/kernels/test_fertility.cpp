// Births (kernels/fertility.cpp) on hand-built regions.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/hand_built_region.hpp"

namespace popsim::kernels {
namespace {

using core::Nationality;
using core::Sex;
using test::Region;

FertilityCoefficients uniform(double p) {
  FertilityCoefficients c{};
  for (auto& by_parity : c)
    for (auto& by_union : by_parity) by_union = {p, p};
  return c;
}

TEST(Fertility, OnlyWomenAged15To49GiveBirth) {
  // Certain births: the women of 15 and 49 at the start of the year give birth, those of 14
  // and 50 and the man do not; each mother's parity rises by one.
  Region region;
  const auto w14 = region.add(Sex::Female, 14, Nationality::National);
  const auto w15 = region.add(Sex::Female, 15, Nationality::National);
  const auto w49 = region.add(Sex::Female, 49, Nationality::National);
  const auto w50 = region.add(Sex::Female, 50, Nationality::National);
  region.add(Sex::Male, 30, Nationality::National);
  auto& r = region.year();
  fertility(r, uniform(1.0), 1.0, 1.0, 1.05);
  ASSERT_EQ(r.newborns.size(), 2u);
  EXPECT_EQ(r.newborns[0].mother, w15);
  EXPECT_EQ(r.newborns[1].mother, w49);
  EXPECT_EQ(r.p().parity[w15], 1);
  EXPECT_EQ(r.p().parity[w49], 1);
  EXPECT_EQ(r.p().parity[w14], 0);
  EXPECT_EQ(r.p().parity[w50], 0);
  EXPECT_EQ(r.births[0] + r.births[kFertileAges - 1], 2);
}

TEST(Fertility, TheDeadDoNotGiveBirth) {
  Region region;
  const auto dead = region.add(Sex::Female, 30, Nationality::National);
  auto& r = region.year();
  r.removed[dead] = Removal::Died;
  fertility(r, uniform(1.0), 1.0, 1.0, 1.05);
  EXPECT_TRUE(r.newborns.empty());
}

TEST(Fertility, BirthsFollowTheRateAndTheRegionMultiplier) {
  // 10,000 women at 0.05 with a regional multiplier of 2: expected 1,000 births (sd 30); about
  // 105 boys per 100 girls.
  Region region;
  for (int k = 0; k < 10000; ++k) region.add(Sex::Female, 20 + k % 25, Nationality::National);
  auto& r = region.year();
  fertility(r, uniform(0.05), 2.0, 1.0, 1.05);
  EXPECT_NEAR(static_cast<double>(r.newborns.size()), 1000.0, 4.0 * 30.0);
  double boys = 0.0;
  for (const auto& b : r.newborns) boys += b.sex == Sex::Male;
  EXPECT_NEAR(boys / static_cast<double>(r.newborns.size()), 1.05 / 2.05, 4.0 * 0.016);
}

TEST(Newborns, AreNationalsWhenTheMotherOrHerPartnerIsOne) {
  Region region;
  const auto national_mother = region.add(Sex::Female, 30, Nationality::National, 1);
  const auto foreign_with_national = region.add(Sex::Female, 30, Nationality::Foreign, 2);
  const auto national_husband = region.add(Sex::Male, 32, Nationality::National, 2);
  const auto foreign_couple_wife = region.add(Sex::Female, 30, Nationality::Foreign, 3);
  const auto foreign_couple_husband = region.add(Sex::Male, 32, Nationality::Foreign, 3);
  const auto foreign_alone = region.add(Sex::Female, 30, Nationality::Foreign, 4);
  region.marry(foreign_with_national, national_husband);
  region.marry(foreign_couple_wife, foreign_couple_husband);
  auto& r = region.year();
  fertility(r, uniform(1.0), 1.0, 1.0, 1.05);
  ASSERT_EQ(r.newborns.size(), 4u);
  auto nationalityOf = [&](std::size_t mother) {
    for (const auto& b : r.newborns)
      if (b.mother == mother) return b.nationality;
    ADD_FAILURE() << "no child of " << mother;
    return Nationality::National;
  };
  EXPECT_EQ(nationalityOf(national_mother), Nationality::National);
  EXPECT_EQ(nationalityOf(foreign_with_national), Nationality::National);
  EXPECT_EQ(nationalityOf(foreign_couple_wife), Nationality::Foreign);
  EXPECT_EQ(nationalityOf(foreign_alone), Nationality::Foreign);
  EXPECT_EQ(r.national_births, 2);
}

TEST(Newborns, ForeignWomenHaveTheirRelativeFertility) {
  // 4,000 foreign and 4,000 national women with a yearly birth probability of 0.2; foreign
  // women at 0.25 of it: expected births 800 and 200 (binomial sd 25 and 14).
  Region region;
  for (int k = 0; k < 4000; ++k) {
    region.add(Sex::Female, 25 + k % 15, Nationality::National);
    region.add(Sex::Female, 25 + k % 15, Nationality::Foreign);
  }
  FertilityCoefficients c{};
  for (auto& by_parity : c)
    for (auto& by_union : by_parity) by_union = {0.2, 0.2};
  auto& r = region.year();
  fertility(r, c, 1.0, 0.25, 1.05);
  const auto total = static_cast<double>(r.newborns.size());
  const auto national = static_cast<double>(r.national_births);
  EXPECT_NEAR(national, 800.0, 4.0 * 25.3);
  EXPECT_NEAR(total - national, 200.0, 4.0 * 13.7);
}

}  // namespace
}  // namespace popsim::kernels
