// Nationality in the kernels, on small hand-built regions: the newborn's nationality (descent),
// naturalisation, and international migration that moves each nationality's own residents.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/demography.hpp"
#include "kernels/hand_built_region.hpp"

namespace popsim::kernels {
namespace {

using core::Nationality;
using core::Sex;
using test::Region;

FertilityCoefficients certainBirths() {
  FertilityCoefficients c{};
  for (auto& by_parity : c)
    for (auto& by_union : by_parity) by_union = {1.0, 1.0};
  return c;
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
  fertility(r, certainBirths(), 1.0, 1.0, 1.05);
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

TEST(Naturalisation, TurnsForeignResidentsIntoNationalsAtItsRate) {
  Region region;
  for (int k = 0; k < 10000; ++k) region.add(k % 2 ? Sex::Male : Sex::Female, 20 + k % 50, Nationality::Foreign);
  for (int k = 0; k < 100; ++k) region.add(Sex::Male, 40, Nationality::National);
  auto& r = region.year();
  naturalisation(r, 0.3);
  std::int64_t nationals = 0;
  for (std::size_t i = 0; i < r.size(); ++i) nationals += r.nationality(i) == Nationality::National;
  EXPECT_EQ(nationals, 100 + r.naturalisations);
  EXPECT_NEAR(static_cast<double>(r.naturalisations), 3000.0, 4.0 * std::sqrt(10000 * 0.3 * 0.7));
  // The other flags are kept.
  for (std::size_t i = 0; i < r.size(); ++i) EXPECT_EQ(r.p().flags[i] & ~core::kFlagForeign, 0);
}

TEST(Naturalisation, NeverTouchesTheDeadOrNationals) {
  Region region;
  const auto dead = region.add(Sex::Female, 50, Nationality::Foreign);
  const auto national = region.add(Sex::Female, 50, Nationality::National);
  auto& r = region.year();
  r.removed[dead] = Removal::Died;
  naturalisation(r, 1.0);
  EXPECT_EQ(r.nationality(dead), Nationality::Foreign);
  EXPECT_EQ(r.nationality(national), Nationality::National);
  EXPECT_EQ(r.naturalisations, 0);
}

TEST(InternationalMigration, EachNationalityLeavesAndArrivesAsItself) {
  Region region;
  for (int k = 0; k < 50; ++k) {
    region.add(Sex::Male, 29, Nationality::National);
    region.add(Sex::Male, 29, Nationality::Foreign);
  }
  ByNationalitySexAge emigrants{}, immigrants{};
  emigrants[static_cast<int>(Nationality::Foreign)][0][30] = 7;  // aged 30 at the end of the year
  emigrants[static_cast<int>(Nationality::National)][0][30] = 2;
  immigrants[static_cast<int>(Nationality::Foreign)][1][25] = 3;
  immigrants[static_cast<int>(Nationality::Foreign)][1][4] = 2;  // children, with a foreign woman
  immigrants[static_cast<int>(Nationality::National)][0][60] = 1;
  auto& r = region.year();
  internationalMigration(r, emigrants, immigrants);
  int foreign_left = 0, national_left = 0;
  for (std::size_t i = 0; i < r.size(); ++i)
    if (r.removed[i] == Removal::Emigrated) (r.nationality(i) == Nationality::Foreign ? foreign_left : national_left)++;
  EXPECT_EQ(foreign_left, 7);
  EXPECT_EQ(national_left, 2);
  EXPECT_EQ(r.national_emigrants, 2);
  ASSERT_EQ(r.immigrants.size(), 6u);
  int foreign_arrived = 0;
  for (const auto& im : r.immigrants) foreign_arrived += im.nationality == Nationality::Foreign;
  EXPECT_EQ(foreign_arrived, 5);
  // The foreign children join a foreign woman who arrived with them.
  for (const auto& im : r.immigrants)
    if (im.age < 18) {
      bool with_woman = false;
      for (const auto& adult : r.immigrants)
        with_woman |= adult.age >= 18 && adult.sex == Sex::Female && adult.household == im.household &&
                      adult.nationality == Nationality::Foreign;
      EXPECT_TRUE(with_woman);
    }
}

}  // namespace
}  // namespace popsim::kernels
