// Minors left without an adult (kernels/orphans.cpp) on hand-built regions.
#include <gtest/gtest.h>

#include "kernels/hand_built_region.hpp"

namespace popsim::kernels {
namespace {

using core::Nationality;
using core::Sex;
using test::Region;

TEST(Orphans, AMinorWhoseMotherDiedMovesToHerGrandmother) {
  Region region;
  const auto grandmother = region.add(Sex::Female, 66, Nationality::National, 1);
  const auto mother = region.add(Sex::Female, 38, Nationality::National, 2);
  const auto child = region.add(Sex::Male, 9, Nationality::National, 2);
  region.add(Sex::Female, 45, Nationality::National, 3);  // a possible foster mother, not chosen
  region.motherOf(mother, grandmother);
  region.motherOf(child, mother);
  auto& r = region.year();
  r.removed[mother] = Removal::Died;
  placeOrphans(r);
  const auto& p = r.p();
  EXPECT_EQ(r.orphans_placed, 1);
  EXPECT_EQ(p.household[child], p.household[grandmother]);
  EXPECT_FALSE(p.flags[child] & core::kFlagLivesWithMother);
}

TEST(Orphans, WithoutAGrandmotherAWomanOfTheRegionTakesThem) {
  // Two siblings whose only parent died move together to the household of the one woman aged
  // 35-75 of the region.
  Region region;
  const auto mother = region.add(Sex::Female, 40, Nationality::National, 1);
  const auto a = region.add(Sex::Female, 12, Nationality::National, 1);
  const auto b = region.add(Sex::Male, 7, Nationality::National, 1);
  const auto host = region.add(Sex::Female, 50, Nationality::National, 2);
  region.add(Sex::Male, 80, Nationality::National, 3);
  region.motherOf(a, mother);
  region.motherOf(b, mother);
  auto& r = region.year();
  r.removed[mother] = Removal::Died;
  placeOrphans(r);
  const auto& p = r.p();
  EXPECT_EQ(r.orphans_placed, 2);
  EXPECT_EQ(p.household[a], p.household[host]);
  EXPECT_EQ(p.household[b], p.household[host]);
}

TEST(Orphans, InATinyRegionAnyAdultHostsThem) {
  // No woman aged 35-75: the only adult, a man of 80, takes the minor in.
  Region region;
  const auto mother = region.add(Sex::Female, 30, Nationality::National, 1);
  const auto child = region.add(Sex::Female, 3, Nationality::National, 1);
  const auto man = region.add(Sex::Male, 80, Nationality::National, 2);
  region.motherOf(child, mother);
  auto& r = region.year();
  r.removed[mother] = Removal::Died;
  placeOrphans(r);
  EXPECT_EQ(r.p().household[child], r.p().household[man]);
}

TEST(Orphans, MinorsLivingWithAnAdultStay) {
  Region region;
  const auto father = region.add(Sex::Male, 40, Nationality::National, 1);
  const auto mother = region.add(Sex::Female, 38, Nationality::National, 1);
  const auto child = region.add(Sex::Female, 8, Nationality::National, 1);
  region.marry(mother, father);
  region.motherOf(child, mother);
  auto& r = region.year();
  r.removed[mother] = Removal::Died;
  placeOrphans(r);
  EXPECT_EQ(r.orphans_placed, 0);
  EXPECT_EQ(r.p().household[child], 1u);
}

}  // namespace
}  // namespace popsim::kernels
