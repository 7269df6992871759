#include <gtest/gtest.h>

#include <set>

#include "core/random.hpp"

namespace popsim::core {

TEST(Stream, IsAPureFunctionOfItsKey) {
  const Stream a(42, 1234, 2023, Event::SpouseAge);
  const Stream b(42, 1234, 2023, Event::SpouseAge);
  for (std::uint32_t i = 0; i < 100; ++i) EXPECT_EQ(a.bits64(i), b.bits64(i));
}

TEST(Stream, DifferentSeedEntityYearOrEventGiveDifferentDraws) {
  const auto base = Stream(42, 1234, 2023, Event::SpouseAge).bits64(0);
  EXPECT_NE(base, Stream(43, 1234, 2023, Event::SpouseAge).bits64(0));
  EXPECT_NE(base, Stream(42, 1235, 2023, Event::SpouseAge).bits64(0));
  EXPECT_NE(base, Stream(42, 1234, 2024, Event::SpouseAge).bits64(0));
  EXPECT_NE(base, Stream(42, 1234, 2023, Event::MotherAge).bits64(0));
  EXPECT_NE(base, Stream(42, std::uint64_t{1234} | (std::uint64_t{1} << 40), 2023, Event::SpouseAge).bits64(0));
}

TEST(Stream, UniformIsInUnitIntervalWithTheRightMoments) {
  const Stream s(7, 99, 2023, Event::ParentChoice);
  constexpr int n = 200000;
  double sum = 0.0;
  double sum2 = 0.0;
  for (std::uint32_t i = 0; i < n; ++i) {
    const double u = s.uniform(i);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum2 += u * u;
  }
  const double mean = sum / n;
  EXPECT_NEAR(mean, 0.5, 0.005);                  // sd of the mean ~0.00065
  EXPECT_NEAR(sum2 / n - mean * mean, 1.0 / 12.0, 0.002);
}

}  // namespace popsim::core
