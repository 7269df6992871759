// The synthesised population: exact counts, household invariants and composition, and
// independence from the number of threads.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "model/initial_population.hpp"
#include "model/synthesis.hpp"
#include "support/population_checks.hpp"
#include "support/test_support.hpp"

namespace popsim::model {
namespace {

io::AgeSexCounts countsOf(const core::Persons& p, std::size_t begin, std::size_t end, int year,
                          core::Nationality nationality) {
  io::AgeSexCounts c{};
  for (std::size_t i = begin; i < end; ++i)
    if (core::nationalityOf(p.flags[i]) == nationality) ++c[static_cast<int>(p.sex[i])][core::ageClass(year - p.birth_year[i])];
  return c;
}

constexpr auto kNational = core::Nationality::National;
constexpr auto kForeign = core::Nationality::Foreign;

core::Population synthesizeAt(double scale, int threads) {
  auto config = test::baseline();
  config.scale = scale;
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  auto result = synthesizePopulation(config, test::baselineInputs(), MPI_COMM_SELF);
  omp_set_num_threads(saved);
  return std::move(result.population);
}

TEST(ScaledCounts, AreTheInputsAtScaleOne) {
  const auto& in = test::baselineInputs();
  EXPECT_EQ(scaledCounts(in.population[0], 1.0, 1, in.regions[0].code, 2023), in.population[0]);
}

TEST(ScaledCounts, RoundEachCellUpOrDownAndAreUnbiased) {
  const auto& in = test::baselineInputs();
  constexpr double scale = 0.01;
  double expected = 0.0;
  std::int64_t total = 0;
  for (std::size_t r = 0; r < in.regions.size(); ++r) {
    const auto s = scaledCounts(in.population[r], scale, 99, in.regions[static_cast<core::RegionIndex>(r)].code, 2023);
    for (int sex = 0; sex < 2; ++sex)
      for (int a = 0; a < core::kAgeClasses; ++a) {
        const double x = static_cast<double>(in.population[r][sex][a]) * scale;
        ASSERT_TRUE(s[sex][a] == static_cast<std::int64_t>(std::floor(x)) ||
                    s[sex][a] == static_cast<std::int64_t>(std::ceil(x)));
        expected += x;
        total += s[sex][a];
      }
  }
  // 46,258 cells, each a Bernoulli rounding: sd of the total below 108; allow 5 sd.
  EXPECT_NEAR(static_cast<double>(total), expected, 540.0);
}

TEST(SynthesizeRegion, FullScaleRegionHasExactCountsAndValidHouseholds) {
  const auto& in = test::baselineInputs();
  const auto& config = test::baseline();
  // The smallest region (an island county) and a large city district, at full scale.
  core::RegionIndex smallest = 0, largest = 0;
  for (std::size_t r = 0; r < in.regions.size(); ++r) {
    const auto ri = static_cast<core::RegionIndex>(r);
    if (in.regionPopulation(ri) < in.regionPopulation(smallest)) smallest = ri;
    if (in.regionPopulation(ri) > in.regionPopulation(largest)) largest = ri;
  }
  // Nationals exactly as registered, cell for cell; foreign residents exactly as in their table,
  // each in households of their own.
  for (const auto r : {smallest, largest})
    for (const auto n : {kNational, kForeign}) {
    const auto& counts = in.populationOf(n)[r];
    const auto households = n == kNational ? in.households[r] : in.foreign_households[r];
    const auto input = regionInput(config, in, r, counts, households, 1, n);
    core::Population pop;
    pop.persons.resize(static_cast<std::size_t>(io::total(counts)));
    const auto stats = synthesizeRegion(input, pop.persons, 0);
    EXPECT_EQ(countsOf(pop.persons, 0, pop.persons.size(), config.start_year, n), counts) << in.regions[r].name_en;
    // The registered count within 3%: the one-person households come from living_alone.csv, an
    // estimate that does not always leave the composition room for the exact count (Ulleung-gun,
    // 1.6 registered persons a household: 2.2% short at full scale). Nationally within 1% at a 1%
    // sample (SampleSynthesis); at full scale -0.03%.
    EXPECT_LE(std::abs(stats.households - households), 3 * households / 100 + 1) << in.regions[r].name_en;
    pop.households.resize(static_cast<std::size_t>(stats.households));
    for (std::size_t h = 0; h < pop.households.size(); ++h) {
      pop.households.id[h] = static_cast<core::HouseholdId>(h + 1);
      pop.households.region[h] = r;
    }
    for (auto& h : pop.persons.household) h += 1;
    pop.next_person_id = static_cast<core::PersonId>(pop.persons.size() + 1);
    test::expectHouseholdInvariants(pop, config.start_year);
  }
}

class SampleSynthesis : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { sample_ = new core::Population(synthesizeAt(0.01, 2)); }
  static void TearDownTestSuite() { delete sample_; }
  static core::Population* sample_;
};
core::Population* SampleSynthesis::sample_ = nullptr;

TEST_F(SampleSynthesis, CountsMatchTheScaledInputsInEveryRegion) {
  const auto& in = test::baselineInputs();
  const auto& config = test::baseline();
  const auto& pop = *sample_;
  ASSERT_EQ(pop.regions.size(), in.regions.size());
  for (std::size_t k = 0; k < pop.regions.size(); ++k) {
    const auto r = pop.regions[k];
    EXPECT_EQ(countsOf(pop.persons, pop.person_offset[k], pop.person_offset[k + 1], config.start_year, kNational),
              scaledCounts(in.population[r], 0.01, config.seed, in.regions[r].code, config.start_year));
    auto foreign = scaledCounts(in.population_foreign[r], 0.01, config.seed, in.regions[r].code, config.start_year, kForeign);
    if (io::adults(foreign) == 0) foreign = {};  // a sample of foreign minors only cannot be housed
    EXPECT_EQ(countsOf(pop.persons, pop.person_offset[k], pop.person_offset[k + 1], config.start_year, kForeign), foreign);
  }
}

TEST_F(SampleSynthesis, KeepsHouseholdInvariants) { test::expectHouseholdInvariants(*sample_, test::baseline().start_year); }

TEST_F(SampleSynthesis, HasARealisticComposition) {
  const auto& p = sample_->persons;
  const int year = test::baseline().start_year;
  std::int64_t expected_households = 0;
  const auto& in = test::baselineInputs();
  for (std::size_t r = 0; r < in.regions.size(); ++r) {
    const auto code = in.regions[static_cast<core::RegionIndex>(r)].code;
    expected_households += scaledHouseholds(in.households[r], 0.01, test::baseline().seed, code, year);
    expected_households += scaledHouseholds(in.foreign_households[r], 0.01, test::baseline().seed, code, year, kForeign);
  }
  const auto households = static_cast<std::int64_t>(sample_->households.size());
  EXPECT_LE(std::abs(households - expected_households), expected_households / 100);

  std::vector<std::uint32_t> size(sample_->next_household_id, 0);
  for (const auto h : p.household) ++size[h];
  const auto one_person = std::count(size.begin(), size.end(), 1u);
  const double one_share = static_cast<double>(one_person) / static_cast<double>(households);
  EXPECT_GT(one_share, 0.30);  // census 35.5%, registration 41.5%
  EXPECT_LT(one_share, 0.47);

  double gap_sum = 0.0;
  std::int64_t husbands = 0;
  std::int64_t minors = 0, minors_with_mother = 0;
  std::unordered_map<core::PersonId, std::size_t> index;
  for (std::size_t i = 0; i < p.size(); ++i) index.emplace(p.id[i], i);
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p.partner[i] != core::kNoPerson && p.sex[i] == core::Sex::Male) {
      gap_sum += p.birth_year[index[p.partner[i]]] - p.birth_year[i];
      ++husbands;
    }
    if (year - p.birth_year[i] < 18) {
      ++minors;
      minors_with_mother += p.mother[i] != core::kNoPerson;
    }
  }
  EXPECT_NEAR(gap_sum / static_cast<double>(husbands), test::baseline().synthesis.spouse_age_gap_mean_years, 1.0);
  // Minors live with their mother unless placed with a lone father (3%) or kin.
  EXPECT_GT(static_cast<double>(minors_with_mother) / static_cast<double>(minors), 0.93);
  // About half of adults are married in Korea.
  EXPECT_GT(2.0 * static_cast<double>(husbands) / static_cast<double>(p.size()), 0.35);
}

TEST(Synthesis, IsIndependentOfTheThreadCount) {
  const auto one = synthesizeAt(0.002, 1);
  const auto three = synthesizeAt(0.002, 3);
  EXPECT_EQ(one.persons.id, three.persons.id);
  EXPECT_EQ(one.persons.partner, three.persons.partner);
  EXPECT_EQ(one.persons.mother, three.persons.mother);
  EXPECT_EQ(one.persons.household, three.persons.household);
  EXPECT_EQ(one.persons.birth_year, three.persons.birth_year);
  EXPECT_EQ(one.persons.region, three.persons.region);
  EXPECT_EQ(one.persons.sex, three.persons.sex);
  EXPECT_EQ(one.persons.parity, three.persons.parity);
  EXPECT_EQ(one.persons.flags, three.persons.flags);
  EXPECT_EQ(one.households.id, three.households.id);
  EXPECT_EQ(one.households.region, three.households.region);
  EXPECT_EQ(one.person_offset, three.person_offset);
  EXPECT_EQ(one.next_person_id, three.next_person_id);
  EXPECT_EQ(one.next_household_id, three.next_household_id);
}

TEST_F(SampleSynthesis, HouseholdSizesAndParitiesArePlausible) {
  const auto& p = sample_->persons;
  std::vector<std::uint32_t> size(sample_->next_household_id, 0);
  for (const auto h : p.household) ++size[h];
  std::vector<double> share(9, 0.0);
  for (std::size_t h = 1; h < size.size(); ++h) share[std::min<std::uint32_t>(size[h], 8)] += 1.0;
  for (auto& s : share) s /= static_cast<double>(sample_->households.size());
  // Census 2023: 1 person 35.5%, 2 persons 28.8%, 3 persons 19.2%, 4 persons 13.0%, 5+ 3.5%
  // (registration counts more one-person units). Large households are rare and none is a hostel.
  EXPECT_LT(share[8], 0.001) << "households of 8 or more";
  EXPECT_LE(*std::max_element(size.begin(), size.end()), 16u);
  EXPECT_GT(share[2], 0.22);
  EXPECT_GT(share[3], 0.12);
  EXPECT_GT(share[4], 0.06);
  EXPECT_LT(share[5] + share[6] + share[7], 0.08);
  // Parity counts linked children: the size calibration gives some mothers more children than
  // max_dependents_per_adult (large households are the register's), never implausibly many.
  EXPECT_LE(*std::max_element(p.parity.begin(), p.parity.end()), 10);
  std::size_t many = 0;
  for (const auto k : p.parity) many += k >= 5;
  EXPECT_LT(static_cast<double>(many), 0.002 * static_cast<double>(p.parity.size()));
}

}  // namespace
}  // namespace popsim::model
