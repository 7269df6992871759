// Household transitions aligned to the living-alone shares (kernels/household_transitions.cpp)
// on hand-built regions.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/hand_built_region.hpp"

namespace popsim::kernels {
namespace {

using core::Nationality;
using core::Sex;
using test::flat;
using test::Region;

// Shares of 1 at the end-of-year ages [from, to], 0 elsewhere.
BySexAge sharesAt(int from, int to, double share = 1.0) {
  auto s = flat(0.0);
  for (auto& by_age : s)
    for (int a = from; a <= to; ++a) by_age[a] = share;
  return s;
}

TEST(HouseholdTransitions, WhereTooFewLiveAloneUnpartneredAdultsLeaveMinorsAndMothersStay) {
  // Everyone should live alone: the son of 25 leaves; his mother stays with her daughter of 10
  // (a mother of a co-resident minor does not leave her); the minor stays.
  Region region;
  const auto mother = region.add(Sex::Female, 52, Nationality::National, 1);
  const auto son = region.add(Sex::Male, 25, Nationality::National, 1);
  const auto daughter = region.add(Sex::Female, 10, Nationality::National, 1);
  region.motherOf(son, mother);
  region.motherOf(daughter, mother);
  auto& r = region.year();
  householdTransitions(r, flat(1.0));
  const auto& p = r.p();
  EXPECT_EQ(r.left_home, 1);
  EXPECT_TRUE(isNewHousehold(p.household[son]));
  EXPECT_FALSE(p.flags[son] & core::kFlagLivesWithMother);
  EXPECT_EQ(p.household[daughter], 1u);
  EXPECT_EQ(p.household[mother], 1u);
}

TEST(HouseholdTransitions, MarriedPersonsAndAHouseholdsLastAdultDoNotLeave) {
  Region region;
  const auto mother = region.add(Sex::Female, 60, Nationality::National, 1);
  const auto daughter = region.add(Sex::Female, 30, Nationality::National, 1);
  const auto son_in_law = region.add(Sex::Male, 32, Nationality::National, 1);
  region.motherOf(daughter, mother);
  region.marry(daughter, son_in_law);
  // An uncle of 40 is the only adult with his niece of 8 (not his child): he stays.
  region.add(Sex::Male, 40, Nationality::National, 2);
  region.add(Sex::Female, 8, Nationality::National, 2);
  auto& r = region.year();
  householdTransitions(r, sharesAt(18, 100));
  // Only the widowed mother of the married daughter may leave (she is unpartnered and the couple
  // stays): she does.
  EXPECT_EQ(r.left_home, 1);
  EXPECT_TRUE(isNewHousehold(r.p().household[mother]));
  EXPECT_EQ(r.p().household[daughter], 1u);
}

TEST(HouseholdTransitions, WhereTooManyLiveAloneTheOldJoinAChildAndTheYoungTheirMother) {
  Region region;
  const auto elder = region.add(Sex::Female, 82, Nationality::National, 1);
  const auto daughter = region.add(Sex::Female, 55, Nationality::National, 2);
  region.add(Sex::Male, 57, Nationality::National, 2);
  region.motherOf(daughter, elder);
  const auto mother = region.add(Sex::Female, 58, Nationality::National, 3);
  region.add(Sex::Male, 20, Nationality::National, 3);
  const auto son = region.add(Sex::Male, 29, Nationality::National, 4);
  region.motherOf(son, mother);
  auto& r = region.year();
  householdTransitions(r, flat(0.0));
  const auto& p = r.p();
  EXPECT_EQ(r.elderly_moved, 1);
  EXPECT_EQ(p.household[elder], 2u);
  EXPECT_TRUE(p.flags[elder] & core::kFlagLivesWithChild);
  EXPECT_EQ(r.returned_home, 1);
  EXPECT_EQ(p.household[son], 3u);
  EXPECT_TRUE(p.flags[son] & core::kFlagLivesWithMother);
}

TEST(HouseholdTransitions, ForeignResidentsAreNotAligned) {
  Region region;
  region.add(Sex::Male, 40, Nationality::Foreign, 1);
  region.add(Sex::Male, 41, Nationality::Foreign, 1);
  region.add(Sex::Female, 70, Nationality::Foreign, 2);
  auto& r = region.year();
  householdTransitions(r, flat(0.5));
  EXPECT_EQ(r.left_home, 0);
  EXPECT_EQ(r.elderly_moved + r.returned_home, 0);
}

TEST(HouseholdTransitions, TheGapCloses) {
  // 2,000 unmarried sons aged 31-35 at the end of the year, each with his widowed mother; the
  // share living alone at 31-35 should be 0.3 and nobody lives alone: 600 leave,
  // exactly (a simple random sample of the sons). The mothers (share 0) stay.
  Region region;
  for (core::HouseholdId h = 1; h <= 2000; ++h) {
    const auto m = region.add(Sex::Female, 62, Nationality::National, h);
    const auto s = region.add(Sex::Male, 30 + static_cast<int>(h % 5), Nationality::National, h);
    region.motherOf(s, m);
  }
  auto& r = region.year();
  householdTransitions(r, sharesAt(31, 35, 0.3));
  EXPECT_EQ(r.left_home, 600);
  for (std::size_t i = 0; i < r.size(); i += 2) EXPECT_FALSE(isNewHousehold(r.p().household[i]));
}

TEST(HouseholdTransitions, IsAPureFunctionOfTheSeedAndTheRegion) {
  auto households = [] {
    Region region;
    for (core::HouseholdId h = 1; h <= 500; ++h) {
      region.add(Sex::Female, 50 + static_cast<int>(h % 30), Nationality::National, h);
      region.add(h % 2 ? Sex::Male : Sex::Female, 20 + static_cast<int>(h % 20), Nationality::National, h);
    }
    for (int k = 0; k < 300; ++k) region.add(k % 2 ? Sex::Male : Sex::Female, 25 + k % 60, Nationality::National);
    auto& r = region.year();
    householdTransitions(r, flat(0.35));
    return r.p().household;
  };
  EXPECT_EQ(households(), households());
}

}  // namespace
}  // namespace popsim::kernels
