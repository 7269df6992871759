#include "io/scenario.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>


#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "core/error.hpp"
#include "io/files.hpp"

namespace popsim::io {
namespace {

const std::set<std::string> kFlags = {"capital_region", "non_capital_region", "population_declining_area"};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  std::string where(const toml::node& n) const {
    return fmt::format("{}:{}:{}", file_, n.source().begin.line, n.source().begin.column);
  }
  [[noreturn]] void fail(const toml::node& n, const std::string& message) const {
    throw core::InputError(fmt::format("{}: {}", where(n), message));
  }

  // Every key of `table` must be in `known`.
  void onlyKeys(const toml::table& table, const std::set<std::string>& known, const std::string& what) const {
    for (const auto& [key, value] : table)
      if (!known.contains(std::string(key.str())))
        fail(value, fmt::format("unknown key '{}' in {} (expected one of: {})", key.str(), what, fmt::join(known, ", ")));
  }

  double number(const toml::node& n, const std::string& what, double min, double max) const {
    double v = 0.0;
    if (n.is_floating_point()) v = n.as_floating_point()->get();
    else if (n.is_integer()) v = static_cast<double>(n.as_integer()->get());
    else fail(n, fmt::format("{} must be a number", what));
    if (!(v >= min && v <= max)) fail(n, fmt::format("{} must be in [{}, {}], found {}", what, min, max, v));
    return v;
  }

  std::int64_t integer(const toml::node& n, const std::string& what, std::int64_t min, std::int64_t max) const {
    if (!n.is_integer()) fail(n, fmt::format("{} must be an integer", what));
    const auto v = n.as_integer()->get();
    if (v < min || v > max) fail(n, fmt::format("{} must be in [{}, {}], found {}", what, min, max, v));
    return v;
  }

  std::string string(const toml::node& n, const std::string& what) const {
    if (!n.is_string()) fail(n, fmt::format("{} must be a string", what));
    return n.as_string()->get();
  }

  const toml::table& table(const toml::node& n, const std::string& what) const {
    if (!n.is_table()) fail(n, fmt::format("{} must be a table", what));
    return *n.as_table();
  }

  const toml::node& required(const toml::table& t, const std::string& key, const std::string& what) const {
    const auto* n = t.get(key);
    if (n == nullptr) fail(t, fmt::format("{} lacks the required key '{}'", what, key));
    return *n;
  }

  // { value|factor|change = X, min_age = A, max_age = B }
  AgeEffect ageEffect(const toml::node& n, const std::string& what, const std::string& value_key, double min,
                      double max) const {
    const auto& t = table(n, what);
    onlyKeys(t, {value_key, "min_age", "max_age"}, what);
    AgeEffect e;
    e.value = number(required(t, value_key, what), what + "." + value_key, min, max);
    e.min_age = static_cast<int>(integer(required(t, "min_age", what), what + ".min_age", 0, 100));
    e.max_age = static_cast<int>(integer(required(t, "max_age", what), what + ".max_age", 0, 100));
    if (e.max_age < e.min_age)
      fail(n, fmt::format("{}: max_age {} is below min_age {}", what, e.max_age, e.min_age));
    e.active = true;
    return e;
  }

 private:
  std::string file_;
};

RegionSelector readSelector(const Reader& r, const toml::node& n) {
  const auto& t = r.table(n, "select");
  r.onlyKeys(t, {"all", "provinces", "regions", "flags", "extinction_index_below"}, "select");
  RegionSelector s;
  if (const auto* all = t.get("all")) {
    if (!all->is_boolean() || !all->as_boolean()->get()) r.fail(*all, "select.all must be true (omit it otherwise)");
    s.all = true;
    if (t.size() > 1) r.fail(*all, "select.all = true cannot be combined with other criteria");
  }
  auto list = [&](const char* key, auto&& each) {
    const auto* node = t.get(key);
    if (node == nullptr) return;
    const auto* array = node->as_array();
    if (array == nullptr || array->empty()) r.fail(*node, fmt::format("select.{} must be a non-empty list", key));
    for (const auto& e : *array) {
      each(e);
      s.where.push_back(r.where(e));
    }
  };
  list("provinces", [&](const toml::node& e) {
    s.provinces.push_back(static_cast<int>(r.integer(e, "a province code", 1, 99)));
  });
  list("regions", [&](const toml::node& e) {
    s.regions.push_back(r.integer(e, "a region code", 1, 9'999'999'999));
  });
  list("flags", [&](const toml::node& e) {
    const auto flag = r.string(e, "a flag");
    if (!kFlags.contains(flag))
      r.fail(e, fmt::format("unknown flag '{}'; expected one of: {}", flag, fmt::join(kFlags, ", ")));
    s.flags.push_back(flag);
  });
  if (const auto* x = t.get("extinction_index_below"))
    s.extinction_index_below = r.number(*x, "select.extinction_index_below", 1e-6, 100.0);
  if (!s.all && s.provinces.empty() && s.regions.empty() && s.flags.empty() && s.extinction_index_below == 0.0)
    r.fail(n, "select needs at least one criterion (all = true, provinces, regions, flags, extinction_index_below)");
  return s;
}

Effects readEffects(const Reader& r, const toml::node& n) {
  const auto& t = r.table(n, "effects");
  r.onlyKeys(t, {"fertility_multiplier", "birth_grant", "out_migration_multiplier", "attractiveness", "mortality_multiplier"},
             "effects");
  if (t.empty()) r.fail(n, "effects needs at least one effect");
  Effects e;
  if (const auto* x = t.get("fertility_multiplier")) e.fertility_multiplier = r.number(*x, "effects.fertility_multiplier", 0.1, 3.0);
  if (const auto* x = t.get("mortality_multiplier")) e.mortality_multiplier = r.number(*x, "effects.mortality_multiplier", 0.1, 3.0);
  if (const auto* x = t.get("birth_grant")) {
    const auto& g = r.table(*x, "effects.birth_grant");
    r.onlyKeys(g, {"million_krw_per_birth", "births_change_per_million_krw"}, "effects.birth_grant");
    e.birth_grant_million_krw =
        r.number(r.required(g, "million_krw_per_birth", "effects.birth_grant"), "birth_grant.million_krw_per_birth", 0.0, 500.0);
    e.birth_grant_effect = r.number(r.required(g, "births_change_per_million_krw", "effects.birth_grant"),
                                    "birth_grant.births_change_per_million_krw", 0.0, 0.1);
    if (e.birth_grant_million_krw * e.birth_grant_effect > 2.0)
      r.fail(*x, fmt::format("birth_grant raises births by {:.0f}%: more than the 200% this model accepts",
                             100 * e.birth_grant_million_krw * e.birth_grant_effect));
  }
  if (const auto* x = t.get("out_migration_multiplier"))
    e.out_migration_multiplier = r.ageEffect(*x, "effects.out_migration_multiplier", "factor", 0.0, 5.0);
  if (const auto* x = t.get("attractiveness"))
    e.attractiveness = r.ageEffect(*x, "effects.attractiveness", "change", -5.0, 5.0);
  return e;
}

}  // namespace

Scenario readScenario(const std::string& path, const std::string& inputs_dir) {
  Scenario sc;
  sc.path = path;
  sc.text = readTextFile(path, "a scenario file (TOML)");
  toml::table root;
  try {
    root = toml::parse(sc.text, path);
  } catch (const toml::parse_error& e) {
    throw core::InputError(fmt::format("{}:{}:{}: invalid TOML: {}", path, e.source().begin.line,
                                       e.source().begin.column, e.description()));
  }
  const Reader r(path);
  r.onlyKeys(root, {"scenario", "intervention"}, "the scenario file");
  const auto* head = root.get("scenario");
  if (head == nullptr) throw core::InputError(fmt::format("{}: missing table [scenario]", path));
  const auto& s = r.table(*head, "[scenario]");
  r.onlyKeys(s, {"name", "description", "assumptions"}, "[scenario]");
  sc.name = r.string(r.required(s, "name", "[scenario]"), "[scenario] name");
  if (sc.name.empty()) r.fail(s, "[scenario] name must not be empty");
  if (const auto* d = s.get("description")) sc.description = r.string(*d, "[scenario] description");
  if (const auto* a = s.get("assumptions")) {
    const auto value = r.string(*a, "[scenario] assumptions");
    const std::set<std::string> shipped = {"medium", "high", "low"};
    const auto file = shipped.contains(value)
                          ? std::filesystem::path(inputs_dir) / fmt::format("assumptions_{}.csv", value)
                          : std::filesystem::path(path).parent_path() / value;
    if (!std::filesystem::is_regular_file(file))
      r.fail(*a, fmt::format("assumption path '{}': {} does not exist (expected medium, high, low or a CSV file "
                             "relative to the scenario)", value, file.string()));
    sc.assumptions = file.lexically_normal().string();
  }

  if (const auto* list = root.get("intervention")) {
    const auto* array = list->as_array();
    if (array == nullptr) r.fail(*list, "intervention must be an array of tables [[intervention]]");
    for (const auto& node : *array) {
      const auto& t = r.table(node, "[[intervention]]");
      r.onlyKeys(t, {"name", "start_year", "end_year", "select", "effects", "evidence"}, "[[intervention]]");
      Intervention iv;
      iv.where = r.where(node);
      iv.name = r.string(r.required(t, "name", "[[intervention]]"), "intervention name");
      iv.start_year = static_cast<int>(r.integer(r.required(t, "start_year", "[[intervention]]"), "start_year", 1900, 2300));
      iv.end_year = static_cast<int>(r.integer(r.required(t, "end_year", "[[intervention]]"), "end_year", 1900, 2300));
      if (iv.end_year < iv.start_year)
        r.fail(*t.get("end_year"), fmt::format("intervention '{}': end_year {} is before start_year {} (reversed years)",
                                               iv.name, iv.end_year, iv.start_year));
      iv.selector = readSelector(r, r.required(t, "select", "[[intervention]]"));
      iv.effects = readEffects(r, r.required(t, "effects", "[[intervention]]"));
      if (const auto* ev = t.get("evidence")) r.string(*ev, "intervention evidence");
      for (const auto& other : sc.interventions)
        if (other.name == iv.name && iv.start_year <= other.end_year && other.start_year <= iv.end_year)
          r.fail(node, fmt::format("intervention '{}' ({}-{}) overlaps the one of the same name at {} ({}-{})", iv.name,
                                   iv.start_year, iv.end_year, other.where, other.start_year, other.end_year));
      sc.interventions.push_back(std::move(iv));
    }
  }
  return sc;
}

bool RegionSelector::matchesFixed(const core::Region& region) const {
  if (all) return true;
  if (!provinces.empty() && std::find(provinces.begin(), provinces.end(), region.province_code) == provinces.end())
    return false;
  if (!regions.empty() && std::find(regions.begin(), regions.end(), region.code) == regions.end()) return false;
  if (!flags.empty()) {
    bool any = false;
    for (const auto& f : flags)
      any = any || (f == "capital_region" && region.capital_region) || (f == "non_capital_region" && !region.capital_region) ||
            (f == "population_declining_area" && region.declining_area);
    if (!any) return false;
  }
  return true;
}

namespace {

// Interventions that overlap in time and place combine (multipliers multiply, changes add): the
// combination must stay within the bounds of a single effect, wherever and whenever all of them
// may apply (a selection on the extinction index is assumed to hold).
void checkCombinedEffects(const Scenario& scenario, const core::RegionTable& regions, int first_year, int last_year) {
  const auto& ivs = scenario.interventions;
  for (int year = first_year; year <= last_year; ++year)
    for (const auto& region : regions.regions()) {
      double fertility = 1.0, mortality = 1.0;
      std::array<double, core::kAgeClasses> out_migration, attractiveness;
      out_migration.fill(1.0);
      attractiveness.fill(0.0);
      std::vector<std::string> names;
      for (const auto& iv : ivs) {
        if (year < iv.start_year || year > iv.end_year || !iv.selector.matchesFixed(region)) continue;
        const auto& e = iv.effects;
        names.push_back(fmt::format("'{}'", iv.name));
        fertility *= e.fertility_multiplier * (1.0 + e.birth_grant_effect * e.birth_grant_million_krw);
        mortality *= e.mortality_multiplier;
        for (int a = 0; a < core::kAgeClasses; ++a) {
          const auto at = static_cast<std::size_t>(a);
          if (e.out_migration_multiplier.active && a >= e.out_migration_multiplier.min_age &&
              a <= e.out_migration_multiplier.max_age)
            out_migration[at] *= e.out_migration_multiplier.value;
          if (e.attractiveness.active && a >= e.attractiveness.min_age && a <= e.attractiveness.max_age)
            attractiveness[at] += e.attractiveness.value;
        }
      }
      if (names.size() < 2) continue;
      auto refuse = [&](const std::string& what, double value, double lo, double hi) {
        throw core::InputError(fmt::format(
            "{}: in {} region {} ({}) combines interventions {}: {} {:.3g}, outside [{}, {}] (the bounds of one "
            "effect hold for a combination too)",
            scenario.path, year, region.code, region.name_en, fmt::join(names, ", "), what, value, lo, hi));
      };
      if (!(fertility >= 0.1 && fertility <= 3.0)) refuse("fertility multiplied by", fertility, 0.1, 3.0);
      if (!(mortality >= 0.1 && mortality <= 3.0)) refuse("mortality multiplied by", mortality, 0.1, 3.0);
      for (int a = 0; a < core::kAgeClasses; ++a) {
        const auto at = static_cast<std::size_t>(a);
        if (!(out_migration[at] <= 5.0)) refuse(fmt::format("out-migration at age {} multiplied by", a), out_migration[at], 0, 5);
        if (!(attractiveness[at] >= -5.0 && attractiveness[at] <= 5.0))
          refuse(fmt::format("attractiveness at age {} changed by", a), attractiveness[at], -5, 5);
      }
    }
}

}  // namespace

void checkScenario(const Scenario& scenario, const core::RegionTable& regions, int first_year, int last_year) {
  for (const auto& iv : scenario.interventions) {
    if (iv.start_year < first_year || iv.end_year > last_year)
      throw core::InputError(fmt::format("{}: intervention '{}' runs {}-{}, outside the projection years {}-{}", iv.where,
                                         iv.name, iv.start_year, iv.end_year, first_year, last_year));
    std::size_t k = 0;
    for (const auto p : iv.selector.provinces) {
      if (!regions.findProvince(p))
        throw core::InputError(fmt::format("{}: unknown province code {}", iv.selector.where[k], p));
      ++k;
    }
    for (const auto code : iv.selector.regions) {
      if (!regions.find(code)) throw core::InputError(fmt::format("{}: unknown region code {}", iv.selector.where[k], code));
      ++k;
    }
    bool any = false;
    for (const auto& region : regions.regions()) any = any || iv.selector.matchesFixed(region);
    if (!any)
      throw core::InputError(fmt::format("{}: intervention '{}' selects no region (its criteria exclude each other)",
                                         iv.where, iv.name));
  }
  checkCombinedEffects(scenario, regions, first_year, last_year);
}

}  // namespace popsim::io
