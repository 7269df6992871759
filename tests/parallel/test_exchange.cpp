// Records sent between ranks arrive complete, once, in source-rank order, with byte counts that
// balance across ranks; empty buffers and the rank's own buffer are handled.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/person_record.hpp"
#include "parallel/exchange.hpp"
#include "support/test_support.hpp"

namespace popsim::parallel {
namespace {

// A deterministic record from rank `from` to rank `to`, number k.
core::PersonRecord recordFor(int from, int to, int k) {
  core::PersonRecord r;
  r.id = (static_cast<core::PersonId>(from) << 24) | (static_cast<core::PersonId>(to) << 16) | static_cast<core::PersonId>(k);
  r.partner = r.id + 1;
  r.mother = r.id ^ 0xABCDEF;
  r.household = static_cast<core::HouseholdId>(1000 * from + k);
  r.birth_year = static_cast<core::Year>(1950 + k % 70);
  r.region = static_cast<core::RegionIndex>(to);
  r.sex = static_cast<core::Sex>(k % 2);
  r.parity = static_cast<std::uint8_t>(k % 4);
  r.flags = static_cast<std::uint8_t>(k % 3);
  return r;
}

// Rank r sends (r + 2 d) % 5 records to rank d: some pairs send nothing.
int countFor(int from, int to) { return (from + 2 * to) % 5; }

TEST(Exchange, DeliversEveryRecordOnceInSourceOrder) {
  const int rank = test::rank();
  const int ranks = test::size();
  std::vector<std::vector<core::PersonRecord>> outgoing(static_cast<std::size_t>(ranks));
  for (int d = 0; d < ranks; ++d)
    for (int k = 0; k < countFor(rank, d); ++k) outgoing[static_cast<std::size_t>(d)].push_back(recordFor(rank, d, k));
  ExchangeStats stats;
  const auto arrived = exchange(outgoing, MPI_COMM_WORLD, stats);

  std::vector<core::PersonRecord> expected;
  for (int s = 0; s < ranks; ++s)
    for (int k = 0; k < countFor(s, rank); ++k) expected.push_back(recordFor(s, rank, k));
  EXPECT_EQ(arrived, expected);

  // What left other ranks arrived somewhere: totals balance.
  std::array<std::uint64_t, 4> totals = {stats.records_sent, stats.records_received, stats.bytes_sent, stats.bytes_received};
  MPI_Allreduce(MPI_IN_PLACE, totals.data(), 4, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_EQ(totals[0], totals[1]);
  EXPECT_EQ(totals[2], totals[3]);
  if (ranks > 1) {
    EXPECT_GT(totals[0], 0u);
  }
}

TEST(Exchange, NothingToSendIsFine) {
  std::vector<std::vector<core::PersonRecord>> outgoing(static_cast<std::size_t>(test::size()));
  ExchangeStats stats;
  EXPECT_TRUE(exchange(outgoing, MPI_COMM_WORLD, stats).empty());
  EXPECT_EQ(stats.records_sent, 0u);
}

TEST(Exchange, RefusesAWrongNumberOfBuffers) {
  const std::vector<char> send;
  const std::vector<int> counts(static_cast<std::size_t>(test::size()) + 1, 0);
  ExchangeStats stats;
  EXPECT_THROW(exchangeBytes(send, counts, MPI_COMM_WORLD, stats), std::invalid_argument);
}

}  // namespace
}  // namespace popsim::parallel
