// The local-extinction outlook on hand-made data, the scenario selectors and how effects compose,
// and each effect in the simulation against its expectation.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "io/config.hpp"
#include "model/initial_population.hpp"
#include "model/outlook.hpp"
#include "model/policy.hpp"
#include "model/projection.hpp"
#include "support/test_support.hpp"

namespace popsim::model {
namespace {

const core::RegionTable& regions() { return test::baselineInputs().regions; }

TEST(Extinction, IndexAndClassBoundaries) {
  EXPECT_DOUBLE_EQ(extinctionIndex(30, 100), 0.3);
  EXPECT_EQ(extinctionIndex(0, 0), 0.0);
  EXPECT_TRUE(std::isinf(extinctionIndex(5, 0)));
  EXPECT_EQ(extinctionClass(0.0), 0);
  EXPECT_EQ(extinctionClass(0.1999), 0);
  EXPECT_EQ(extinctionClass(0.2), 1);
  EXPECT_EQ(extinctionClass(0.4999), 1);
  EXPECT_EQ(extinctionClass(0.5), 2);
  EXPECT_EQ(extinctionClass(1.0), 3);
  EXPECT_EQ(extinctionClass(1.4999), 3);
  EXPECT_EQ(extinctionClass(1.5), 4);
  EXPECT_EQ(extinctionClass(std::numeric_limits<double>::infinity()), 4);
}

// Results of 3 time points (2023-2025, 4 rows of room) where every region has 100 women aged
// 30, 100 men aged 30 and 100 men aged 70 (index 1.0, class 3), except region 0, whose women
// aged 30 go 100 -> 40 -> 10 (classes 3, 1, 0) and region 1, which empties in 2025. In 2024
// region 0 also has 60 foreign women aged 30: residents, but not in the registered population
// on which the index is computed.
std::vector<io::ResultsTable> handMade() {
  const std::size_t R = regions().size();
  const std::size_t P = regions().provinces().size();
  io::ResultsTable years{"years", {4}, 3, {2023, 2024, 2025}};
  io::ResultsTable pop{"population", {4, R, 2, 101}, 3, std::vector<std::int64_t>(3 * R * 202, 0)};
  for (std::size_t t = 0; t < 3; ++t)
    for (std::size_t r = 0; r < R; ++r) {
      auto at = [&](int s, int a) -> std::int64_t& { return pop.values[((t * R + r) * 2 + static_cast<std::size_t>(s)) * 101 + static_cast<std::size_t>(a)]; };
      at(0, 30) = 100;
      at(0, 70) = 100;
      at(1, 30) = r == 0 ? std::array<std::int64_t, 3>{100, 40, 10}[t] : 100;
      if (r == 1 && t == 2) at(0, 30) = at(0, 70) = at(1, 30) = 0;
    }
  io::ResultsTable nationals = pop;
  nationals.name = "nationals/population";
  pop.values[((1 * R + 0) * 2 + 1) * 101 + 30] += 60;
  io::ResultsTable births{"births", {4, R, 35}, 3, std::vector<std::int64_t>(3 * R * 35, 0)};
  births.values[(1 * R + 0) * 35 + 15] = 7;  // 2024, region 0, mothers aged 30
  io::ResultsTable in{"migration/in", {4, R}, 3, std::vector<std::int64_t>(3 * R, 0)};
  io::ResultsTable out{"migration/out", {4, R}, 3, std::vector<std::int64_t>(3 * R, 0)};
  in.values[1 * R + 0] = 5;
  out.values[1 * R + 2] = 5;
  (void)P;
  return {years, pop, nationals, births, in, out};
}

const OutlookTable& find(const std::vector<OutlookTable>& v, const std::string& name) {
  for (const auto& t : v)
    if (t.name == name) return t;
  ADD_FAILURE() << "no outlook table " << name;
  return v.front();
}

TEST(Extinction, OutlookOnAHandMadePopulation) {
  const std::size_t R = regions().size();
  // scale 0.01: 300 agents = 30,000 persons, 200 = 20,000
  const auto o = outlook(handMade(), 3, regions(), 0.01, 25000.0);
  const auto& index = find(o, "extinction/index");
  const auto& klass = find(o, "extinction/class");
  EXPECT_DOUBLE_EQ(index.real[0 * R + 0], 1.0);
  EXPECT_DOUBLE_EQ(index.real[1 * R + 0], 0.4) << "the foreign women do not count";
  EXPECT_DOUBLE_EQ(index.real[2 * R + 0], 0.1);
  EXPECT_EQ(klass.count[0 * R + 0], 3);
  EXPECT_EQ(klass.count[1 * R + 0], 1);
  EXPECT_EQ(klass.count[2 * R + 0], 0);
  EXPECT_EQ(klass.count[2 * R + 1], 0) << "an empty region has index 0";
  EXPECT_TRUE(std::isnan(index.real[3 * R + 5])) << "a time point not simulated";
  EXPECT_EQ(klass.count[3 * R + 5], -1);
  const auto& by_class = find(o, "extinction/regions_by_class");
  EXPECT_EQ(by_class.count[0 * 5 + 3], static_cast<std::int64_t>(R));
  EXPECT_EQ(by_class.count[1 * 5 + 1], 1);
  EXPECT_EQ(by_class.count[1 * 5 + 3], static_cast<std::int64_t>(R - 1));
  EXPECT_EQ(by_class.count[2 * 5 + 0], 2);
  EXPECT_EQ(by_class.count[3 * 5 + 0], 0);
  const auto& first = find(o, "extinction/first_year_in_class");
  EXPECT_EQ(first.count[0 * 5 + 3], 2023);
  EXPECT_EQ(first.count[0 * 5 + 1], 2024);
  EXPECT_EQ(first.count[0 * 5 + 0], 2025);
  EXPECT_EQ(first.count[0 * 5 + 2], -1) << "region 0 skipped the caution class";
  EXPECT_EQ(first.count[5 * 5 + 0], -1);
  const auto& below = find(o, "extinction/first_year_below");
  EXPECT_EQ(below.count[0], 2024) << "240 agents = 24,000 persons < 25,000";
  EXPECT_EQ(below.count[1], 2025);
  EXPECT_EQ(below.count[5], -1);

  // Aggregates: region 0 (Seoul, capital region) got 5 in-migrants from region 2 (Seoul too).
  const auto p = *regions().findProvince(regions()[0].province_code);
  const std::size_t P = regions().provinces().size();
  EXPECT_EQ(find(o, "aggregates/province/net_internal_migration").real[1 * P + p], 0.0) << "moves inside a province cancel";
  EXPECT_EQ(find(o, "aggregates/province/births").real[1 * P + p], 7.0);
  const auto& median = find(o, "aggregates/capital/median_age");
  EXPECT_DOUBLE_EQ(median.real[0 * 2 + 1], 30.75) << "200 aged 30, 100 aged 70: the 150th person is 3/4 into the year of age 30";
  const auto& dependency = find(o, "aggregates/capital/old_age_dependency");
  EXPECT_DOUBLE_EQ(dependency.real[0 * 2 + 1], 50.0) << "100 aged 65+ per 200 aged 15-64";
  EXPECT_DOUBLE_EQ(find(o, "aggregates/capital/share_65plus").real[0 * 2 + 0], 1.0 / 3.0);
}

io::Scenario scenario(std::vector<io::Intervention> interventions) {
  io::Scenario s;
  s.path = "test";
  s.name = "test";
  s.interventions = std::move(interventions);
  return s;
}

io::Intervention intervention(io::RegionSelector selector, io::Effects effects, int start = 2024, int end = 2030) {
  io::Intervention iv{std::string(1, 'i'), start, end, {}, {}, {}};
  iv.start_year = start;
  iv.end_year = end;
  iv.selector = std::move(selector);
  iv.effects = effects;
  return iv;
}

TEST(Policy, SelectorsMatchTheirRegions) {
  const auto& rs = regions();
  const std::size_t R = rs.size();
  const std::vector<double> index(R, 0.7);
  io::RegionSelector by_province;
  by_province.provinces = {11};
  io::RegionSelector by_code;
  by_code.regions = {rs[5].code, rs[100].code};
  io::RegionSelector declining;
  declining.flags = {"population_declining_area"};
  io::RegionSelector non_capital_declining_in_46;
  non_capital_declining_in_46.flags = {"non_capital_region"};
  non_capital_declining_in_46.provinces = {46};
  io::RegionSelector rule;
  rule.all = false;
  rule.extinction_index_below = 0.5;
  io::RegionSelector all;
  all.all = true;
  const auto s = scenario({intervention(by_province, {}), intervention(by_code, {}), intervention(declining, {}),
                           intervention(non_capital_declining_in_46, {}), intervention(rule, {}), intervention(all, {}, 2026, 2027)});
  Policy policy(s, rs);
  auto rule_index = index;
  rule_index[7] = 0.3;
  policy.update(2025, rule_index);
  std::size_t declining_count = 0;
  for (std::size_t r = 0; r < R; ++r) {
    const auto& region = rs[static_cast<core::RegionIndex>(r)];
    const auto ri = static_cast<core::RegionIndex>(r);
    EXPECT_EQ(policy.selects(0, ri), region.province_code == 11) << r;
    EXPECT_EQ(policy.selects(1, ri), r == 5 || r == 100) << r;
    EXPECT_EQ(policy.selects(2, ri), region.declining_area) << r;
    EXPECT_EQ(policy.selects(3, ri), region.province_code == 46) << r;
    EXPECT_EQ(policy.selects(4, ri), r == 7) << "the rule uses this year's index";
    EXPECT_FALSE(policy.selects(5, ri)) << "2025 is before the intervention's start";
    declining_count += region.declining_area;
  }
  EXPECT_EQ(declining_count, 89u);
  policy.update(2027, index);
  EXPECT_TRUE(policy.selects(5, 0));
  policy.update(2031, index);
  EXPECT_FALSE(policy.selects(0, 0)) << "after the end year";
}

TEST(Policy, EffectsCompose) {
  io::RegionSelector all;
  all.all = true;
  io::RegionSelector seoul;
  seoul.provinces = {11};
  io::Effects a;
  a.fertility_multiplier = 1.2;
  a.mortality_multiplier = 0.9;
  a.out_migration_multiplier = {0.5, 20, 29, true};
  a.attractiveness = {0.3, 20, 39, true};
  io::Effects b;
  b.birth_grant_million_krw = 10.0;
  b.birth_grant_effect = 0.016;
  b.out_migration_multiplier = {0.5, 25, 34, true};
  b.attractiveness = {0.2, 60, 100, true};
  const auto s = scenario({intervention(all, a), intervention(seoul, b)});
  Policy policy(s, regions());
  policy.update(2025, std::vector<double>(regions().size(), 1.0));
  const core::RegionIndex seoul0 = 0, busan = *regions().find(2611000000);
  EXPECT_DOUBLE_EQ(policy.fertility(seoul0), 1.2 * 1.16);
  EXPECT_DOUBLE_EQ(policy.fertility(busan), 1.2);
  EXPECT_DOUBLE_EQ(policy.mortality(seoul0), 0.9);
  EXPECT_DOUBLE_EQ(policy.outMigration(seoul0, 22), 0.5);
  EXPECT_DOUBLE_EQ(policy.outMigration(seoul0, 27), 0.25);
  EXPECT_DOUBLE_EQ(policy.outMigration(seoul0, 33), 0.5);
  EXPECT_DOUBLE_EQ(policy.outMigration(seoul0, 40), 1.0);
  EXPECT_DOUBLE_EQ(policy.outMigration(busan, 27), 0.5);
  // attractiveness by destination-model group 0-19, 20-29, 30-39, 40-59, 60+ (added)
  const auto& att = policy.attractiveness();
  EXPECT_EQ(att[seoul0], (std::array<double, 5>{0.0, 0.3, 0.3, 0.0, 0.2}));
  EXPECT_EQ(att[busan], (std::array<double, 5>{0.0, 0.3, 0.3, 0.0, 0.0}));
}

// Each effect in the simulation: one year at 2% scale, against the same year without it. The
// random draws are per person and purpose, so regions an effect does not touch are bit-identical
// and the touched ones differ only by the effect; e.g. a fertility multiplier of 1.2 raises the
// expected births of its regions by exactly 20% (the same women, rates x 1.2), and the simulated
// births follow within binomial noise.
class Effects : public ::testing::Test {
 protected:
  struct Year {
    std::vector<io::RegionYearRecord> records;
    std::vector<io::RegionYearRecord> start;
  };
  static Year simulate(const io::Scenario& s) {
    auto config = test::baseline();
    config.scale = 0.02;
    config.scenario = s;
    auto initial = synthesizePopulation(config, test::baselineInputs(), MPI_COMM_SELF);
    Projection p(config, test::baselineInputs(), std::move(initial.population), std::move(initial.owner), MPI_COMM_SELF);
    Year y;
    y.start = p.records();
    p.step();
    y.records = p.records();
    return y;
  }
  static void SetUpTestSuite() { base_ = new Year(simulate(io::Scenario{})); }
  static void TearDownTestSuite() { delete base_; }
  static Year* base_;
};
Effects::Year* Effects::base_ = nullptr;

std::int64_t births(const io::RegionYearRecord& r) { return std::accumulate(r.births.begin(), r.births.end(), std::int64_t{0}); }
std::int64_t deaths(const io::RegionYearRecord& r) {
  std::int64_t n = 0;
  for (const auto& s : r.deaths) n += std::accumulate(s.begin(), s.end(), std::int64_t{0});
  return n;
}

TEST_F(Effects, FertilityMultiplierOnOneProvince) {
  if (test::rank() != 0) return;
  io::RegionSelector gyeonggi;
  gyeonggi.provinces = {41};
  io::Effects e;
  e.fertility_multiplier = 1.2;
  const auto y = simulate(scenario({intervention(gyeonggi, e)}));
  double in = 0, in_base = 0;
  for (std::size_t r = 0; r < regions().size(); ++r) {
    if (regions()[static_cast<core::RegionIndex>(r)].province_code == 41) {
      in += static_cast<double>(births(y.records[r]));
      in_base += static_cast<double>(births(base_->records[r]));
    } else {
      ASSERT_EQ(births(y.records[r]), births(base_->records[r])) << "region " << r << " is not selected";
    }
  }
  ASSERT_GT(in_base, 500.0);
  // Extra births: about Poisson(0.2 x base) on top of the base births (the same draws).
  EXPECT_NEAR(in / in_base, 1.2, 4.0 * std::sqrt(0.2 * in_base) / in_base) << in << " vs " << in_base;
}

TEST_F(Effects, BirthGrantEverywhere) {
  if (test::rank() != 0) return;
  io::RegionSelector all;
  all.all = true;
  io::Effects e;
  e.birth_grant_million_krw = 10.0;
  e.birth_grant_effect = 0.016;
  const auto y = simulate(scenario({intervention(all, e)}));
  double b = 0, b0 = 0;
  for (std::size_t r = 0; r < regions().size(); ++r) {
    b += static_cast<double>(births(y.records[r]));
    b0 += static_cast<double>(births(base_->records[r]));
  }
  // The extra births are the women whose draw falls in [p, 1.16 p): Poisson with mean 0.16 x the
  // expected base births, which b0 estimates with its own Poisson noise; 5 sd of both.
  EXPECT_NEAR(b / b0, 1.16, 5.0 * std::sqrt((0.16 + 0.16 * 0.16) * b0) / b0) << b << " vs " << b0;
}

TEST_F(Effects, MortalityMultiplier) {
  if (test::rank() != 0) return;
  io::RegionSelector busan;
  busan.provinces = {26};
  io::Effects e;
  e.mortality_multiplier = 0.5;
  const auto y = simulate(scenario({intervention(busan, e)}));
  double d = 0, d0 = 0;
  for (std::size_t r = 0; r < regions().size(); ++r) {
    if (regions()[static_cast<core::RegionIndex>(r)].province_code == 26) {
      d += static_cast<double>(deaths(y.records[r]));
      d0 += static_cast<double>(deaths(base_->records[r]));
    } else {
      ASSERT_EQ(deaths(y.records[r]), deaths(base_->records[r])) << r;
    }
  }
  ASSERT_GT(d0, 200.0);
  EXPECT_NEAR(d / d0, 0.5, 4.0 * std::sqrt(0.25 * d0) / d0) << d << " vs " << d0;
}

TEST_F(Effects, OutMigrationMultiplierForAges) {
  if (test::rank() != 0) return;
  io::RegionSelector seoul;
  seoul.provinces = {11};
  io::Effects e;
  e.out_migration_multiplier = {0.0, 20, 39, true};
  const auto y = simulate(scenario({intervention(seoul, e)}));
  double young = 0, young0 = 0;
  for (std::size_t r = 0; r < regions().size(); ++r) {
    const auto& a = y.records[r].migrants_out_by_age;
    const auto& b = base_->records[r].migrants_out_by_age;
    if (regions()[static_cast<core::RegionIndex>(r)].province_code == 11) {
      for (int x = 25; x <= 34; ++x) {
        young += static_cast<double>(a[static_cast<std::size_t>(x)]);
        young0 += static_cast<double>(b[static_cast<std::size_t>(x)]);
      }
    } else {
      ASSERT_EQ(a, b) << "region " << r << ": its households decide as before";
    }
  }
  ASSERT_GT(young0, 300.0);
  // Movers aged 25-34 from Seoul now leave only with an older household reference person (about
  // a fifth of them did so before).
  EXPECT_LT(young, 0.25 * young0) << young << " vs " << young0;
}

TEST_F(Effects, AttractivenessOfDestinations) {
  if (test::rank() != 0) return;
  io::RegionSelector jeju;
  jeju.provinces = {50};
  io::Effects e;
  e.attractiveness = {1.0, 0, 100, true};
  const auto y = simulate(scenario({intervention(jeju, e)}));
  double in = 0, in0 = 0;
  for (std::size_t r = 0; r < regions().size(); ++r) {
    if (regions()[static_cast<core::RegionIndex>(r)].province_code != 50)
      ASSERT_EQ(y.records[r].migrants_out, base_->records[r].migrants_out) << "leaving does not depend on destinations";
    else {
      in += static_cast<double>(y.records[r].migrants_in);
      in0 += static_cast<double>(base_->records[r].migrants_in);
    }
  }
  ASSERT_GT(in0, 50.0);
  // A destination chosen with probability p is chosen with e p / (1 - p + e p) when its utility
  // rises by 1: about e = 2.7 times as often from the mainland (small p), less from the other
  // Jeju region, which its neighbours choose often (distance decay); so between 1.5 and e.
  EXPECT_GT(in / in0, 1.5) << in << " vs " << in0;
  EXPECT_LT(in / in0, 3.0) << in << " vs " << in0;
}

TEST_F(Effects, ExtinctionRuleSelectsOnTheStartOfYearIndex) {
  if (test::rank() != 0) return;
  io::RegionSelector rule;
  rule.extinction_index_below = 0.2;
  io::Effects e;
  e.fertility_multiplier = 1.5;
  const auto y = simulate(scenario({intervention(rule, e)}));
  std::size_t selected = 0;
  for (std::size_t r = 0; r < regions().size(); ++r) {
    const auto& p = base_->start[r].nationals;  // KEIS counts the registered population
    double women = 0, old = 0;
    for (int a = 20; a <= 39; ++a) women += static_cast<double>(p[1][static_cast<std::size_t>(a)]);
    for (int s = 0; s < 2; ++s)
      for (int a = 65; a <= 100; ++a) old += static_cast<double>(p[static_cast<std::size_t>(s)][static_cast<std::size_t>(a)]);
    if (extinctionIndex(women, old) < 0.2) {
      ++selected;
      EXPECT_GE(births(y.records[r]), births(base_->records[r])) << r;
    } else {
      EXPECT_EQ(births(y.records[r]), births(base_->records[r])) << r;
    }
  }
  EXPECT_GT(selected, 20u) << "regions at high risk in 2023";
}

}  // namespace
}  // namespace popsim::model
