#include <gtest/gtest.h>

#include <regex>

#include "core/error.hpp"
#include "io/config.hpp"
#include "support/test_support.hpp"

namespace popsim::io {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  // The baseline configuration with `from` replaced by `to`; returns the error message.
  std::string errorWith(const std::string& from, const std::string& to) {
    auto text = test::readFile(test::baselineConfig());
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << "baseline.toml lacks: " << from;
    text.replace(at, from.size(), to);
    const auto p = dir_.path() / "bad.toml";
    test::writeFile(p, text);
    try {
      readConfig(p.string());
    } catch (const core::InputError& e) {
      return e.what();
    }
    return "";
  }
  test::TempDir dir_;
};

TEST_F(ConfigTest, BaselineReadsAndResolvesPathsNextToIt) {
  const auto& c = test::baseline();
  EXPECT_EQ(c.start_year, 2023);
  EXPECT_DOUBLE_EQ(c.scale, 1.0);
  EXPECT_EQ(std::filesystem::path(c.inputs.population), test::koreaInputs() / "population.csv");
  EXPECT_GT(c.synthesis.spouse_age_gap_mean_years, 0.0);
}

TEST_F(ConfigTest, MissingKeyIsNamedWithLineAndColumn) {
  const auto e = errorWith("seed = ", "sede = ");
  EXPECT_TRUE(std::regex_search(e, std::regex(R"(bad\.toml:\d+:1: )"))) << e;
  EXPECT_NE(e.find("lacks the required key 'seed'"), std::string::npos) << e;
}

TEST_F(ConfigTest, UnknownKeyIsRejected) {
  const auto e = errorWith("scale = 1.0", "scale = 1.0\nscael = 0.5");
  EXPECT_NE(e.find("unknown key 'scael' in [run]"), std::string::npos) << e;
}

TEST_F(ConfigTest, WrongTypeAndRangeAreRejected) {
  EXPECT_NE(errorWith("start_year = 2023", "start_year = \"2023\"").find("[run] start_year must be an integer"),
            std::string::npos);
  EXPECT_NE(errorWith("scale = 1.0", "scale = 2.0").find("[run] scale must be in"), std::string::npos);
}

TEST_F(ConfigTest, ModelOptionsOutOfRangeAreRejected) {
  EXPECT_NE(errorWith("naturalisation_rate = 0.00558", "naturalisation_rate = 0.9").find("[model] naturalisation_rate must be in"),
            std::string::npos);
  EXPECT_NE(errorWith("foreign_fertility_ratio = 0.3", "foreign_fertility_ratio = -1").find("[model] foreign_fertility_ratio must be in"),
            std::string::npos);
  EXPECT_NE(errorWith("regional_fertility_half_life_years = 50.0", "regional_fertility_half_life_years = 0")
                .find("[model] regional_fertility_half_life_years must be in"),
            std::string::npos);
  EXPECT_NE(errorWith("region_constant_half_life_years = 10.0", "region_constant_half_life_years = \"long\"")
                .find("[model] region_constant_half_life_years must be a number"),
            std::string::npos);
  const auto e = errorWith("mortality_rotation_end_e0 = 102.0", "mortality_rotation_end_e0 = 70.0");
  EXPECT_TRUE(std::regex_search(e, std::regex(R"(bad\.toml:\d+:\d+: \[model\] mortality_rotation_end_e0 must be above)"))) << e;
}

TEST_F(ConfigTest, HouseholdOptionsOutOfRangeAreRejected) {
  EXPECT_NE(errorWith("living_alone_trend_half_life_years = 0.0", "living_alone_trend_half_life_years = -1")
                .find("[households] living_alone_trend_half_life_years must be in"),
            std::string::npos);
  EXPECT_NE(errorWith("living_alone_max_share = 0.8", "living_alone_max_share = 1.5").find("[households] living_alone_max_share must be in"),
            std::string::npos);
  EXPECT_NE(errorWith("living_alone_max_share = 0.8", "living_alone_max_share = 0.8\nelderly_join_child_rate = 0.02")
                .find("unknown key 'elderly_join_child_rate' in [households]"),
            std::string::npos);
  EXPECT_NE(errorWith("living_alone = \"living_alone.csv\"", "").find("lacks the required key 'living_alone'"), std::string::npos);
}

TEST_F(ConfigTest, SyntaxErrorNamesLineAndColumn) {
  const auto e = errorWith("[synthesis]", "[synthesis");
  EXPECT_TRUE(std::regex_search(e, std::regex(R"(bad\.toml:\d+:\d+: invalid TOML)"))) << e;
}

}  // namespace
}  // namespace popsim::io
