// Leaving home and elderly parents joining a child (kernels/household_transitions.cpp) on
// hand-built regions.
#include <gtest/gtest.h>

#include "kernels/hand_built_region.hpp"

namespace popsim::kernels {
namespace {

using test::flat;
using core::Nationality;
using core::Sex;
using test::Region;

TEST(HouseholdTransitions, UnmarriedAdultsLeaveTheirParentsMinorsStay) {
  // Certain leaving: the son of 25 sets up a household of his own; his sister of 10 stays with
  // their mother.
  Region region;
  const auto mother = region.add(Sex::Female, 52, Nationality::National, 1);
  const auto son = region.add(Sex::Male, 25, Nationality::National, 1);
  const auto daughter = region.add(Sex::Female, 10, Nationality::National, 1);
  region.motherOf(son, mother);
  region.motherOf(daughter, mother);
  auto& r = region.year();
  householdTransitions(r, flat(1.0), 0.0);
  const auto& p = r.p();
  EXPECT_EQ(r.left_home, 1);
  EXPECT_TRUE(isNewHousehold(p.household[son]));
  EXPECT_FALSE(p.flags[son] & core::kFlagLivesWithMother);
  EXPECT_EQ(p.household[daughter], 1u);
  EXPECT_EQ(p.household[mother], 1u);
}

TEST(HouseholdTransitions, AMarriedChildDoesNotLeaveOnThisRoute) {
  Region region;
  const auto mother = region.add(Sex::Female, 60, Nationality::National, 1);
  const auto daughter = region.add(Sex::Female, 30, Nationality::National, 1);
  const auto son_in_law = region.add(Sex::Male, 32, Nationality::National, 1);
  region.motherOf(daughter, mother);
  region.marry(daughter, son_in_law);
  auto& r = region.year();
  householdTransitions(r, flat(1.0), 0.0);
  EXPECT_EQ(r.left_home, 0);
}

TEST(HouseholdTransitions, AWomanOf75LivingAloneJoinsHerChild) {
  Region region;
  const auto elder = region.add(Sex::Female, 82, Nationality::National, 1);
  const auto daughter = region.add(Sex::Female, 55, Nationality::National, 2);
  region.add(Sex::Male, 57, Nationality::National, 2);
  region.motherOf(daughter, elder);
  auto& r = region.year();
  householdTransitions(r, flat(0.0), 1.0);
  const auto& p = r.p();
  EXPECT_EQ(r.elderly_moved, 1);
  EXPECT_EQ(p.household[elder], 2u);
  EXPECT_TRUE(p.flags[elder] & core::kFlagLivesWithChild);
}

}  // namespace
}  // namespace popsim::kernels
