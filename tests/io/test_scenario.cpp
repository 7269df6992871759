// Scenario files: the shipped ones are valid; errors name the file, line and column and say what
// was expected.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "core/error.hpp"
#include "io/config.hpp"
#include "io/inputs.hpp"
#include "io/scenario.hpp"
#include "support/test_support.hpp"

namespace popsim::io {
namespace {

std::string inputsDir() { return test::koreaInputs().string(); }

// The error message for a scenario with `text`, or "accepted".
std::string refusal(const std::string& text) {
  test::TempDir dir;
  const auto path = (dir.path() / "s.toml").string();
  test::writeFile(path, text);
  try {
    const auto s = readScenario(path, inputsDir());
    checkScenario(s, test::baselineInputs().regions, 2024, 2123);
  } catch (const core::InputError& e) {
    std::string m = e.what();
    const auto at = m.find("s.toml");
    return at == std::string::npos ? m : m.substr(at);
  }
  return "accepted";
}

const char* kHead = "[scenario]\nname = \"t\"\n";

std::string with(const std::string& intervention) { return std::string(kHead) + "[[intervention]]\n" + intervention; }

TEST(Scenario, ShippedScenariosAreValid) {
  for (const auto* name : {"baseline", "low", "high", "birth_grant", "declining_areas", "decentralisation"}) {
    const auto path = (test::koreaInputs() / "scenarios" / (std::string(name) + ".toml")).string();
    auto config = test::baseline();
    EXPECT_NO_THROW(applyScenario(config, path)) << name;
    EXPECT_NO_THROW(checkScenario(config.scenario, test::baselineInputs().regions, 2024, 2123)) << name;
    EXPECT_FALSE(config.scenario.name.empty());
    EXPECT_NE(config.inputs.assumptions.find("assumptions_"), std::string::npos) << name;
  }
}

TEST(Scenario, ReadsSelectorsAndEffects) {
  test::TempDir dir;
  const auto path = (dir.path() / "s.toml").string();
  test::writeFile(path, with("name = \"a\"\nstart_year = 2025\nend_year = 2030\n"
                             "select = { provinces = [46, 47], flags = [\"population_declining_area\"], extinction_index_below = 0.5 }\n"
                             "effects = { fertility_multiplier = 1.2, mortality_multiplier = 0.9, "
                             "out_migration_multiplier = { factor = 0.5, min_age = 20, max_age = 34 }, "
                             "attractiveness = { change = 0.3, min_age = 20, max_age = 59 }, "
                             "birth_grant = { million_krw_per_birth = 5, births_change_per_million_krw = 0.01 } }\n"));
  const auto s = readScenario(path, inputsDir());
  ASSERT_EQ(s.interventions.size(), 1u);
  const auto& iv = s.interventions[0];
  EXPECT_EQ(iv.selector.provinces, (std::vector<int>{46, 47}));
  EXPECT_EQ(iv.selector.flags, (std::vector<std::string>{"population_declining_area"}));
  EXPECT_DOUBLE_EQ(iv.selector.extinction_index_below, 0.5);
  EXPECT_DOUBLE_EQ(iv.effects.fertility_multiplier, 1.2);
  EXPECT_DOUBLE_EQ(iv.effects.mortality_multiplier, 0.9);
  EXPECT_TRUE(iv.effects.out_migration_multiplier.active);
  EXPECT_EQ(iv.effects.out_migration_multiplier.max_age, 34);
  EXPECT_DOUBLE_EQ(iv.effects.attractiveness.value, 0.3);
  EXPECT_DOUBLE_EQ(iv.effects.birth_grant_million_krw * iv.effects.birth_grant_effect, 0.05);
  EXPECT_TRUE(s.assumptions.empty()) << "no assumption path named: the configuration's";
}

TEST(Scenario, ErrorsNameTheFileLineAndColumn) {
  const std::string ok_select = "select = { all = true }\n";
  const std::string ok_effects = "effects = { fertility_multiplier = 1.1 }\n";
  const std::string years = "name = \"a\"\nstart_year = 2025\nend_year = 2030\n";
  struct Case {
    std::string text, expected;
  };
  const std::vector<Case> cases = {
      {with(years + "select = { regions = [1111000000, 9999999999] }\n" + ok_effects), "s.toml:7:35: unknown region code 9999999999"},
      {with(years + "select = { provinces = [99] }\n" + ok_effects), "s.toml:7:25: unknown province code 99"},
      {with(years + "select = { flags = [\"coastal\"] }\n" + ok_effects), "s.toml:7:21: unknown flag 'coastal'; expected one of: capital_region"},
      {with("name = \"a\"\nstart_year = 2030\nend_year = 2025\n" + ok_select + ok_effects),
       "s.toml:6:12: intervention 'a': end_year 2025 is before start_year 2030 (reversed years)"},
      {with(years + ok_select + ok_effects) + "[[intervention]]\nname = \"a\"\nstart_year = 2028\nend_year = 2040\n" +
           ok_select + ok_effects,
       "s.toml:9:1: intervention 'a' (2028-2040) overlaps the one of the same name at"},
      {with(years + ok_select + "effects = { fertility_multiplier = 7 }\n"),
       "s.toml:8:36: effects.fertility_multiplier must be in [0.1, 3], found 7"},
      {with(years + ok_select + "effects = { out_migration_multiplier = { factor = 0.5, min_age = 40, max_age = 20 } }\n"),
       "effects.out_migration_multiplier: max_age 20 is below min_age 40"},
      {with(years + ok_select + "effects = { fertility_multipler = 1.1 }\n"), "s.toml:8:35: unknown key 'fertility_multipler' in effects (expected one of: attractiveness"},
      {with(years + ok_select + "effects = {}\n"), "effects needs at least one effect"},
      {with(years + "select = {}\n" + ok_effects), "select needs at least one criterion"},
      {with(years + "select = { provinces = [11], flags = [\"population_declining_area\"] }\n" + ok_effects),
       "s.toml:3:1: intervention 'a' selects no region (its criteria exclude each other)"},
      {with("name = \"a\"\nstart_year = 2025\nend_year = 2200\n" + ok_select + ok_effects),
       "intervention 'a' runs 2025-2200, outside the projection years 2024-2123"},
      {"[scenario]\nname = \"t\"\nassumptions = \"middle\"\n", "s.toml:3:15: assumption path 'middle'"},
      {"[scenario]\ndescription = \"no name\"\n", "[scenario] lacks the required key 'name'"},
      {"[scenaro]\nname = \"t\"\n", "s.toml:1:1: unknown key 'scenaro' in the scenario file"},
      {"[scenario]\nname = \"t\n", "s.toml:2:10: invalid TOML"},
  };
  for (const auto& c : cases) {
    const auto message = refusal(c.text);
    EXPECT_NE(message.find(c.expected), std::string::npos) << "expected '" << c.expected << "', got '" << message
                                                          << "' for:\n" << c.text;
  }
}

TEST(Scenario, StackedEffectsStayWithinTheBoundsOfOne) {
  // Each intervention within its bound, but where they overlap fertility is multiplied by 3 x 3:
  // refused, naming the year, the region and the interventions.
  auto iv = [](const char* name, int start, int end) {
    return fmt::format("[[intervention]]\nname = \"{}\"\nstart_year = {}\nend_year = {}\nselect = {{ provinces = [46] }}\n"
                       "effects = {{ fertility_multiplier = 3.0 }}\n", name, start, end);
  };
  const auto stacked = refusal(std::string(kHead) + iv("a", 2025, 2030) + iv("b", 2030, 2035));
  EXPECT_NE(stacked.find("in 2030 region"), std::string::npos) << stacked;
  EXPECT_NE(stacked.find("combines interventions 'a', 'b': fertility multiplied by 9, outside [0.1, 3]"),
            std::string::npos) << stacked;
  // The same interventions one after the other are fine.
  EXPECT_EQ(refusal(std::string(kHead) + iv("a", 2025, 2029) + iv("b", 2030, 2035)), "accepted");
}

}  // namespace
}  // namespace popsim::io
