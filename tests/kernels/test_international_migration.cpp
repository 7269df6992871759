// Emigration and immigration by nationality (kernels/international_migration.cpp) on hand-built regions.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/hand_built_region.hpp"

namespace popsim::kernels {
namespace {

using core::Nationality;
using core::Sex;
using test::Region;

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
  internationalMigration(r, emigrants, immigrants, 1.0);
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


TEST(InternationalMigration, AQuotaBeyondTheCellTakesEveryoneAndNoQuotaNobody) {
  Region region;
  for (int k = 0; k < 5; ++k) region.add(Sex::Female, 39, Nationality::National);  // 40 at the end of the year
  for (int k = 0; k < 5; ++k) region.add(Sex::Female, 49, Nationality::National);
  ByNationalitySexAge emigrants{}, immigrants{};
  emigrants[static_cast<int>(Nationality::National)][1][40] = 9;
  auto& r = region.year();
  internationalMigration(r, emigrants, immigrants, 1.0);
  for (std::size_t i = 0; i < r.size(); ++i) EXPECT_EQ(r.removed[i], i < 5 ? Removal::Emigrated : Removal::Stays) << i;
  EXPECT_EQ(r.emigrants[1][40], 5);
  EXPECT_TRUE(r.immigrants.empty());
}

TEST(InternationalMigration, EmigrantsAreASimpleRandomSampleOfTheirCell) {
  // 300 of 1,000 men aged 30 leave: exactly 300, spread over the cell (from its first half
  // 150 expected, hypergeometric sd 7.2), the dead never among them; the wife of an emigrant
  // stays, no longer partnered.
  Region region;
  std::vector<std::size_t> men, wives;
  for (int k = 0; k < 1000; ++k) {  // each couple contiguous: a household of its own
    wives.push_back(region.add(Sex::Female, 60, Nationality::National));
    men.push_back(region.add(Sex::Male, 29, Nationality::National));
    region.marry(wives.back(), men.back());
  }
  const auto dead = region.add(Sex::Male, 29, Nationality::National);
  ByNationalitySexAge emigrants{}, immigrants{};
  emigrants[static_cast<int>(Nationality::National)][0][30] = 300;
  auto& r = region.year();
  r.removed[dead] = Removal::Died;
  internationalMigration(r, emigrants, immigrants, 1.0);
  int left = 0, first_half = 0;
  for (std::size_t k = 0; k < men.size(); ++k) {
    if (r.removed[men[k]] != Removal::Emigrated) continue;
    ++left;
    first_half += k < 500;
    EXPECT_EQ(r.p().partner[r.at(wives[k])], core::kNoPerson);
    EXPECT_EQ(r.removed[wives[k]], Removal::Stays);
  }
  EXPECT_EQ(left, 300);
  EXPECT_EQ(r.removed[dead], Removal::Died);
  EXPECT_NEAR(static_cast<double>(first_half), 150.0, 4.0 * 7.2);
  EXPECT_EQ(r.national_emigrants, 300);
}

TEST(InternationalMigration, ForeignAdultsJoinForeignHouseholdsAtTheGivenRate) {
  // 400 foreign residents in 100 households of 4, and 1,000 foreign adult immigrants of whom a
  // share 0.3 start a household of their own: 300 new households in expectation (binomial, 4 sd),
  // every other immigrant in one of the residents' households. National immigrants start their own.
  Region region;
  for (core::HouseholdId h = 1; h <= 100; ++h)
    for (int k = 0; k < 4; ++k) region.add(k % 2 ? Sex::Male : Sex::Female, 30 + k, Nationality::Foreign, h);
  ByNationalitySexAge emigrants{}, immigrants{};
  immigrants[static_cast<int>(Nationality::Foreign)][0][30] = 1000;
  immigrants[static_cast<int>(Nationality::National)][1][55] = 20;
  auto& r = region.year();
  internationalMigration(r, emigrants, immigrants, 0.3);
  int own = 0, joined = 0, national_own = 0;
  for (const auto& im : r.immigrants) {
    if (im.nationality == Nationality::National) {
      national_own += isNewHousehold(im.household);
      continue;
    }
    isNewHousehold(im.household) ? ++own : ++joined;
    if (!isNewHousehold(im.household)) {
      EXPECT_TRUE(im.household >= 1 && im.household <= 100) << im.household;
    }
  }
  EXPECT_EQ(own + joined, 1000);
  EXPECT_NEAR(own, 300.0, 4.0 * std::sqrt(1000 * 0.3 * 0.7));
  EXPECT_EQ(national_own, 20);
}

TEST(InternationalMigration, IsAPureFunctionOfTheSeedAndTheRegion) {
  auto emigrated = [] {
    Region region;
    for (int k = 0; k < 2000; ++k) region.add(k % 2 ? Sex::Male : Sex::Female, 20 + k % 40, Nationality::Foreign);
    ByNationalitySexAge emigrants{}, immigrants{};
    for (int a = 21; a <= 60; ++a) emigrants[static_cast<int>(Nationality::Foreign)][0][a] = 7;
    auto& r = region.year();
    internationalMigration(r, emigrants, immigrants, 1.0);
    return r.removed;
  };
  EXPECT_EQ(emigrated(), emigrated());
}

}  // namespace
}  // namespace popsim::kernels
