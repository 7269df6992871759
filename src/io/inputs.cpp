#include "io/inputs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "io/csv.hpp"

namespace popsim::io {
namespace {

using core::kAgeClasses;
using core::kSexes;

constexpr double kShareTolerance = 1e-5;  // tables are written with 6 decimals
// The smallest TFR of the base-year fertility schedule (it is scaled to each year's TFR).
constexpr double kMinScheduleTfr = 0.05;
// The life expectancy at birth that death rates must give (any human population, any era).
constexpr double kMinLifeExpectancy = 15.0;
constexpr double kMaxLifeExpectancy = 100.0;
// The largest population read (more than any country's).
constexpr std::int64_t kMaxPopulation = 2'000'000'000;
// The largest yearly steps of an assumption path: life expectancy in years, TFR as a factor.
constexpr double kMaxE0Step = 5.0;
constexpr double kMaxTfrStep = 2.0;
// A sampling fraction must leave every region at least this many adults (expected).
constexpr double kMinAdultsPerRegion = 5.0;
// The largest yearly net international migration, as a share of the base-year population.
constexpr double kMaxNetMigrationShare = 0.05;

core::Sex parseSex(const CsvTable& t, std::size_t row, int col) {
  const auto s = t.text(row, col);
  if (s == "M") return core::Sex::Male;
  if (s == "F") return core::Sex::Female;
  t.fail(row, col, fmt::format("expected the sex M or F, found \"{}\"", s));
}

bool parseFlag(const CsvTable& t, std::size_t row, int col) {
  return t.integer(row, col, 0, 1) == 1;
}

// Requires column `col` to hold the ages first, first+1, ..., in row order.
void requireAgeSequence(const CsvTable& t, int col, int first, int last, std::size_t first_row = 0) {
  const auto expected_rows = static_cast<std::size_t>(last - first + 1);
  if (t.rows() < first_row + expected_rows)
    t.failFile(fmt::format("expected one row for every age {}..{} ({} rows), found {}", first, last, expected_rows,
                           t.rows() - first_row));
  for (int age = first; age <= last; ++age) {
    const std::size_t row = first_row + static_cast<std::size_t>(age - first);
    const auto value = t.integer(row, col);
    if (value != age) t.fail(row, col, fmt::format("expected age {} (ages must run {}..{} in order), found {}", age, first, last, value));
  }
}

// Maps the rows of a per-region table (optionally per region and sex) to region indices and
// reports unknown, duplicate and missing regions.
class RegionKeyedRows {
 public:
  RegionKeyedRows(const CsvTable& t, const core::RegionTable& regions, bool by_sex)
      : index_(t.rows()), sex_(t.rows()) {
    const int region_col = t.column("region");
    const int sex_col = by_sex ? t.column("sex") : -1;
    std::map<std::pair<core::RegionIndex, int>, std::size_t> seen;
    for (std::size_t row = 0; row < t.rows(); ++row) {
      const auto code = t.integer(row, region_col);
      const auto r = regions.find(code);
      if (!r) t.fail(row, region_col, fmt::format("unknown region code {}: it is not in the region table {}", code, regions.source()));
      const int sex = by_sex ? static_cast<int>(parseSex(t, row, sex_col)) : 0;
      const auto [it, fresh] = seen.emplace(std::make_pair(*r, sex), row);
      if (!fresh)
        t.fail(row, region_col, fmt::format("duplicate row for region {}{} (first given on line {})", code,
                                            by_sex ? (sex == 0 ? " sex M" : " sex F") : "", t.line(it->second)));
      index_[row] = *r;
      sex_[row] = sex;
    }
    const int sexes = by_sex ? kSexes : 1;
    for (std::size_t r = 0; r < regions.size(); ++r)
      for (int s = 0; s < sexes; ++s)
        if (!seen.contains({static_cast<core::RegionIndex>(r), s}))
          t.failFile(fmt::format("no row for region {} ({}){} of the region table {}",
                                 regions[static_cast<core::RegionIndex>(r)].code,
                                 regions[static_cast<core::RegionIndex>(r)].name_en,
                                 by_sex ? (s == 0 ? " sex M" : " sex F") : "", regions.source()));
  }
  core::RegionIndex region(std::size_t row) const { return index_[row]; }
  int sex(std::size_t row) const { return sex_[row]; }

 private:
  std::vector<core::RegionIndex> index_;
  std::vector<int> sex_;
};

std::vector<core::Province> readProvinces(const std::string& path) {
  const auto t = CsvTable::read(path);
  t.requireColumns({"code", "name_ko", "name_en", "capital_region", "tfr_2023", "tfr_status"});
  std::vector<core::Province> provinces;
  std::map<std::int64_t, std::size_t> seen;
  for (std::size_t row = 0; row < t.rows(); ++row) {
    core::Province p;
    p.code = static_cast<int>(t.integer(row, 0, 1, 99));
    if (auto [it, fresh] = seen.emplace(p.code, row); !fresh)
      t.fail(row, 0, fmt::format("duplicate province code {} (first given on line {})", p.code, t.line(it->second)));
    p.name_ko = t.nonEmptyText(row, 1);
    p.name_en = t.nonEmptyText(row, 2);
    p.capital_region = parseFlag(t, row, 3);
    p.tfr_base = t.number(row, 4, 0.01, 10.0, "a total fertility rate in (0, 10]");
    provinces.push_back(std::move(p));
  }
  return provinces;
}

core::RegionTable readRegions(const std::string& path, std::vector<core::Province> provinces,
                              const std::string& provinces_path) {
  const auto t = CsvTable::read(path);
  t.requireColumns({"code", "name_ko", "name_en", "province_code", "capital_region", "declining_area",
                    "centroid_lon", "centroid_lat", "area_km2"});
  if (t.rows() > 65535) t.failFile("more than 65,535 regions are not supported");
  std::map<int, const core::Province*> province_of;
  for (const auto& p : provinces) province_of[p.code] = &p;
  std::vector<core::Region> regions;
  std::map<std::int64_t, std::size_t> seen;
  for (std::size_t row = 0; row < t.rows(); ++row) {
    core::Region r;
    r.code = t.integer(row, 0, 1, std::numeric_limits<std::int64_t>::max());
    if (auto [it, fresh] = seen.emplace(r.code, row); !fresh)
      t.fail(row, 0, fmt::format("duplicate region code {} (first given on line {})", r.code, t.line(it->second)));
    r.name_ko = t.nonEmptyText(row, 1);
    r.name_en = t.nonEmptyText(row, 2);
    r.province_code = static_cast<int>(t.integer(row, 3, 1, 99));
    const auto p = province_of.find(r.province_code);
    if (p == province_of.end())
      t.fail(row, 3, fmt::format("unknown province code {}: it is not in {}", r.province_code, provinces_path));
    r.capital_region = parseFlag(t, row, 4);
    if (r.capital_region != p->second->capital_region)
      t.fail(row, 4, fmt::format("expected {} (the capital_region flag of province {} in {})",
                                 p->second->capital_region ? 1 : 0, r.province_code, provinces_path));
    r.declining_area = parseFlag(t, row, 5);
    r.centroid_lon = t.number(row, 6, -180.0, 180.0, "a longitude in degrees [-180, 180]");
    r.centroid_lat = t.number(row, 7, -90.0, 90.0, "a latitude in degrees [-90, 90]");
    r.area_km2 = t.number(row, 8, 1e-6, 1e7, "a positive area in km2");
    regions.push_back(std::move(r));
  }
  core::RegionTable table(std::move(regions), std::move(provinces));
  table.setSource(t.path());
  return table;
}

std::vector<std::string> ageColumns() {
  std::vector<std::string> cols = {"region", "sex"};
  for (int a = 0; a < kAgeClasses; ++a) cols.push_back(fmt::format("age_{}", a));
  return cols;
}

// The published 5-year age groups 0-4 .. 95-99 and the open group 100+.
struct Age5Group {
  int first;
  int last;
};
constexpr int kAge5Groups = 21;
constexpr Age5Group age5Group(int g) { return g < kAge5Groups - 1 ? Age5Group{5 * g, 5 * g + 4} : Age5Group{100, 100}; }
std::string age5Column(int g) {
  const auto b = age5Group(g);
  return b.first == 100 ? std::string("age_100p") : fmt::format("age_{}_{}", b.first, b.last);
}

// The counts of a region x sex x single-age table (columns region, sex, age_0..age_100).
std::vector<AgeSexCounts> ageSexCounts(const CsvTable& t, const RegionKeyedRows& rows, std::size_t regions) {
  std::vector<AgeSexCounts> population(regions);
  for (std::size_t row = 0; row < t.rows(); ++row) {
    auto& counts = population[rows.region(row)][rows.sex(row)];
    for (int a = 0; a < kAgeClasses; ++a) counts[a] = t.count(row, a + 2);
  }
  return population;
}

std::vector<AgeSexCounts> readAgeSexTable(const std::string& path, const core::RegionTable& regions) {
  const auto t = CsvTable::read(path);
  t.requireColumns(ageColumns());
  return ageSexCounts(t, RegionKeyedRows(t, regions, true), regions.size());
}

// The nationals by single year of age, which must add up exactly to the published 5-year groups.
std::vector<AgeSexCounts> readPopulation(const std::string& path, const std::string& age5_path,
                                         const core::RegionTable& regions) {
  const auto groups = CsvTable::read(age5_path);
  std::vector<std::string> group_cols = {"region", "sex"};
  for (int g = 0; g < kAge5Groups; ++g) group_cols.push_back(age5Column(g));
  groups.requireColumns(group_cols);
  const RegionKeyedRows group_rows(groups, regions, true);
  std::vector<std::array<std::array<std::int64_t, kAge5Groups>, kSexes>> group_total(regions.size());
  std::vector<std::array<std::size_t, kSexes>> group_row(regions.size());
  for (std::size_t row = 0; row < groups.rows(); ++row) {
    for (int g = 0; g < kAge5Groups; ++g)
      group_total[group_rows.region(row)][group_rows.sex(row)][g] = groups.count(row, g + 2);
    group_row[group_rows.region(row)][group_rows.sex(row)] = row;
  }

  const auto t = CsvTable::read(path);
  t.requireColumns(ageColumns());
  const RegionKeyedRows rows(t, regions, true);
  auto population = ageSexCounts(t, rows, regions.size());
  for (std::size_t row = 0; row < t.rows(); ++row) {
    const auto& counts = population[rows.region(row)][rows.sex(row)];
    for (int g = 0; g < kAge5Groups; ++g) {
      const auto group = age5Group(g);
      std::int64_t sum = 0;
      for (int a = group.first; a <= group.last; ++a) sum += counts[a];
      const auto expected = group_total[rows.region(row)][rows.sex(row)][g];
      if (sum != expected)
        t.fail(row, group.first + 2,
               fmt::format("ages {}-{} sum to {} but {} line {} gives {} for this group; single years must add up "
                           "to the published 5-year group exactly",
                           group.first, group.last == 100 ? std::string("100+") : std::to_string(group.last), sum,
                           age5_path, groups.line(group_row[rows.region(row)][rows.sex(row)]), expected));
    }
  }
  return population;
}

// Households of the nationals and of the foreign residents (who form households of their own).
// `population_paths`: the national and foreign population tables the persons must match.
void readHouseholds(const std::string& path, const core::RegionTable& regions,
                    const std::array<std::string, core::kNationalities>& population_paths, CountryInputs& in) {
  const auto t = CsvTable::read(path);
  t.requireColumns({"region", "households", "persons", "foreign_households", "foreign_persons"});
  const RegionKeyedRows rows(t, regions, false);
  in.households.assign(regions.size(), 0);
  in.foreign_households.assign(regions.size(), 0);
  for (std::size_t row = 0; row < t.rows(); ++row) {
    const auto r = rows.region(row);
    for (const auto n : {core::Nationality::National, core::Nationality::Foreign}) {
      const bool national = n == core::Nationality::National;
      const int persons_col = national ? 2 : 4;
      const int households_col = national ? 1 : 3;
      const auto& counts = in.populationOf(n)[r];
      const auto persons = t.count(row, persons_col);
      const std::int64_t expected = total(counts);
      if (persons != expected)
        t.fail(row, persons_col,
               fmt::format("expected {} persons (the region's total in the {} population table {}), found {}", expected,
                           national ? "national" : "foreign", population_paths[national ? 0 : 1], persons));
      // Every household needs an adult; a group with persons has at least one household.
      const auto grown = adults(counts);
      const auto h = t.count(row, households_col);
      const std::int64_t least = expected > 0 ? 1 : 0;
      if (expected > 0 && grown == 0)
        t.fail(row, persons_col, fmt::format("the region's {} residents are all minors: every household needs an "
                                             "adult (aged 18+)", national ? "national" : "foreign"));
      if (h < least || h > grown)
        t.fail(row, households_col,
               fmt::format("expected between {} and {} households (the {} persons aged 18+ of the region), found {}",
                           least, grown, national ? "national" : "foreign", h));
      (national ? in.households : in.foreign_households)[r] = h;
    }
  }
}

// Base-year total fertility of each region (its multiplier is the ratio to the national TFR).
std::vector<double> readFertilityRegions(const std::string& path, const core::RegionTable& regions) {
  const auto t = CsvTable::read(path);
  t.requireColumns({"region", "births", "tfr_published", "tfr", "status"});
  const RegionKeyedRows rows(t, regions, false);
  std::vector<double> tfr(regions.size());
  for (std::size_t row = 0; row < t.rows(); ++row) {
    t.count(row, 1);
    t.number(row, 2, 0.05, 10.0, "a total fertility rate in [0.05, 10]");
    tfr[rows.region(row)] = t.number(row, 3, 0.05, 10.0, "a total fertility rate in [0.05, 10]");
    t.nonEmptyText(row, 4);
  }
  return tfr;
}

// What an assumption path is checked against: the base-year population (it bounds the net
// migration) and the life expectancy of the base-year life table (the path starts near it).
struct AssumptionBounds {
  double residents = 0.0;
  double nationals = 0.0;
  std::array<double, kSexes> base_e0{};
  std::string config_path;  // where the start year is set
};

AssumptionPath readAssumptions(const std::string& path, int start_year, const AssumptionBounds& bounds) {
  const auto t = CsvTable::read(path);
  t.requireColumns({"year", "tfr", "e0_male", "e0_female", "net_international_migration",
                    "net_international_migration_nationals", "status"});
  AssumptionPath a;
  for (std::size_t row = 0; row < t.rows(); ++row) {
    const int expected = start_year + static_cast<int>(row);
    const int year = static_cast<int>(t.integer(row, 0, 1900, 3000));
    if (year != expected)
      t.fail(row, 0, fmt::format("expected year {} (years must run consecutively from the start year {}, [run] "
                                 "start_year in {})", expected, start_year, bounds.config_path));
    a.year.push_back(year);
    a.tfr.push_back(t.number(row, 1, 0.01, 10.0, "a total fertility rate in (0, 10]"));
    a.e0_male.push_back(t.number(row, 2, 20.0, 120.0, "a life expectancy in years in [20, 120]"));
    a.e0_female.push_back(t.number(row, 3, 20.0, 120.0, "a life expectancy in years in [20, 120]"));
    // A path, not a jump: the start agrees with the base-year life table, and the values move
    // by bounded steps (the solver that meets each year's e0 starts from the year before).
    for (int s = 0; s < kSexes; ++s) {
      const double e0 = s == 0 ? a.e0_male.back() : a.e0_female.back();
      const double before = row == 0 ? bounds.base_e0[static_cast<std::size_t>(s)]
                                     : (s == 0 ? a.e0_male[row - 1] : a.e0_female[row - 1]);
      if (std::abs(e0 - before) > kMaxE0Step)
        t.fail(row, 2 + s, fmt::format("{} is {:.1f} years from {} ({:.2f}); expected a step of at most {} years",
                                       e0, std::abs(e0 - before),
                                       row == 0 ? "the base-year life table's life expectancy" : "the year before",
                                       before, kMaxE0Step));
    }
    if (row > 0 && (a.tfr.back() > kMaxTfrStep * a.tfr[row - 1] || a.tfr.back() * kMaxTfrStep < a.tfr[row - 1]))
      t.fail(row, 1, fmt::format("{} after {} the year before; expected a yearly change within a factor of {}",
                                 a.tfr.back(), a.tfr[row - 1], kMaxTfrStep));
    // A yearly flow, not a replacement of the population.
    const auto flow = [&](int col, double base, const char* whom) {
      const double bound = std::floor(kMaxNetMigrationShare * base);
      return t.number(row, col, -bound, bound,
                      fmt::format("a yearly net migration count within {:.0f}% of the {:.0f} base-year {}",
                                  100 * kMaxNetMigrationShare, base, whom));
    };
    a.net_international_migration.push_back(flow(4, bounds.residents, "residents"));
    a.net_international_migration_nationals.push_back(flow(5, bounds.nationals, "nationals"));
    t.nonEmptyText(row, 6);
  }
  return a;
}

FertilitySchedule readFertility(const std::string& path) {
  const auto t = CsvTable::read(path);
  t.requireColumns({"age", "asfr", "share_order1", "share_order2", "share_order3p"});
  requireAgeSequence(t, 0, FertilitySchedule::kMinAge, FertilitySchedule::kMaxAge);
  if (t.rows() != FertilitySchedule::kAges)
    t.fail(FertilitySchedule::kAges, 0, "unexpected row after age 49; the schedule covers ages 15..49");
  FertilitySchedule f;
  for (std::size_t row = 0; row < t.rows(); ++row) {
    f.asfr[row] = t.number(row, 1, 0.0, 1.0, "births per woman per year in [0, 1]");
    double sum = 0.0;
    for (int k = 0; k < 3; ++k) sum += f.order_share[row][k] = t.probability(row, 2 + k);
    if (std::abs(sum - 1.0) > kShareTolerance)
      t.fail(row, 2, fmt::format("the three birth-order shares must sum to 1, they sum to {:.8f}", sum));
  }
  // The projection scales this schedule to each year's TFR: it must be able to produce births.
  if (!(f.tfr() >= kMinScheduleTfr))
    t.failFile(fmt::format("column asfr: the schedule's TFR (sum over ages) is {:.4f}; expected at least {} (a "
                           "schedule that gives no births cannot be scaled to the assumed TFR)", f.tfr(), kMinScheduleTfr));
  return f;
}

// The survivors and life expectancies of a life table must follow from its death rates (they
// are reported, e.g. by `check`), and the rates must give a human life expectancy.
void requireLifeTableAgreesWithMx(const CsvTable& t, const LifeTable& lt) {
  for (int s = 0; s < kSexes; ++s) {
    const int lx_col = 5 + s, ex_col = 7 + s;
    // Person-years lived and survivors from mx alone (deaths at mid-interval; the open interval
    // lives 1/m years).
    std::array<double, kAgeClasses> l{}, L{};
    l[0] = 1.0;
    for (int x = 0; x < core::kOpenAge; ++x) {
      const double q = lt.qx[s][x];
      l[x + 1] = l[x] * (1.0 - q);
      L[x] = l[x] * (1.0 - 0.5 * q);
    }
    L[core::kOpenAge] = l[core::kOpenAge] / lt.mx[s][core::kOpenAge];
    double T = 0.0;
    std::array<double, kAgeClasses> e{};
    for (int x = core::kOpenAge; x >= 0; --x) {
      T += L[x];
      e[x] = l[x] > 0.0 ? T / l[x] : 0.0;
    }
    if (!(e[0] >= kMinLifeExpectancy && e[0] <= kMaxLifeExpectancy))
      t.fail(0, 1 + s, fmt::format("the death rates give a life expectancy at birth of {:.1f} years; expected "
                                   "{}..{} (rates of a human population)", e[0], kMinLifeExpectancy, kMaxLifeExpectancy));
    const double radix = lt.lx[s][0];
    if (!(radix > 0.0)) t.fail(0, lx_col, "expected a positive radix (survivors at age 0)");
    for (int x = 0; x <= core::kOpenAge; ++x) {
      const auto row = static_cast<std::size_t>(x);
      const double lx = radix * l[x];
      if (std::abs(lt.lx[s][x] - lx) > 0.01 * lx + 1e-6 * radix)
        t.fail(row, lx_col, fmt::format("lx {} contradicts qx (expected {:.1f} from the survivors of age 0 and qx)",
                                        lt.lx[s][x], lx));
      if (l[x] > 1e-6 && std::abs(lt.ex[s][x] - e[x]) > 0.5 + 0.02 * e[x])
        t.fail(row, ex_col, fmt::format("ex {} contradicts mx and qx (they give {:.2f} years)", lt.ex[s][x], e[x]));
    }
  }
}

LifeTable readMortality(const std::string& path) {
  const auto t = CsvTable::read(path);
  t.requireColumns({"age", "mx_male", "mx_female", "qx_male", "qx_female", "lx_male", "lx_female", "ex_male",
                    "ex_female", "bx_male", "bx_female", "bx_ultimate_male", "bx_ultimate_female"});
  requireAgeSequence(t, 0, 0, core::kOpenAge);
  if (t.rows() != kAgeClasses) t.fail(kAgeClasses, 0, "unexpected row after the open age 100");
  LifeTable lt;
  for (std::size_t row = 0; row < t.rows(); ++row) {
    for (int s = 0; s < kSexes; ++s) {
      lt.mx[s][row] = t.number(row, 1 + s, 0.0, 10.0, "a death rate per person-year in [0, 10]");
      lt.qx[s][row] = t.probability(row, 3 + s);
      lt.lx[s][row] = t.number(row, 5 + s, 0.0, 1e9, "a non-negative number of survivors");
      lt.ex[s][row] = t.number(row, 7 + s, 0.0, 120.0, "a life expectancy in years in [0, 120]");
      if (row > 0 && lt.lx[s][row] > lt.lx[s][row - 1])
        t.fail(row, 5 + s, "survivors lx must not increase with age");
      lt.bx[s][row] = t.number(row, 9 + s, 0.0, 1.0, "an improvement weight b_x in [0, 1]");
      lt.bx_ultimate[s][row] = t.number(row, 11 + s, 0.0, 1.0, "an improvement weight b_x in [0, 1]");
    }
  }
  for (int s = 0; s < kSexes; ++s) {
    if (lt.mx[s][core::kOpenAge] <= 0.0)
      t.fail(core::kOpenAge, 1 + s, "expected a positive death rate in the open age interval 100+");
    for (int c = 0; c < 2; ++c) {
      const auto& b = c == 0 ? lt.bx[s] : lt.bx_ultimate[s];
      const double sum = std::accumulate(b.begin(), b.end(), 0.0);
      if (std::abs(sum - 1.0) > 1e-4)
        t.failFile(fmt::format("column {}: the improvement weights must sum to 1 over ages 0..100, they sum to {:.8f}",
                               t.columns()[static_cast<std::size_t>(9 + 2 * c + s)], sum));
    }
  }
  // The life table columns must agree with mx (they are reported, e.g. by `check`).
  for (int s = 0; s < kSexes; ++s)
    for (int x = 0; x < core::kOpenAge; ++x) {
      const double q = lt.mx[s][x] / (1.0 + 0.5 * lt.mx[s][x]);
      if (std::abs(q - lt.qx[s][x]) > 1e-3 + 0.01 * q)
        t.fail(static_cast<std::size_t>(x), 3 + s,
               fmt::format("qx {} contradicts mx {} (expected mx / (1 + mx / 2) = {:.6f})", lt.qx[s][x], lt.mx[s][x], q));
    }
  for (int s = 0; s < kSexes; ++s)
    if (lt.qx[s][core::kOpenAge] != 1.0)
      t.fail(core::kOpenAge, 3 + s, "expected qx = 1 in the open age interval 100+");
  requireLifeTableAgreesWithMx(t, lt);
  return lt;
}

std::vector<std::array<double, kSexes>> readMortalityRegions(const std::string& path, const core::RegionTable& regions) {
  const auto t = CsvTable::read(path);
  t.requireColumns({"region", "multiplier_male", "multiplier_female", "status"});
  const RegionKeyedRows rows(t, regions, false);
  std::vector<std::array<double, kSexes>> m(regions.size());
  for (std::size_t row = 0; row < t.rows(); ++row) {
    for (int s = 0; s < kSexes; ++s)
      m[rows.region(row)][s] = t.number(row, 1 + s, 0.05, 5.0, "a mortality multiplier in [0.05, 5]");
    t.nonEmptyText(row, 3);
  }
  return m;
}

MigrationSchedule readMigration(const std::string& path) {
  const auto t = CsvTable::read(path);
  t.requireColumns({"age", "move_rate", "between_province_share", "cross_sigungu_share"});
  requireAgeSequence(t, 0, 0, core::kOpenAge);
  if (t.rows() != kAgeClasses) t.fail(kAgeClasses, 0, "unexpected row after the open age 100");
  MigrationSchedule m;
  for (std::size_t row = 0; row < t.rows(); ++row) {
    m.move_rate[row] = t.probability(row, 1);
    m.between_province_share[row] = t.probability(row, 2);
    m.cross_region_share[row] = t.probability(row, 3);
    if (m.cross_region_share[row] + kShareTolerance < m.between_province_share[row])
      t.fail(row, 3, fmt::format("expected at least the between-province share {} (a move between provinces "
                                 "always crosses a region border)", m.between_province_share[row]));
  }
  return m;
}

// Tables with one row per sex and age: M ages 0..100, then F ages 0..100; `read` gets each row.
template <typename Read>
void readBySexAndAge(const CsvTable& t, Read read) {
  if (t.rows() != 2 * kAgeClasses)
    t.failFile(fmt::format("expected {} rows (sex M ages 0..100, then sex F ages 0..100), found {}", 2 * kAgeClasses,
                           t.rows()));
  requireAgeSequence(t, 0, 0, core::kOpenAge, 0);
  requireAgeSequence(t, 0, 0, core::kOpenAge, kAgeClasses);
  for (std::size_t row = 0; row < t.rows(); ++row) {
    const auto expected_sex = row < kAgeClasses ? core::Sex::Male : core::Sex::Female;
    if (parseSex(t, row, 1) != expected_sex)
      t.fail(row, 1, fmt::format("expected {} (all M rows first, then all F rows)", row < kAgeClasses ? "M" : "F"));
    read(row, static_cast<int>(expected_sex), static_cast<int>(row % kAgeClasses));
  }
}

UnionRates readUnions(const std::string& path) {
  const auto t = CsvTable::read(path);
  t.requireColumns({"age", "sex", "marriage_rate", "divorce_rate", "status"});
  UnionRates u;
  readBySexAndAge(t, [&](std::size_t row, int s, int a) {
    u.marriage[s][a] = t.probability(row, 2);
    u.divorce[s][a] = t.probability(row, 3);
    if (a < 18 && (u.marriage[s][a] > 0.0 || u.divorce[s][a] > 0.0))
      t.fail(row, 2, "expected 0 below age 18 (the legal minimum age of marriage)");
  });
  return u;
}

// living_alone_national.csv: the nation's share living alone by sex and single age, and its trend.
void readLivingAloneNational(const std::string& path, LivingAlone& l) {
  const auto t = CsvTable::read(path);
  t.requireColumns({"age", "sex", "share", "trend_logit", "status"});
  readBySexAndAge(t, [&](std::size_t row, int s, int a) {
    l.share[s][a] = t.number(row, 2, 0.0, 0.95, "a share living alone in [0, 0.95]");
    l.trend_logit[s][a] = t.number(row, 3, -0.5, 0.5, "a yearly change of the logit in [-0.5, 0.5]");
    t.nonEmptyText(row, 4);
  });
}

// living_alone.csv: each region's share living alone by sex and 10-year age group, in region
// table order, M groups then F groups within a region.
void readLivingAloneRegions(const std::string& path, const core::RegionTable& regions, LivingAlone& l) {
  const auto t = CsvTable::read(path);
  t.requireColumns({"region", "sex", "age_from", "age_to", "share", "national_share", "status"});
  constexpr int G = LivingAlone::kGroups;
  const std::size_t expected = regions.size() * kSexes * G;
  if (t.rows() != expected)
    t.failFile(fmt::format("expected {} rows (each region of {} in its order, sex M then F, age groups 0-9, 10-19, "
                           "..., 90-99, 100-100), found {}", expected, regions.source(), t.rows()));
  l.region_share.assign(regions.size(), {});
  for (std::size_t row = 0; row < t.rows(); ++row) {
    const auto r = static_cast<core::RegionIndex>(row / (kSexes * G));
    const int s = static_cast<int>(row / G % kSexes);
    const int g = static_cast<int>(row % G);
    if (t.integer(row, 0) != regions[r].code)
      t.fail(row, 0, fmt::format("expected region {} ({}): rows follow the region table {}", regions[r].code,
                                 regions[r].name_en, regions.source()));
    if (static_cast<int>(parseSex(t, row, 1)) != s) t.fail(row, 1, fmt::format("expected {} (M rows, then F rows, of each region)", s == 0 ? "M" : "F"));
    if (t.integer(row, 2) != 10 * g) t.fail(row, 2, fmt::format("expected {} (groups 0-9, 10-19, ..., 90-99, 100-100)", 10 * g));
    if (t.integer(row, 3) != (g == G - 1 ? 100 : 10 * g + 9))
      t.fail(row, 3, fmt::format("expected {} (groups 0-9, 10-19, ..., 90-99, 100-100)", g == G - 1 ? 100 : 10 * g + 9));
    l.region_share[r][s][g] = t.number(row, 4, 0.0, 0.95, "a share living alone in [0, 0.95]");
    const double national = t.number(row, 5, 0.0, 0.95, "a share living alone in [0, 0.95]");
    if (r == 0)
      l.national_group_share[s][g] = national;
    else if (national != l.national_group_share[s][g])
      t.fail(row, 5, fmt::format("expected {} (the nation's share of this sex and age group, as on the first region's row)",
                                 l.national_group_share[s][g]));
    if (national == 0.0 && l.region_share[r][s][g] > 0.0)
      t.fail(row, 4, "expected 0: the nation's share of this sex and age group is 0");
    t.nonEmptyText(row, 6);
  }
}

// households_by_size.csv: registered households by size per province; each province's sizes sum
// to its regions' households in households.csv.
std::vector<HouseholdSizes> readHouseholdSizes(const std::string& path, const CountryInputs& in) {
  const auto t = CsvTable::read(path);
  t.requireColumns({"province", "size_1", "size_2", "size_3", "size_4", "size_5", "size_6", "size_7plus"});
  const auto& provinces = in.regions.provinces();
  std::vector<std::int64_t> households(provinces.size(), 0);
  for (std::size_t r = 0; r < in.regions.size(); ++r)
    households[*in.regions.findProvince(in.regions[static_cast<core::RegionIndex>(r)].province_code)] += in.households[r];
  std::vector<HouseholdSizes> sizes(provinces.size());
  std::vector<long> line(provinces.size(), 0);
  for (std::size_t row = 0; row < t.rows(); ++row) {
    const auto code = t.integer(row, 0);
    const auto p = in.regions.findProvince(static_cast<int>(code));
    if (!p) t.fail(row, 0, fmt::format("unknown province code {}: it is not in the province table", code));
    if (line[*p] != 0) t.fail(row, 0, fmt::format("duplicate row for province {} (first given on line {})", code, line[*p]));
    line[*p] = t.line(row);
    std::int64_t sum = 0;
    for (int k = 0; k < core::kHouseholdSizes; ++k) sum += sizes[*p][k] = t.count(row, 1 + k);
    if (sum != households[*p])
      t.fail(row, 1, fmt::format("the sizes sum to {} households; expected {} (the province's regions in the "
                                 "households table)", sum, households[*p]));
  }
  for (std::size_t p = 0; p < provinces.size(); ++p)
    if (line[p] == 0) t.failFile(fmt::format("no row for province {} ({})", provinces[p].code, provinces[p].name_en));
  return sizes;
}

LivingArrangements readLivingArrangements(const std::string& path) {
  const auto t = CsvTable::read(path);
  t.requireColumns({"age", "sex", "married_share", "with_parent_share", "status"});
  LivingArrangements l;
  readBySexAndAge(t, [&](std::size_t row, int s, int a) {
    l.married_share[s][a] = t.probability(row, 2);
    l.with_parent_share[s][a] = t.probability(row, 3);
    if (l.married_share[s][a] + l.with_parent_share[s][a] > 1.0 + kShareTolerance)
      t.fail(row, 3, "married_share + with_parent_share must not exceed 1 (a married person is not counted as "
                     "living in a parent's household)");
  });
  return l;
}

MigrationProfile readMigrationProfile(const std::string& path) {
  const auto t = CsvTable::read(path);
  t.requireColumns({"nationality", "age", "sex", "share", "status"});
  if (t.rows() != 2 * 2 * kAgeClasses)
    t.failFile(fmt::format("expected {} rows (nationality national then foreign; within each, sex M ages 0..100 then "
                           "sex F ages 0..100), found {}", 4 * kAgeClasses, t.rows()));
  MigrationProfile m;
  for (int n = 0; n < core::kNationalities; ++n) {
    const char* name = n == 0 ? "national" : "foreign";
    const std::size_t first = static_cast<std::size_t>(n) * 2 * kAgeClasses;
    requireAgeSequence(t, 1, 0, core::kOpenAge, first);
    requireAgeSequence(t, 1, 0, core::kOpenAge, first + kAgeClasses);
    double sum = 0.0;
    for (std::size_t k = 0; k < 2 * kAgeClasses; ++k) {
      const std::size_t row = first + k;
      if (t.text(row, 0) != name)
        t.fail(row, 0, fmt::format("expected nationality {} (all national rows first, then all foreign rows)", name));
      const int s = k < kAgeClasses ? 0 : 1;
      if (static_cast<int>(parseSex(t, row, 2)) != s)
        t.fail(row, 2, fmt::format("expected {} (M rows first, then F rows)", s == 0 ? "M" : "F"));
      sum += m.share[n][s][k % kAgeClasses] = t.number(row, 3, -1.0, 1.0, "a share in [-1, 1]");
      t.nonEmptyText(row, 4);
    }
    if (std::abs(sum - 1.0) > kShareTolerance)
      t.failFile(fmt::format("the {} shares must sum to 1 over all sexes and ages, they sum to {:.8f}", name, sum));
  }
  return m;
}

DestinationModel readDestinationModel(const std::string& path) {
  const auto t = CsvTable::read(path);
  t.requireColumns({"parameter", "age_group", "value", "status"});
  static const std::array<const char*, DestinationModel::kGroups> groups = {"0-19", "20-29", "30-39", "40-59", "60+"};
  DestinationModel m;
  const std::map<std::string, std::array<double, DestinationModel::kGroups>*> parameters = {
      {"log_population", &m.log_population}, {"log_distance", &m.log_distance}, {"same_province", &m.same_province},
      {"capital_region", &m.capital_region}, {"cross_region_scale", &m.cross_region_scale}};
  std::map<std::string, std::array<bool, DestinationModel::kGroups>> given;
  // The age groups a row's age_group column names ("all" = every group), marked as given.
  auto groupsOf = [&](std::size_t row, const std::string& name) {
    const std::string group(t.text(row, 1));
    std::vector<std::size_t> out;
    for (std::size_t g = 0; g < groups.size(); ++g)
      if (group == "all" || group == groups[g]) out.push_back(g);
    if (out.empty()) t.fail(row, 1, fmt::format("unknown age group '{}'; expected all, 0-19, 20-29, 30-39, 40-59 or 60+", group));
    for (const auto g : out) {
      if (given[name][g]) t.fail(row, 1, fmt::format("parameter {} is given twice for age group {}", name, groups[g]));
      given[name][g] = true;
    }
    return out;
  };
  for (std::size_t row = 0; row < t.rows(); ++row) {
    const std::string name(t.text(row, 0));
    if (name.starts_with("province_constant_")) {
      int code = 0;
      const auto digits = name.substr(std::string("province_constant_").size());
      const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), code);
      if (ec != std::errc() || ptr != digits.data() + digits.size())
        t.fail(row, 0, fmt::format("expected province_constant_<province code>, found '{}'", name));
      const double value = t.number(row, 2, -50.0, 50.0, "a coefficient in [-50, 50]");
      for (const auto g : groupsOf(row, name)) m.province_constant[code][g] = value;
      t.nonEmptyText(row, 3);
      continue;
    }
    const auto it = parameters.find(name);
    if (it == parameters.end())
      t.fail(row, 0, fmt::format("unknown parameter '{}'; expected log_population, log_distance, same_province, "
                                 "capital_region, cross_region_scale or province_constant_<code>", name));
    const double value = name == "cross_region_scale" ? t.number(row, 2, 0.0, 10.0, "a scale in [0, 10]")
                                                      : t.number(row, 2, -50.0, 50.0, "a coefficient in [-50, 50]");
    for (const auto g : groupsOf(row, name)) (*it->second)[g] = value;
    t.nonEmptyText(row, 3);
  }
  for (const auto& [code, values] : m.province_constant)
    for (std::size_t g = 0; g < groups.size(); ++g)
      if (!given[fmt::format("province_constant_{}", code)][g])
        t.failFile(fmt::format("parameter province_constant_{} is missing for age group {}", code, groups[g]));
  for (const auto& [name, field] : parameters)
    for (int g = 0; g < DestinationModel::kGroups; ++g)
      if (!given[name][static_cast<std::size_t>(g)])
        t.failFile(fmt::format("parameter {} is missing for age group {}", name, groups[static_cast<std::size_t>(g)]));
  return m;
}

// One constant per region and destination-model age group.
std::vector<std::array<double, DestinationModel::kGroups>> readRegionConstants(const std::string& path,
                                                                             const core::RegionTable& regions) {
  const auto t = CsvTable::read(path);
  t.requireColumns({"region", "age_group", "value", "status"});
  static const std::array<const char*, DestinationModel::kGroups> groups = {"0-19", "20-29", "30-39", "40-59", "60+"};
  std::vector<std::array<double, DestinationModel::kGroups>> c(regions.size());
  std::vector<std::array<long, DestinationModel::kGroups>> given(regions.size());
  for (auto& g : given) g.fill(0);
  for (std::size_t row = 0; row < t.rows(); ++row) {
    const auto code = t.integer(row, 0);
    const auto r = regions.find(code);
    if (!r) t.fail(row, 0, fmt::format("unknown region code {}: it is not in the region table {}", code, regions.source()));
    const std::string group(t.text(row, 1));
    const auto g = static_cast<std::size_t>(std::find(groups.begin(), groups.end(), group) - groups.begin());
    if (g == groups.size())
      t.fail(row, 1, fmt::format("unknown age group '{}'; expected 0-19, 20-29, 30-39, 40-59 or 60+", group));
    if (given[*r][g] != 0)
      t.fail(row, 1, fmt::format("region {} age group {} is given twice (first on line {})", code, group, given[*r][g]));
    given[*r][g] = t.line(row);
    c[*r][g] = t.number(row, 2, -20.0, 20.0, "a destination constant in [-20, 20]");
    t.nonEmptyText(row, 3);
  }
  for (std::size_t r = 0; r < regions.size(); ++r)
    for (std::size_t g = 0; g < groups.size(); ++g)
      if (given[r][g] == 0)
        t.failFile(fmt::format("no row for region {} ({}) age group {}", regions[static_cast<core::RegionIndex>(r)].code,
                               regions[static_cast<core::RegionIndex>(r)].name_en, groups[g]));
  return c;
}

}  // namespace

std::int64_t total(const AgeSexCounts& counts) {
  std::int64_t n = 0;
  for (const auto& by_age : counts) n += std::accumulate(by_age.begin(), by_age.end(), std::int64_t{0});
  return n;
}

std::int64_t adults(const AgeSexCounts& counts) {
  std::int64_t n = 0;
  for (const auto& by_age : counts) n += std::accumulate(by_age.begin() + core::kAdultAge, by_age.end(), std::int64_t{0});
  return n;
}

double FertilitySchedule::tfr() const { return std::accumulate(asfr.begin(), asfr.end(), 0.0); }

std::int64_t CountryInputs::regionPopulation(core::RegionIndex r) const {
  return total(population[r]) + total(population_foreign[r]);
}

std::int64_t CountryInputs::totalPopulation() const {
  std::int64_t n = 0;
  for (std::size_t r = 0; r < population.size(); ++r) n += regionPopulation(static_cast<core::RegionIndex>(r));
  return n;
}

namespace {

std::int64_t nationalPopulation(const CountryInputs& in) {
  std::int64_t n = 0;
  for (const auto& c : in.population) n += total(c);
  return n;
}

}  // namespace

namespace {

// The region with the fewest adults (nationals and foreign residents) and their number.
std::pair<core::RegionIndex, std::int64_t> fewestAdults(const CountryInputs& in) {
  std::pair<core::RegionIndex, std::int64_t> fewest{0, std::numeric_limits<std::int64_t>::max()};
  for (std::size_t r = 0; r < in.regions.size(); ++r) {
    const auto n = adults(in.population[r]) + adults(in.population_foreign[r]);
    if (n < fewest.second) fewest = {static_cast<core::RegionIndex>(r), n};
  }
  return fewest;
}

}  // namespace

double smallestScale(const CountryInputs& in) {
  const auto adults_fewest = std::max<std::int64_t>(fewestAdults(in).second, 1);
  return std::clamp(kMinAdultsPerRegion / static_cast<double>(adults_fewest), kMinScale, 1.0);
}

namespace {

// A sample so small that a region expects fewer than kMinAdultsPerRegion adults has households
// of minors with no one to live with: such a scale is refused before anything runs.
void requireScaleFits(const Config& config, const CountryInputs& in) {
  const double smallest = smallestScale(in);
  if (config.scale >= smallest) return;
  const auto [worst, fewest] = fewestAdults(in);
  const auto& region = in.regions[worst];
  throw core::InputError(fmt::format(
      "scale {} (--scale or [run] scale in {}) is too small for these inputs: {} ({}) would have {:.2f} adults; the "
      "smallest scale at which every region expects at least {:.0f} adults is {:.2g}",
      config.scale, config.path, region.name_en, region.code, config.scale * static_cast<double>(fewest),
      kMinAdultsPerRegion, std::ceil(smallest * 1e6) / 1e6));
}

}  // namespace

CountryInputs loadInputs(const Config& config) {
  const auto& p = config.inputs;
  CountryInputs in;
  in.regions = readRegions(p.regions, readProvinces(p.provinces), p.provinces);
  in.population = readPopulation(p.population, p.population_age5, in.regions);
  in.population_foreign = readAgeSexTable(p.population_foreign, in.regions);
  readHouseholds(p.households, in.regions, {p.population, p.population_foreign}, in);
  if (in.totalPopulation() > kMaxPopulation)
    throw core::InputError(fmt::format("{} and {}: {} residents in all; expected at most {} (a national population)",
                                       p.population, p.population_foreign, in.totalPopulation(), kMaxPopulation));
  in.mortality = readMortality(p.mortality);
  in.assumptions = readAssumptions(p.assumptions, config.start_year,
                                   {static_cast<double>(in.totalPopulation()), static_cast<double>(nationalPopulation(in)),
                                    {in.mortality.ex[0][0], in.mortality.ex[1][0]}, config.path});
  in.fertility = readFertility(p.fertility);
  in.tfr_region = readFertilityRegions(p.fertility_regions, in.regions);
  in.mortality_multiplier = readMortalityRegions(p.mortality_regions, in.regions);
  in.migration = readMigration(p.migration_age);
  in.living = readLivingArrangements(p.living_arrangements);
  in.unions = readUnions(p.unions);
  readLivingAloneNational(p.living_alone_national, in.living_alone);
  readLivingAloneRegions(p.living_alone, in.regions, in.living_alone);
  in.household_sizes = readHouseholdSizes(p.households_by_size, in);
  in.international_migration = readMigrationProfile(p.international_migration_age);
  in.destinations = readDestinationModel(p.migration_model);
  in.destinations.region_constant = readRegionConstants(p.migration_region_constants, in.regions);
  if (!config.scenario.path.empty())
    checkScenario(config.scenario, in.regions, config.start_year + 1, in.assumptions.year.back());
  for (const auto& [code, value] : in.destinations.province_constant)
    if (!in.regions.findProvince(code))
      throw core::InputError(fmt::format("{}: province_constant_{}: unknown province code {}", p.migration_model, code, code));
  requireScaleFits(config, in);
  for (const auto& province : in.regions.provinces())
    if (!in.destinations.province_constant.contains(province.code))
      throw core::InputError(fmt::format("{}: no province_constant_{} rows ({}): every province needs its destination "
                                         "constant (0 for the reference province)", p.migration_model, province.code,
                                         province.name_en));
  return in;
}

}  // namespace popsim::io
