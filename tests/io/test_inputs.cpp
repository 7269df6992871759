// The shipped Korean inputs load and agree with the published totals; every kind of bad
// input is refused with one message naming the file, line, column and what was expected.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <sstream>

#include "core/error.hpp"
#include "io/inputs.hpp"
#include "support/test_support.hpp"

namespace popsim::io {
namespace {

TEST(KoreaInputs, MatchThePublishedTotals) {
  const auto& in = test::baselineInputs();
  EXPECT_EQ(in.regions.size(), 229u);
  EXPECT_EQ(in.regions.provinces().size(), 17u);
  std::int64_t nationals = 0;
  for (const auto& c : in.population) nationals += total(c);
  EXPECT_EQ(nationals, 51'090'859);  // MOIS registered residents, Dec 2023, exactly
  // Foreign residents at Statistics Korea's level carried to Dec 2023: about 1.9 million.
  EXPECT_GT(in.totalPopulation() - nationals, 1'700'000);
  EXPECT_LT(in.totalPopulation() - nationals, 2'200'000);
  std::size_t declining = 0;
  for (const auto& r : in.regions.regions()) declining += r.declining_area;
  EXPECT_EQ(declining, 89u);
  EXPECT_NEAR(in.fertility.tfr(), 0.72, 0.01);
  EXPECT_NEAR(in.mortality.ex[0][0], 80.6, 0.15);
  for (int sex = 0; sex < 2; ++sex) {
    EXPECT_NEAR(std::accumulate(in.mortality.bx[sex].begin(), in.mortality.bx[sex].end(), 0.0), 1.0, 1e-6);
    EXPECT_NEAR(std::accumulate(in.mortality.bx_ultimate[sex].begin(), in.mortality.bx_ultimate[sex].end(), 0.0), 1.0, 1e-6);
  }
  // Every region has its own TFR; Korea's range in 2023 ran from about 0.4 to 1.6.
  EXPECT_EQ(in.tfr_region.size(), 229u);
  EXPECT_LT(*std::min_element(in.tfr_region.begin(), in.tfr_region.end()), 0.5);
  EXPECT_GT(*std::max_element(in.tfr_region.begin(), in.tfr_region.end()), 1.2);
  // Each nationality's migration shares sum to 1; the nationals' are signed (young leave, 50+ return).
  for (int n = 0; n < 2; ++n) {
    double sum = 0.0;
    for (const auto& by_age : in.international_migration.share[n]) sum += std::accumulate(by_age.begin(), by_age.end(), 0.0);
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
  EXPECT_NEAR(in.mortality.ex[1][0], 86.4, 0.15);
  EXPECT_GE(in.assumptions.year.back(), 2123);
}

// A copy of inputs/korea in a temporary folder whose tables can be edited cell by cell.
class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& e : std::filesystem::directory_iterator(test::koreaInputs()))
      std::filesystem::copy(e.path(), dir_.path() / e.path().filename());
  }

  std::filesystem::path file(const std::string& name) const { return dir_.path() / name; }

  std::vector<std::string> lines(const std::string& name) const {
    std::vector<std::string> out;
    std::istringstream in(test::readFile(file(name)));
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
  void setLines(const std::string& name, const std::vector<std::string>& ls) const {
    std::string text;
    for (const auto& l : ls) text += l + "\n";
    test::writeFile(file(name), text);
  }
  // 1-based line number of data row `row` (0-based) of a table.
  long lineOfRow(const std::string& name, std::size_t row) const {
    const auto ls = lines(name);
    std::size_t k = 0;
    while (ls[k].starts_with('#')) ++k;
    return static_cast<long>(k + 2 + row);
  }
  static std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> f;
    std::stringstream s(line);
    for (std::string x; std::getline(s, x, ',');) f.push_back(x);
    if (!line.empty() && line.back() == ',') f.emplace_back();
    return f;
  }
  static std::string join(const std::vector<std::string>& f) {
    std::string s;
    for (std::size_t i = 0; i < f.size(); ++i) s += (i ? "," : "") + f[i];
    return s;
  }
  int columnOf(const std::string& name, const std::string& column) const {
    const auto ls = lines(name);
    std::size_t k = 0;
    while (ls[k].starts_with('#')) ++k;
    const auto header = split(ls[k]);
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == column) return static_cast<int>(i);
    ADD_FAILURE() << name << " has no column " << column;
    return 0;
  }
  std::string cell(const std::string& name, std::size_t row, const std::string& column) const {
    return split(lines(name)[static_cast<std::size_t>(lineOfRow(name, row) - 1)])[static_cast<std::size_t>(columnOf(name, column))];
  }
  void setCell(const std::string& name, std::size_t row, const std::string& column, const std::string& value) const {
    auto ls = lines(name);
    auto& l = ls[static_cast<std::size_t>(lineOfRow(name, row) - 1)];
    auto f = split(l);
    f[static_cast<std::size_t>(columnOf(name, column))] = value;
    l = join(f);
    setLines(name, ls);
  }
  // "FILE:LINE:COL: column 'NAME': " for a data cell.
  std::string where(const std::string& name, std::size_t row, const std::string& column) const {
    return fmt::format("{}:{}:{}: column '{}': ", file(name).string(), lineOfRow(name, row),
                       columnOf(name, column) + 1, column);
  }

  std::string error() const {
    try {
      loadInputs(readConfig((dir_.path() / "baseline.toml").string()));
    } catch (const core::InputError& e) {
      return e.what();
    }
    return "no error";
  }

  test::TempDir dir_;
};

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

TEST_F(BadInput, NonNumericCell) {
  setCell("population.csv", 7, "age_35", "12a");
  EXPECT_HAS(error(), where("population.csv", 7, "age_35") + "expected an integer, found \"12a\"");
}

TEST_F(BadInput, CountBeyondAnyPopulation) {
  setCell("population.csv", 2, "age_0", "9223372036854775807");
  EXPECT_HAS(error(), where("population.csv", 2, "age_0") + "expected a count of at most");
}

TEST_F(BadInput, MoreHouseholdsThanAdults) {
  setCell("households.csv", 3, "households", cell("households.csv", 3, "persons"));
  EXPECT_HAS(error(), where("households.csv", 3, "households") + "expected between 1 and");
}

TEST_F(BadInput, NegativeCount) {
  setCell("population.csv", 3, "age_5", "-4");
  EXPECT_HAS(error(), where("population.csv", 3, "age_5") + "expected a non-negative count, found -4");
}

TEST_F(BadInput, BinThatDoesNotSum) {
  setCell("population.csv", 10, "age_33", std::to_string(std::stoll(cell("population.csv", 10, "age_33")) + 1));
  const auto e = error();
  EXPECT_HAS(e, where("population.csv", 10, "age_30") + "ages 30-34 sum to");
  EXPECT_HAS(e, "population_age5.csv line");
}

TEST_F(BadInput, DuplicateRegionCode) {
  setCell("regions.csv", 1, "code", cell("regions.csv", 0, "code"));
  EXPECT_HAS(error(), where("regions.csv", 1, "code") + "duplicate region code " + cell("regions.csv", 0, "code") +
                          " (first given on line " + std::to_string(lineOfRow("regions.csv", 0)) + ")");
}

TEST_F(BadInput, UnknownRegionCode) {
  setCell("households.csv", 4, "region", "9999999999");
  EXPECT_HAS(error(), where("households.csv", 4, "region") + "unknown region code 9999999999");
}

TEST_F(BadInput, MissingColumn) {
  auto ls = lines("regions.csv");
  for (auto& l : ls)
    if (!l.starts_with('#')) l = l.substr(0, l.rfind(','));
  setLines("regions.csv", ls);
  EXPECT_HAS(error(), file("regions.csv").string() + ":" + std::to_string(lineOfRow("regions.csv", 0) - 1) +
                          ": the header lacks column 'area_km2' (column 9)");
}

TEST_F(BadInput, TruncatedFile) {
  auto text = test::readFile(file("population.csv"));
  test::writeFile(file("population.csv"), text.substr(0, text.size() * 2 / 3));
  EXPECT_HAS(error(), file("population.csv").string() + ": the file does not end with a newline: it looks truncated");
}

TEST_F(BadInput, FileCutAtALineEnd) {
  auto ls = lines("population.csv");
  ls.resize(ls.size() - 2);  // drops the last region's two rows
  setLines("population.csv", ls);
  EXPECT_HAS(error(), file("population.csv").string() + ": no row for region");
}

TEST_F(BadInput, ProbabilityAboveOne) {
  setCell("mortality.csv", 50, "qx_female", "1.2");
  EXPECT_HAS(error(), where("mortality.csv", 50, "qx_female") + "expected a probability in [0, 1], found 1.2");
}

TEST_F(BadInput, RateBelowZero) {
  setCell("migration_age.csv", 25, "move_rate", "-0.1");
  EXPECT_HAS(error(), where("migration_age.csv", 25, "move_rate") + "expected a probability in [0, 1], found -0.1");
}

TEST_F(BadInput, BirthOrderSharesThatDoNotSumToOne) {
  setCell("fertility.csv", 15, "share_order1", "0.9");
  EXPECT_HAS(error(), where("fertility.csv", 15, "share_order1") + "the three birth-order shares must sum to 1");
}

TEST_F(BadInput, HouseholdPersonsDisagreeWithPopulation) {
  setCell("households.csv", 0, "persons", "12");
  EXPECT_HAS(error(), where("households.csv", 0, "persons") + "expected");
  EXPECT_HAS(error(), "persons (the region's total in the national population table " + file("population.csv").string() + "), found 12");
}

TEST_F(BadInput, AssumptionYearsWithAGap) {
  setCell("assumptions_medium.csv", 5, "year", "2030");
  EXPECT_HAS(error(), where("assumptions_medium.csv", 5, "year") + "expected year 2028");
}

TEST_F(BadInput, UnknownProvince) {
  setCell("regions.csv", 2, "province_code", "77");
  EXPECT_HAS(error(), where("regions.csv", 2, "province_code") + "unknown province code 77");
}

TEST_F(BadInput, BadSex) {
  setCell("population_age5.csv", 1, "sex", "X");
  EXPECT_HAS(error(), where("population_age5.csv", 1, "sex") + "expected the sex M or F, found \"X\"");
}

TEST_F(BadInput, LivingArrangementSharesAboveOne) {
  setCell("living_arrangements.csv", 30, "married_share", "0.9");
  setCell("living_arrangements.csv", 30, "with_parent_share", "0.5");
  EXPECT_HAS(error(), where("living_arrangements.csv", 30, "with_parent_share") + "married_share + with_parent_share must not exceed 1");
}

TEST_F(BadInput, LivingAloneShareAboveTheCeiling) {
  setCell("living_alone.csv", 25, "share", "0.99");
  EXPECT_HAS(error(), where("living_alone.csv", 25, "share") + "expected a share living alone in [0, 0.95], found 0.99");
}

TEST_F(BadInput, LivingAloneRowsOutOfTheRegionOrder) {
  // Row 22 is the second region's first row; the first region's code there breaks the order.
  const auto second = cell("living_alone.csv", 22, "region");
  setCell("living_alone.csv", 22, "region", cell("living_alone.csv", 0, "region"));
  EXPECT_HAS(error(), where("living_alone.csv", 22, "region") + "expected region " + second);
}

TEST_F(BadInput, LivingAloneNationalShareThatDiffersBetweenRegions) {
  setCell("living_alone.csv", 25, "national_share", "0.5");
  const auto e = error();
  EXPECT_HAS(e, where("living_alone.csv", 25, "national_share") + "expected ");
  EXPECT_HAS(e, "(the nation's share of this sex and age group, as on the first region's row)");
}

TEST_F(BadInput, LivingAloneAgeGroupOutOfPlace) {
  setCell("living_alone.csv", 4, "age_from", "45");
  EXPECT_HAS(error(), where("living_alone.csv", 4, "age_from") + "expected 40 (groups 0-9, 10-19, ..., 90-99, 100-100)");
}

TEST_F(BadInput, LivingAloneTrendOutOfRange) {
  setCell("living_alone_national.csv", 30, "trend_logit", "0.9");
  EXPECT_HAS(error(), where("living_alone_national.csv", 30, "trend_logit") + "expected a yearly change of the logit in [-0.5, 0.5]");
}

TEST_F(BadInput, HouseholdSizesThatDoNotAddUpToTheHouseholds) {
  setCell("households_by_size.csv", 0, "size_2", std::to_string(std::stoll(cell("households_by_size.csv", 0, "size_2")) + 1));
  EXPECT_HAS(error(), where("households_by_size.csv", 0, "size_1") + "the sizes sum to");
}

TEST_F(BadInput, HouseholdSizesOfAnUnknownProvince) {
  setCell("households_by_size.csv", 3, "province", "99");
  EXPECT_HAS(error(), where("households_by_size.csv", 3, "province") + "unknown province code 99");
}

TEST_F(BadInput, ForeignPersonsDisagreeWithTheForeignPopulation) {
  setCell("households.csv", 2, "foreign_persons", "7");
  EXPECT_HAS(error(), where("households.csv", 2, "foreign_persons") + "expected");
  EXPECT_HAS(error(), "persons (the region's total in the foreign population table " + file("population_foreign.csv").string() + "), found 7");
}

TEST_F(BadInput, ForeignHouseholdsWithoutAdults) {
  // More foreign households than foreign adults cannot all have an adult.
  setCell("households.csv", 2, "foreign_households", "99999999");
  EXPECT_HAS(error(), where("households.csv", 2, "foreign_households") + "expected between 1 and");
  EXPECT_HAS(error(), "households (the foreign persons aged 18+ of the region), found 99999999");
}

TEST_F(BadInput, RegionalTfrOutOfRange) {
  setCell("fertility_regions.csv", 7, "tfr", "0");
  EXPECT_HAS(error(), where("fertility_regions.csv", 7, "tfr") + "expected a total fertility rate in [0.05, 10], found 0");
}

TEST_F(BadInput, RegionMissingFromTheRegionalFertility) {
  auto ls = lines("fertility_regions.csv");
  ls.pop_back();
  setLines("fertility_regions.csv", ls);
  EXPECT_HAS(error(), file("fertility_regions.csv").string() + ": no row for region");
}

TEST_F(BadInput, ImprovementPatternThatDoesNotSumToOne) {
  setCell("mortality.csv", 40, "bx_male", "0.5");
  EXPECT_HAS(error(), file("mortality.csv").string() + ": column bx_male: the improvement weights must sum to 1");
}

TEST_F(BadInput, NegativeImprovementWeight) {
  setCell("mortality.csv", 3, "bx_ultimate_female", "-0.01");
  EXPECT_HAS(error(), where("mortality.csv", 3, "bx_ultimate_female") + "expected an improvement weight b_x in [0, 1]");
}

TEST_F(BadInput, LifeTableThatContradictsItsRates) {
  setCell("mortality.csv", 70, "qx_male", "0.5");
  EXPECT_HAS(error(), where("mortality.csv", 70, "qx_male") + "qx 0.5 contradicts mx");
}

TEST_F(BadInput, ZeroMortalityInTheOpenInterval) {
  setCell("mortality.csv", 100, "mx_female", "0");
  EXPECT_HAS(error(), where("mortality.csv", 100, "mx_female") + "expected a positive death rate in the open age interval");
}

TEST_F(BadInput, MigrationSharesOfANationalityThatDoNotSumToOne) {
  setCell("international_migration_age.csv", 250, "share", "0.9");
  EXPECT_HAS(error(), "the foreign shares must sum to 1");
}

TEST_F(BadInput, NationalityRowsOutOfOrder) {
  setCell("international_migration_age.csv", 3, "nationality", "foreign");
  EXPECT_HAS(error(), where("international_migration_age.csv", 3, "nationality") + "expected nationality national");
}

TEST_F(BadInput, NationalsNetMigrationThatIsNotANumber) {
  setCell("assumptions_medium.csv", 4, "net_international_migration_nationals", "many");
  EXPECT_HAS(error(), where("assumptions_medium.csv", 4, "net_international_migration_nationals"));
}

TEST_F(BadInput, RegionConstantOutOfRange) {
  setCell("migration_region_constants.csv", 6, "value", "25");
  EXPECT_HAS(error(), where("migration_region_constants.csv", 6, "value") + "expected a destination constant in [-20, 20]");
}

TEST_F(BadInput, RegionConstantOfAnUnknownAgeGroup) {
  setCell("migration_region_constants.csv", 2, "age_group", "25-34");
  EXPECT_HAS(error(), where("migration_region_constants.csv", 2, "age_group") + "unknown age group '25-34'");
}

TEST_F(BadInput, RegionConstantGivenTwice) {
  setCell("migration_region_constants.csv", 1, "age_group", "0-19");
  EXPECT_HAS(error(), where("migration_region_constants.csv", 1, "age_group") + "region ");
  EXPECT_HAS(error(), "age group 0-19 is given twice (first on line");
}

TEST_F(BadInput, RegionWithoutItsConstants) {
  auto ls = lines("migration_region_constants.csv");
  ls.pop_back();
  setLines("migration_region_constants.csv", ls);
  EXPECT_HAS(error(), file("migration_region_constants.csv").string() + ": no row for region");
}

TEST_F(BadInput, MissingFile) {
  std::filesystem::remove(file("mortality_regions.csv"));
  EXPECT_HAS(error(), file("mortality_regions.csv").string() + ": no such file");
}

TEST_F(BadInput, CapitalFlagContradictsProvince) {
  // The first region is in Seoul: its capital_region flag must be 1.
  setCell("regions.csv", 0, "capital_region", "0");
  EXPECT_HAS(error(), where("regions.csv", 0, "capital_region") + "expected 1 (the capital_region flag of province");
}

TEST_F(BadInput, FertilityScheduleWithoutBirths) {
  // All-zero rates cannot be scaled to the assumed TFR (a division by zero gave NaN births).
  for (std::size_t row = 0; row < 35; ++row) setCell("fertility.csv", row, "asfr", "0");
  EXPECT_HAS(error(), file("fertility.csv").string() + ": column asfr: the schedule's TFR (sum over ages) is 0.0000");
}

TEST_F(BadInput, DeathRatesWithoutAHumanLifeExpectancy) {
  // Zero death rates below 100 (and a consistent qx column) give a life expectancy near 100+.
  for (std::size_t row = 0; row < 100; ++row) {
    setCell("mortality.csv", row, "mx_male", "0");
    setCell("mortality.csv", row, "qx_male", "0");
  }
  EXPECT_HAS(error(), where("mortality.csv", 0, "mx_male") + "the death rates give a life expectancy at birth of");
}

TEST_F(BadInput, SurvivorsThatContradictTheRates) {
  setCell("mortality.csv", 100, "lx_female", std::to_string(std::stod(cell("mortality.csv", 100, "lx_female")) * 0.9));
  EXPECT_HAS(error(), where("mortality.csv", 100, "lx_female") + "lx ");
  EXPECT_HAS(error(), "contradicts qx");
}

TEST_F(BadInput, LifeExpectancyThatContradictsTheRates) {
  setCell("mortality.csv", 0, "ex_male", "95.0");
  EXPECT_HAS(error(), where("mortality.csv", 0, "ex_male") + "ex 95 contradicts mx and qx");
}

TEST_F(BadInput, LifeExpectancyPathThatJumps) {
  setCell("assumptions_medium.csv", 3, "e0_female", "110");
  EXPECT_HAS(error(), where("assumptions_medium.csv", 3, "e0_female") + "110 is ");
  EXPECT_HAS(error(), "years from the year before");
}

TEST_F(BadInput, TfrPathThatJumps) {
  setCell("assumptions_medium.csv", 5, "tfr", "9.5");
  EXPECT_HAS(error(), where("assumptions_medium.csv", 5, "tfr") + "9.5 after");
}

TEST_F(BadInput, NetMigrationBeyondThePopulation) {
  setCell("assumptions_medium.csv", 2, "net_international_migration", "-60000000");
  EXPECT_HAS(error(), where("assumptions_medium.csv", 2, "net_international_migration") +
                          "expected a yearly net migration count within 5% of the");
}

TEST_F(BadInput, ProvinceWithoutItsDestinationConstant) {
  // A deleted province constant used to be read silently as 0.
  auto ls = lines("migration_model.csv");
  ls.erase(std::remove_if(ls.begin(), ls.end(), [](const auto& l) { return l.starts_with("province_constant_11,"); }),
           ls.end());
  setLines("migration_model.csv", ls);
  EXPECT_HAS(error(), file("migration_model.csv").string() + ": no province_constant_11 rows (Seoul)");
}

TEST_F(BadInput, ProvinceCodeBeyond32Bits) {
  // 2^32 + 11 used to wrap to province 11.
  setCell("regions.csv", 0, "province_code", "4294967307");
  EXPECT_HAS(error(), where("regions.csv", 0, "province_code") + "expected an integer in [1, 99]");
}

TEST_F(BadInput, YearBeyond32Bits) {
  setCell("assumptions_medium.csv", 0, "year", "4294969319");  // 2^32 + 2023
  EXPECT_HAS(error(), where("assumptions_medium.csv", 0, "year") + "expected an integer in [1900, 3000]");
}

TEST_F(BadInput, DirectoryInsteadOfATable) {
  std::filesystem::remove(file("unions.csv"));
  std::filesystem::create_directory(file("unions.csv"));
  // Refused where the configuration names it.
  EXPECT_HAS(error(), "baseline.toml:");
  EXPECT_HAS(error(), "[inputs] unions must name a file (relative to this file), found \"unions.csv\"");
}

TEST_F(BadInput, DeviceInsteadOfATable) {
  std::filesystem::remove(file("unions.csv"));
  std::filesystem::create_symlink("/dev/zero", file("unions.csv"));
  EXPECT_HAS(error(), file("unions.csv").string() + ": not a regular file");
}

TEST_F(BadInput, ScaleTooSmallForEveryRegionToHaveAdults) {
  auto config = readConfig((dir_.path() / "baseline.toml").string());
  config.scale = 1e-4;
  try {
    loadInputs(config);
    ADD_FAILURE() << "a scale of 1e-4 was accepted";
  } catch (const core::InputError& e) {
    EXPECT_HAS(std::string(e.what()), "is too small for these inputs: Ulleung-gun");
    EXPECT_HAS(std::string(e.what()), "the smallest scale at which every region expects at least 5 adults is");
  }
  config.scale = smallestScale(test::baselineInputs());
  EXPECT_NO_THROW(loadInputs(config));
}

}  // namespace
}  // namespace popsim::io
