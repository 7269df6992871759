// The projection agrees with the cohort-component oracle in expectation, keeps its invariants
// every year, and is bit-identical for any number of threads and ranks.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>

#include "io/config.hpp"
#include "model/initial_population.hpp"
#include "model/projection.hpp"
#include "oracle/cohort_component.hpp"
#include "parallel/region_rows.hpp"
#include "support/population_checks.hpp"
#include "support/test_support.hpp"

namespace popsim::model {
namespace {

struct National {
  oracle::BySexAge population{};
  oracle::BySexAge nationals{};
  double national_births = 0.0;
  double births = 0.0;
  double deaths = 0.0;
  double immigrants = 0.0;
  double emigrants = 0.0;
  std::array<double, 35> births_by_age{};
};

// National totals of the records (summed over all ranks).
National national(const Projection& p, MPI_Comm comm) {
  std::vector<double> v(202 + 2 + 35 + 2 + 202 + 1, 0.0);
  for (const auto& r : p.records()) {
    v[443] += static_cast<double>(r.national_births);
    for (int s = 0; s < 2; ++s)
      for (int a = 0; a <= 100; ++a) v[241 + s * 101 + a] += static_cast<double>(r.nationals[s][a]);
    v[239] += static_cast<double>(r.immigrants);
    v[240] += static_cast<double>(r.emigrants);
    for (int s = 0; s < 2; ++s)
      for (int a = 0; a <= 100; ++a) {
        v[s * 101 + a] += static_cast<double>(r.population[s][a]);
        v[202 + 1] += static_cast<double>(r.deaths[s][a]);
      }
    for (int a = 0; a < 35; ++a) {
      v[202] += static_cast<double>(r.births[a]);
      v[204 + a] += static_cast<double>(r.births[a]);
    }
  }
  MPI_Allreduce(MPI_IN_PLACE, v.data(), static_cast<int>(v.size()), MPI_DOUBLE, MPI_SUM, comm);
  National n;
  for (int s = 0; s < 2; ++s)
    for (int a = 0; a <= 100; ++a) n.population[s][a] = v[s * 101 + a];
  n.births = v[202];
  n.deaths = v[203];
  for (int a = 0; a < 35; ++a) n.births_by_age[a] = v[204 + a];
  n.immigrants = v[239];
  n.emigrants = v[240];
  for (int s = 0; s < 2; ++s)
    for (int a = 0; a <= 100; ++a) n.nationals[s][a] = v[241 + s * 101 + a];
  n.national_births = v[443];
  return n;
}

void expectSameRecords(const io::RegionYearRecord& a, const io::RegionYearRecord& b, const std::string& where);

Projection start(const io::Config& config, MPI_Comm comm) {
  auto initial = synthesizePopulation(config, test::baselineInputs(), comm);
  return Projection(config, test::baselineInputs(), std::move(initial.population), std::move(initial.owner), comm);
}

io::Config scaled(double scale) {
  auto c = test::baseline();
  c.scale = scale;
  return c;
}

TEST(Projection, AgreesWithTheCohortComponentOracle) {
  if (test::rank() != 0) return;
  constexpr int kYears = 30;
  const auto config = scaled(0.01);
  auto projection = start(config, MPI_COMM_SELF);
  std::vector<National> sim = {national(projection, MPI_COMM_SELF)};
  for (int t = 1; t <= kYears; ++t) {
    projection.step();
    sim.push_back(national(projection, MPI_COMM_SELF));
  }
  const auto expected = oracle::project(test::baselineInputs(), config.model, sim[0].population, sim[0].nationals,
                                        config.start_year, kYears, config.scale);
  // (b) births and deaths every year, within 4 standard deviations (Poisson, >= binomial).
  for (int t = 1; t <= kYears; ++t) {
    const auto& o = expected[static_cast<std::size_t>(t - 1)];
    double deaths = 0.0;
    for (const auto& s : o.deaths) deaths += std::accumulate(s.begin(), s.end(), 0.0);
    EXPECT_NEAR(sim[t].births, o.births, 4.0 * std::sqrt(o.births)) << o.year;
    // Children of national mothers (a few more: foreign mothers with a national husband).
    EXPECT_NEAR(sim[t].national_births, o.national_births, 4.0 * std::sqrt(o.births)) << o.year;
    EXPECT_NEAR(sim[t].deaths, deaths, 4.0 * std::sqrt(deaths)) << o.year;
    // (c) the TFR measured from simulated births and women at the start of the year (foreign
    // women weighted by their relative fertility: the path is the nationals' TFR).
    double tfr = 0.0;
    double variance = 0.0;
    for (int a = 15; a <= 49; ++a) {
      const double nationals = sim[t - 1].nationals[1][a];
      const double women = nationals + config.model.foreign_fertility_ratio * (sim[t - 1].population[1][a] - nationals);
      if (women == 0.0) continue;
      tfr += sim[t].births_by_age[a - 15] / women;
      variance += std::max(sim[t].births_by_age[a - 15], 1.0) / (women * women);
    }
    EXPECT_NEAR(tfr, o.tfr, 4.0 * std::sqrt(variance)) << o.year;
  }
  // (a) population by sex and 5-year age group after 30 years. A cohort alive at the start
  // varies by its deaths (binomial, variance below the expected deaths along its diagonal); a
  // cohort born since varies like its births (Poisson); migrant counts add their rounding.
  const auto& final_sim = sim.back().population;
  const auto& final_oracle = expected.back().population;
  for (int s = 0; s < 2; ++s)
    for (int g = 0; g <= 20; ++g) {
      double x = 0.0, e = 0.0, variance = 0.0;
      for (int a = 5 * g; a < std::min(5 * g + 5, 101); ++a) {
        x += final_sim[s][a];
        e += final_oracle[s][a];
        double cohort = 0.0;
        if (a >= kYears && a < 100) {
          for (int t = 1; t <= kYears; ++t) cohort += expected[static_cast<std::size_t>(t - 1)].deaths[s][a - (kYears - t) - 1];
        } else {
          cohort = final_oracle[s][a];
        }
        variance += cohort + 0.25 * kYears;
      }
      EXPECT_NEAR(x, e, 4.0 * std::sqrt(variance) + 1.0) << "sex " << s << " ages " << 5 * g << "+";
    }
  // The nationals after 30 years (births, deaths, naturalisations and their migration). The
  // oracle counts children of foreign mothers as foreign; in the simulation those whose mother
  // married a national are nationals, so the nationals lie between the oracle's and the oracle's
  // plus all births to foreign mothers, within 4 standard deviations of the events' noise.
  {
    double sim_nationals = 0.0, oracle_nationals = 0.0, variance = 0.0, foreign_mothers = 0.0;
    for (int s = 0; s < 2; ++s)
      for (int a = 0; a <= 100; ++a) {
        sim_nationals += sim.back().nationals[s][a];
        oracle_nationals += expected.back().nationals[s][a];
      }
    for (const auto& o : expected) {
      variance += o.births + 0.25 * 404;
      foreign_mothers += o.births - o.national_births;
      for (const auto& d : o.deaths) variance += std::accumulate(d.begin(), d.end(), 0.0);
    }
    EXPECT_GT(foreign_mothers, 0.0);
    EXPECT_GE(sim_nationals, oracle_nationals - 4.0 * std::sqrt(variance));
    EXPECT_LE(sim_nationals, oracle_nationals + foreign_mothers + 4.0 * std::sqrt(variance));
  }
  // Net international migration every year: the path's total (nationals and foreigners), rounded
  // per nationality-sex-age cell without bias.
  for (int t = 1; t <= kYears; ++t) {
    const auto rates = ratesFor(test::baselineInputs(), config.model, config.start_year + t);
    const double net = rates.net_international_migration[0] + rates.net_international_migration[1];
    EXPECT_NEAR(sim[t].immigrants - sim[t].emigrants, net * config.scale, 40.0) << config.start_year + t;
  }
  // The projection moved: deaths outnumber births in Korea's first decades.
  EXPECT_GT(sim[10].deaths, sim[10].births);
}

TEST(Projection, KeepsItsInvariantsEveryYear) {
  if (test::rank() != 0) return;
  auto config = scaled(0.003);
  ASSERT_TRUE(config.model.checks);
  auto projection = start(config, MPI_COMM_SELF);
  const auto& in = test::baselineInputs();
  for (int t = 1; t <= 12; ++t) {
    // Expected marriages: half the expected entrants of both sexes among the unmarried adults
    // who survive (about 1% die first; married persons living apart from their spouse are not in
    // the market); expected divorces: the wives' rates.
    const auto& p = projection.population().persons;
    double marriages = 0.0, divorces = 0.0;
    for (std::size_t i = 0; i < p.size(); ++i) {
      const int a = projection.year() - p.birth_year[i];
      const int s = static_cast<int>(p.sex[i]);
      if (a < 18) continue;
      if (p.partner[i] == core::kNoPerson && !(p.flags[i] & core::kFlagMarriedApart))
        marriages += 0.5 * in.unions.marriage[s][core::ageClass(a)];
      else if (s == 1) divorces += in.unions.divorce[1][core::ageClass(a)];
    }
    ASSERT_NO_THROW(projection.step()) << "year " << projection.year() + 1;
    test::expectHouseholdInvariants(projection.population(), projection.year());
    std::int64_t married = 0, divorced = 0;
    for (const auto& r : projection.records()) {
      married += r.marriages;
      divorced += r.divorces;
    }
    EXPECT_NEAR(static_cast<double>(married), marriages, 0.03 * marriages + 4.0 * std::sqrt(marriages)) << projection.year();
    EXPECT_NEAR(static_cast<double>(divorced), divorces, 0.03 * divorces + 4.0 * std::sqrt(divorces)) << projection.year();
  }
}

// The household indicators of a region recounted from its persons, household by household
// (members in household order), independently of Projection::countHouseholds.
struct HouseholdRecount {
  std::array<std::array<std::int64_t, 101>, 2> living_alone{};
  std::int64_t households = 0, one_person = 0, child_under_6 = 0, child_under_18 = 0, foreign = 0, mixed = 0;
  std::array<std::int64_t, 7> by_head_age{};
};

std::vector<HouseholdRecount> recountHouseholds(const core::Population& pop) {
  const auto& p = pop.persons;
  std::vector<HouseholdRecount> out(pop.regions.size());
  for (std::size_t k = 0; k < pop.regions.size(); ++k) {
    std::map<core::HouseholdId, std::vector<std::size_t>> members;
    for (auto i = pop.person_offset[k]; i < pop.person_offset[k + 1]; ++i) members[p.household[i]].push_back(i);
    auto& c = out[k];
    for (const auto& [id, m] : members) {
      auto age = [&](std::size_t i) { return pop.year - p.birth_year[i]; };
      ++c.households;
      if (m.size() == 1) {
        ++c.one_person;
        ++c.living_alone[static_cast<int>(p.sex[m[0]])][std::min(age(m[0]), 100)];
      }
      std::size_t foreign = 0;
      bool under_6 = false, under_18 = false;
      int head = -1;
      for (const auto i : m) {
        under_6 |= age(i) <= 5;
        under_18 |= age(i) <= 17;
        foreign += (p.flags[i] & core::kFlagForeign) != 0;
        if (head < 0 && age(i) >= 18) head = age(i);  // the first adult in household order
      }
      if (head < 0) head = age(m[0]);
      c.child_under_6 += under_6;
      c.child_under_18 += under_18;
      c.foreign += foreign == m.size();
      c.mixed += foreign > 0 && foreign < m.size();
      ++c.by_head_age[head < 30 ? 0 : head < 40 ? 1 : head < 50 ? 2 : head < 60 ? 3 : head < 70 ? 4 : head < 80 ? 5 : 6];
    }
  }
  return out;
}

// Each region's household indicators against a recount, and their identities: living alone =
// one-person households, 65+ / 80+ alone = sums of living alone, children under 18 >= under 6,
// households by head age sum to households, foreign + mixed <= households.
void expectHouseholdIndicators(const Projection& projection) {
  const auto& pop = projection.population();
  const auto recount = recountHouseholds(pop);
  std::int64_t alone = 0, foreign = 0, mixed = 0, old_heads = 0;
  for (std::size_t k = 0; k < pop.regions.size(); ++k) {
    const auto& r = projection.records()[k];
    const auto& c = recount[k];
    const std::string where = fmt::format("year {}, region {}", pop.year, pop.regions[k]);
    EXPECT_EQ(r.living_alone, c.living_alone) << where;
    EXPECT_EQ(r.with_child_under_6, c.child_under_6) << where;
    EXPECT_EQ(r.with_child_under_18, c.child_under_18) << where;
    EXPECT_EQ(r.foreign_households, c.foreign) << where;
    EXPECT_EQ(r.mixed_nationality, c.mixed) << where;
    EXPECT_EQ(std::vector<std::int64_t>(r.by_head_age.begin(), r.by_head_age.end()),
              std::vector<std::int64_t>(c.by_head_age.begin(), c.by_head_age.end())) << where;
    std::int64_t living_alone = 0, alone_65 = 0, alone_80 = 0;
    for (const auto& by_age : r.living_alone)
      for (int a = 0; a <= 100; ++a) {
        living_alone += by_age[a];
        alone_65 += a >= 65 ? by_age[a] : 0;
        alone_80 += a >= 80 ? by_age[a] : 0;
      }
    const auto households = std::accumulate(r.household_size.begin(), r.household_size.end(), std::int64_t{0});
    EXPECT_EQ(households, c.households) << where;
    EXPECT_EQ(living_alone, r.household_size[0]) << where;
    EXPECT_EQ(living_alone, c.one_person) << where;
    EXPECT_EQ(r.alone_65plus, alone_65) << where;
    EXPECT_EQ(r.alone_80plus, alone_80) << where;
    EXPECT_GE(r.with_child_under_18, r.with_child_under_6) << where;
    EXPECT_EQ(std::accumulate(r.by_head_age.begin(), r.by_head_age.end(), std::int64_t{0}), households) << where;
    EXPECT_LE(r.foreign_households + r.mixed_nationality, households) << where;
    alone += r.alone_80plus;
    foreign += r.foreign_households;
    mixed += r.mixed_nationality;
    old_heads += r.by_head_age[6];
  }
  // The indicators are not trivially zero at this scale. The start state has no mixed households
  // (foreign spouses of nationals are synthesised in foreign households, docs/model.md); children
  // of a national and a foreign parent make them in the first year.
  EXPECT_GT(alone, 0);
  EXPECT_GT(foreign, 0);
  EXPECT_GT(old_heads, 0);
  if (pop.year > test::baseline().start_year) {
    EXPECT_GT(mixed, 0);
  }
}

TEST(Projection, CountsTheHouseholdIndicatorsOfEveryHousehold) {
  if (test::rank() != 0) return;
  const auto config = scaled(0.003);  // the projection keeps a reference to it
  auto projection = start(config, MPI_COMM_SELF);
  expectHouseholdIndicators(projection);  // the start state
  for (int t = 1; t <= 4; ++t) {
    projection.step();
    expectHouseholdIndicators(projection);
  }
}

TEST(Projection, IsIdenticalWhenRegionsMoveBetweenRanks) {
  // Load balancing at the tightest threshold moves regions between ranks every year.
  auto config = scaled(0.003);
  config.parallel.rebalance_threshold = 1.0;
  auto distributed = start(config, MPI_COMM_WORLD);
  auto single = start(config, MPI_COMM_SELF);
  const auto initial_owner = distributed.owner();
  for (int t = 0; t < 5; ++t) {
    distributed.step();
    single.step();
  }
  if (test::size() > 1) {
    EXPECT_NE(distributed.owner(), initial_owner) << "no region moved between ranks";
  }
  const auto& owned = distributed.population().regions;
  for (std::size_t k = 0; k < owned.size(); ++k)
    expectSameRecords(distributed.records()[k], single.records()[owned[k]], "region " + std::to_string(owned[k]));
  std::uint64_t persons = distributed.population().persons.size();
  MPI_Allreduce(MPI_IN_PLACE, &persons, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_EQ(persons, single.population().persons.size());
}

TEST(Projection, AFailedCheckStopsTheRunNamingCheckYearAndRegion) {
  if (test::rank() != 0) return;
  const auto config = scaled(0.002);
  auto initial = synthesizePopulation(config, test::baselineInputs(), MPI_COMM_SELF);
  auto& p = initial.population.persons;
  std::size_t i = 0;
  while (p.partner[i] == core::kNoPerson) ++i;
  p.partner[i] = p.id[i];  // married to oneself: not a mutual couple
  Projection projection(config, test::baselineInputs(), std::move(initial.population), std::move(initial.owner),
                        MPI_COMM_SELF);
  try {
    projection.step();
    ADD_FAILURE() << "the broken partnership was not detected";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("check 'partners' failed in year 2024, region 1111000000 (Jongno-gu)"), std::string::npos) << what;
  }
}

TEST(Projection, EmigrationWhenNetMigrationIsNegative) {
  if (test::rank() != 0) return;
  // The shipped scenarios all have positive net migration: this one has -200,000 a year, all of
  // it foreign residents (the nationals' net is set to 0).
  test::TempDir dir;
  for (const auto& e : std::filesystem::directory_iterator(test::koreaInputs()))
    std::filesystem::copy(e.path(), dir.path() / e.path().filename());
  std::istringstream in(test::readFile(dir.path() / "assumptions_medium.csv"));
  std::string text, line;
  while (std::getline(in, line)) {
    if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0]))) {
      std::vector<std::string> f;
      std::stringstream cells(line);
      for (std::string c; std::getline(cells, c, ',');) f.push_back(c);
      f[4] = "-200000";
      f[5] = "0";
      line = f[0];
      for (std::size_t k = 1; k < f.size(); ++k) line += "," + f[k];
    }
    text += line + "\n";
  }
  test::writeFile(dir.path() / "assumptions_medium.csv", text);
  auto config = io::readConfig((dir.path() / "baseline.toml").string());
  config.scale = 0.003;
  const auto inputs = io::loadInputs(config);
  auto initial = synthesizePopulation(config, inputs, MPI_COMM_SELF);
  Projection projection(config, inputs, std::move(initial.population), std::move(initial.owner), MPI_COMM_SELF);
  for (int t = 1; t <= 6; ++t) {
    ASSERT_NO_THROW(projection.step()) << projection.year() + 1;
    test::expectHouseholdInvariants(projection.population(), projection.year());
    std::int64_t emigrants = 0, immigrants = 0;
    for (const auto& r : projection.records()) {
      emigrants += r.emigrants;
      immigrants += r.immigrants;
    }
    EXPECT_EQ(immigrants, 0);
    // 600 a year at this scale, rounded per cell; babies leaving with their mothers add a few.
    EXPECT_NEAR(static_cast<double>(emigrants), 200000.0 * config.scale, 40.0) << projection.year();
  }
}

void expectSameRecords(const io::RegionYearRecord& a, const io::RegionYearRecord& b, const std::string& where) {
  EXPECT_EQ(a.population, b.population) << where;
  EXPECT_EQ(a.nationals, b.nationals) << where;
  EXPECT_EQ(a.living_alone, b.living_alone) << where;
  EXPECT_EQ(a.alone_65plus, b.alone_65plus) << where;
  EXPECT_EQ(a.alone_80plus, b.alone_80plus) << where;
  EXPECT_EQ(a.with_child_under_6, b.with_child_under_6) << where;
  EXPECT_EQ(a.with_child_under_18, b.with_child_under_18) << where;
  EXPECT_EQ(a.by_head_age, b.by_head_age) << where;
  EXPECT_EQ(a.foreign_households, b.foreign_households) << where;
  EXPECT_EQ(a.mixed_nationality, b.mixed_nationality) << where;
  // Every field, also those added later and not named above.
  EXPECT_TRUE(a == b) << where << ": the records differ";
  EXPECT_EQ(a.births, b.births) << where;
  EXPECT_EQ(a.deaths, b.deaths) << where;
  EXPECT_EQ(a.household_size, b.household_size) << where;
  EXPECT_EQ(a.household_type, b.household_type) << where;
  EXPECT_EQ(a.immigrants, b.immigrants) << where;
  EXPECT_EQ(a.emigrants, b.emigrants) << where;
  EXPECT_EQ(a.marriages, b.marriages) << where;
  EXPECT_EQ(a.divorces, b.divorces) << where;
  EXPECT_EQ(a.migrants_in, b.migrants_in) << where;
  EXPECT_EQ(a.migrants_out, b.migrants_out) << where;
  EXPECT_EQ(a.migrants_in_by_age, b.migrants_in_by_age) << where;
  EXPECT_EQ(a.migrants_out_by_age, b.migrants_out_by_age) << where;
  EXPECT_EQ(a.left_home, b.left_home) << where;
  EXPECT_EQ(a.returned_home, b.returned_home) << where;
  EXPECT_EQ(a.elderly_moved, b.elderly_moved) << where;
  EXPECT_EQ(a.orphans_placed, b.orphans_placed) << where;
}

TEST(Projection, IsIdenticalForAnyThreadCount) {
  if (test::rank() != 0) return;
  const auto config = scaled(0.003);
  auto run = [&](int threads) {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    auto p = start(config, MPI_COMM_SELF);
    for (int t = 0; t < 5; ++t) p.step();
    omp_set_num_threads(saved);
    return p;
  };
  const auto one = run(1);
  for (int threads : {2, 4}) {
    const auto many = run(threads);
    const auto& a = one.population().persons;
    const auto& b = many.population().persons;
    EXPECT_EQ(a.id, b.id) << threads;
    EXPECT_EQ(a.partner, b.partner) << threads;
    EXPECT_EQ(a.mother, b.mother) << threads;
    EXPECT_EQ(a.household, b.household) << threads;
    EXPECT_EQ(a.birth_year, b.birth_year) << threads;
    EXPECT_EQ(a.region, b.region) << threads;
    EXPECT_EQ(a.sex, b.sex) << threads;
    EXPECT_EQ(a.parity, b.parity) << threads;
    EXPECT_EQ(a.flags, b.flags) << threads;
    EXPECT_EQ(one.population().households.id, many.population().households.id) << threads;
    EXPECT_EQ(one.population().person_offset, many.population().person_offset) << threads;
    for (std::size_t k = 0; k < one.records().size(); ++k)
      expectSameRecords(one.records()[k], many.records()[k], "region " + std::to_string(k));
  }
}

TEST(Projection, IsIdenticalOnAnyNumberOfRanks) {
  const auto config = scaled(0.003);
  auto distributed = start(config, MPI_COMM_WORLD);
  auto single = start(config, MPI_COMM_SELF);
  for (int t = 0; t < 4; ++t) {
    distributed.step();
    single.step();
  }
  const auto& owned = distributed.population().regions;
  for (std::size_t k = 0; k < owned.size(); ++k)
    expectSameRecords(distributed.records()[k], single.records()[owned[k]], "region " + std::to_string(owned[k]));
  EXPECT_EQ(distributed.flows(), single.flows());
  std::int64_t moved = 0;
  for (const auto f : single.flows()) moved += f;
  EXPECT_GT(moved, 0) << "no internal migration happened";
  EXPECT_EQ(distributed.population().next_person_id, single.population().next_person_id);
  EXPECT_EQ(distributed.population().next_household_id, single.population().next_household_id);
}

}  // namespace
}  // namespace popsim::model

namespace popsim::model {
namespace {

TEST(Projection, RunsItsRegionEventsInTheOrderDocsModelGives) {
  // docs/model.md lists the region events in "Process overview"; the code's table is the same
  // sequence, so reordering one without the other fails here.
  std::ifstream file(std::string(POPSIM_SOURCE_DIR) + "/docs/model.md");
  ASSERT_TRUE(file.good());
  std::stringstream text;
  text << file.rdbuf();
  const std::string doc = text.str();
  const auto begin = doc.find("**Per region, in parallel");
  ASSERT_NE(begin, std::string::npos);
  const auto end = doc.find("\n0. ", begin);
  ASSERT_NE(end, std::string::npos);
  const std::string list = doc.substr(begin, end - begin);
  std::size_t at = 0;
  int number = 1;
  for (const auto& event : Projection::kRegionEvents) {
    const auto found = list.find(std::to_string(number) + ". " + event.name, at);
    EXPECT_NE(found, std::string::npos) << "event " << number << " '" << event.name << "' not next in docs/model.md";
    if (found != std::string::npos) at = found;
    ++number;
    EXPECT_NE(std::string(event.counters), "");
  }
}

}  // namespace
}  // namespace popsim::model
