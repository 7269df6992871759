// Internal migration (kernels/internal_migration.cpp) on hand-built residents.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "kernels/internal_migration.hpp"

namespace popsim::kernels {
namespace {

constexpr int kYear = 2030;
constexpr std::uint64_t kSeed = 7;

// Residents added household by household; ages are at the start of kYear.
class Residents {
 public:
  void household(std::initializer_list<int> ages) {
    ++household_;
    for (const int age : ages) list_.push_back({++id_, static_cast<core::Year>(kYear - 1 - age), household_});
  }
  const std::vector<Resident>& list() const { return list_; }

 private:
  std::vector<Resident> list_;
  core::PersonId id_ = 0;
  core::HouseholdId household_ = 0;
};

InternalMigrationModel model(double leave, std::function<core::RegionIndex(int, double)> destination) {
  InternalMigrationModel m;
  m.leave.fill(leave);
  m.destination = std::move(destination);
  return m;
}

TEST(InternalMigration, EveryHouseholdLeavesWholeAtCertainty) {
  Residents r;
  r.household({40, 38, 10, 8});
  r.household({25});
  r.household({80, 50});
  std::vector<Move> moves;
  internalMigration(r.list(), kYear, kSeed, model(1.0, [](int, double) { return core::RegionIndex{3}; }), moves);
  ASSERT_EQ(moves.size(), 3u);
  EXPECT_EQ(moves[0].first, 0u);
  EXPECT_EQ(moves[0].end, 4u);
  EXPECT_EQ(moves[1].first, 4u);
  EXPECT_EQ(moves[1].end, 5u);
  EXPECT_EQ(moves[2].first, 5u);
  EXPECT_EQ(moves[2].end, 7u);
  for (const auto& m : moves) EXPECT_EQ(m.destination, 3);
}

TEST(InternalMigration, NobodyLeavesAtZero) {
  Residents r;
  for (int k = 0; k < 1000; ++k) r.household({20 + k % 60, 5});
  std::vector<Move> moves;
  internalMigration(r.list(), kYear, kSeed, model(0.0, [](int, double) { return core::RegionIndex{3}; }), moves);
  EXPECT_TRUE(moves.empty());
}

TEST(InternalMigration, TheReferencePersonIsTheFirstAdult) {
  // Only persons aged 30 move, and the destination is their age: a household listed child
  // first is decided by its first adult; a household of minors by its first member.
  Residents r;
  r.household({10, 30, 60});  // reference 30: moves to region 30
  r.household({60, 30});      // reference 60: stays
  r.household({12, 30});      // reference 30: moves
  r.household({30, 12});      // reference 30: moves
  r.household({15, 16});      // minors only, reference 15: stays
  InternalMigrationModel m;
  m.leave[30] = 1.0;
  m.destination = [](int age, double) { return static_cast<core::RegionIndex>(age); };
  std::vector<Move> moves;
  internalMigration(r.list(), kYear, kSeed, m, moves);
  ASSERT_EQ(moves.size(), 3u);
  EXPECT_EQ(moves[0].first, 0u);
  EXPECT_EQ(moves[1].first, 5u);
  EXPECT_EQ(moves[2].first, 7u);
  for (const auto& move : moves) EXPECT_EQ(move.destination, 30);
}

TEST(InternalMigration, LeavesAndChoosesWithTheModelsProbabilities) {
  // 20,000 one-person households at 0.25: 5,000 expected movers (sd 61.2); destinations 1 with
  // probability 0.3 and 2 otherwise (sd of the share among 5,000 movers: 0.0065).
  Residents r;
  for (int k = 0; k < 20000; ++k) r.household({20 + k % 60});
  std::vector<Move> moves;
  internalMigration(r.list(), kYear, kSeed,
                    model(0.25, [](int, double u) { return core::RegionIndex{static_cast<core::RegionIndex>(u < 0.3 ? 1 : 2)}; }),
                    moves);
  EXPECT_NEAR(static_cast<double>(moves.size()), 5000.0, 4.0 * 61.2);
  double to_one = 0.0;
  for (const auto& m : moves) to_one += m.destination == 1;
  EXPECT_NEAR(to_one / static_cast<double>(moves.size()), 0.3, 4.0 * 0.0065);
}

TEST(InternalMigration, AHouseholdsDecisionDependsOnlyOnItsReferencePerson) {
  // The same households in two regions, one of them holding other households as well: the
  // shared households decide identically (draws are keyed by the reference person's id).
  Residents all;
  for (int k = 0; k < 2000; ++k) all.household({25 + k % 40, 3});
  std::vector<Resident> half;
  for (std::size_t i = 0; i < all.list().size(); ++i)
    if ((all.list()[i].household % 2) == 0) half.push_back(all.list()[i]);
  const auto m = model(0.3, [](int, double u) { return static_cast<core::RegionIndex>(1 + static_cast<int>(u * 10)); });
  std::vector<Move> moves_all, moves_half;
  internalMigration(all.list(), kYear, kSeed, m, moves_all);
  internalMigration(half, kYear, kSeed, m, moves_half);
  std::map<core::PersonId, core::RegionIndex> from_all, from_half;
  for (const auto& move : moves_all)
    if (all.list()[move.first].household % 2 == 0) from_all[all.list()[move.first].id] = move.destination;
  for (const auto& move : moves_half) from_half[half[move.first].id] = move.destination;
  EXPECT_FALSE(from_half.empty());
  EXPECT_EQ(from_all, from_half);
}

}  // namespace
}  // namespace popsim::kernels
