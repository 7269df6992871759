// Widowhood, divorce and the marriage market (kernels/unions.cpp) on hand-built regions.
#include <gtest/gtest.h>

#include "kernels/hand_built_region.hpp"

namespace popsim::kernels {
namespace {

using test::flat;
using core::Nationality;
using core::Sex;
using test::Region;

TEST(Unions, TheSurvivorOfADeathIsWidowed) {
  Region region;
  const auto wife = region.add(Sex::Female, 70, Nationality::National, 1);
  const auto husband = region.add(Sex::Male, 72, Nationality::National, 1);
  region.marry(wife, husband);
  auto& r = region.year();
  r.removed[husband] = Removal::Died;
  unions(r, flat(0.0), flat(0.0));
  EXPECT_EQ(r.p().partner[wife], core::kNoPerson);
  EXPECT_EQ(r.partner[wife], -1);
  EXPECT_EQ(r.divorces, 0);
}

TEST(Unions, ADivorcedHusbandLeavesWithoutTheChildren) {
  // Certain divorce: the couple is unlinked, the husband moves to a new household, the wife
  // keeps her household and her co-resident child.
  Region region;
  const auto wife = region.add(Sex::Female, 35, Nationality::National, 1);
  const auto husband = region.add(Sex::Male, 37, Nationality::National, 1);
  const auto child = region.add(Sex::Female, 6, Nationality::National, 1);
  region.marry(wife, husband);
  region.motherOf(child, wife);
  auto& r = region.year();
  unions(r, flat(0.0), flat(1.0));
  const auto& p = r.p();
  EXPECT_EQ(r.divorces, 1);
  EXPECT_EQ(p.partner[wife], core::kNoPerson);
  EXPECT_EQ(p.partner[husband], core::kNoPerson);
  EXPECT_TRUE(isNewHousehold(p.household[husband]));
  EXPECT_EQ(p.household[wife], 1u);
  EXPECT_EQ(p.household[child], 1u);
}

TEST(Unions, TheMarketPairsWomenAndMenByRankOfAge) {
  // Everyone enters with certainty: 4 marriages; the youngest woman marries the youngest man,
  // and each couple (with the bride's minor child) sets up a new household of its own.
  Region region;
  std::vector<std::size_t> women, men;
  for (int k = 0; k < 4; ++k) women.push_back(region.add(Sex::Female, 25 + 3 * k, Nationality::National));
  for (int k = 0; k < 4; ++k) men.push_back(region.add(Sex::Male, 27 + 3 * k, Nationality::National));
  auto& r = region.year();
  unions(r, flat(1.0), flat(0.0));
  const auto& p = r.p();
  EXPECT_EQ(r.marriages, 4);
  for (int k = 0; k < 4; ++k) {
    const auto w = women[static_cast<std::size_t>(k)], m = men[static_cast<std::size_t>(k)];
    EXPECT_EQ(p.partner[w], p.id[m]) << k;
    EXPECT_EQ(p.partner[m], p.id[w]) << k;
    EXPECT_EQ(p.household[w], p.household[m]) << k;
    EXPECT_TRUE(isNewHousehold(p.household[w])) << k;
  }
}

TEST(Unions, MinorsNeverMarry) {
  Region region;
  region.add(Sex::Female, 17, Nationality::National);
  region.add(Sex::Male, 17, Nationality::National);
  auto& r = region.year();
  unions(r, flat(1.0), flat(0.0));
  EXPECT_EQ(r.marriages, 0);
}

}  // namespace
}  // namespace popsim::kernels
