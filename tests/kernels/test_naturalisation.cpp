// Naturalisation (kernels/naturalisation.cpp) on hand-built regions.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/hand_built_region.hpp"

namespace popsim::kernels {
namespace {

using core::Nationality;
using core::Sex;
using test::Region;

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

}  // namespace
}  // namespace popsim::kernels
