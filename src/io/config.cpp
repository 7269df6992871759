#include "io/config.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "core/error.hpp"
#include "io/files.hpp"

namespace popsim::io {
namespace {

// Reads keys from one TOML table, remembering which were used so that leftovers (typos) can be
// reported.
class TableReader {
 public:
  TableReader(const std::string& file, const toml::table& root, const std::string& name)
      : file_(file), name_(name) {
    const toml::node* node = root.get(name);
    if (node == nullptr) throw core::InputError(fmt::format("{}: missing table [{}]", file, name));
    table_ = node->as_table();
    if (table_ == nullptr) throw core::InputError(where(*node, fmt::format("'{}' must be a table [{}]", name, name)));
  }

  const toml::node& node(const std::string& key) {
    used_.insert(key);
    const toml::node* n = table_->get(key);
    if (n == nullptr)
      throw core::InputError(where(*table_, fmt::format("table [{}] lacks the required key '{}'", name_, key)));
    return *n;
  }

  std::string string(const std::string& key) {
    const auto& n = node(key);
    if (!n.is_string()) throw core::InputError(where(n, fmt::format("[{}] {} must be a string", name_, key)));
    return n.as_string()->get();
  }

  std::int64_t integer(const std::string& key, std::int64_t min, std::int64_t max) {
    const auto& n = node(key);
    if (!n.is_integer()) throw core::InputError(where(n, fmt::format("[{}] {} must be an integer", name_, key)));
    const std::int64_t v = n.as_integer()->get();
    if (v < min || v > max)
      throw core::InputError(where(n, fmt::format("[{}] {} must be in [{}, {}], found {}", name_, key, min, max, v)));
    return v;
  }

  double number(const std::string& key, double min, double max) {
    const auto& n = node(key);
    double v = 0.0;
    if (n.is_floating_point()) v = n.as_floating_point()->get();
    else if (n.is_integer()) v = static_cast<double>(n.as_integer()->get());
    else throw core::InputError(where(n, fmt::format("[{}] {} must be a number", name_, key)));
    if (!(v >= min && v <= max))
      throw core::InputError(where(n, fmt::format("[{}] {} must be in [{}, {}], found {}", name_, key, min, max, v)));
    return v;
  }

  std::string file(const std::string& key, const std::filesystem::path& dir) {
    const auto& n = node(key);
    const auto name = string(key);
    const auto path = (dir / name).lexically_normal();
    std::error_code ec;
    if (name.empty() || name.back() == '/' || std::filesystem::is_directory(path, ec))
      throw core::InputError(where(n, fmt::format("[{}] {} must name a file (relative to this file), found \"{}\"",
                                                  name_, key, name)));
    return path.string();
  }

  bool boolean(const std::string& key) {
    const auto& n = node(key);
    if (!n.is_boolean()) throw core::InputError(where(n, fmt::format("[{}] {} must be true or false", name_, key)));
    return n.as_boolean()->get();
  }

  void rejectUnknownKeys() const {
    for (const auto& [key, value] : *table_)
      if (!used_.contains(std::string(key.str())))
        throw core::InputError(where(value, fmt::format("unknown key '{}' in [{}]", key.str(), name_)));
  }

 private:
  std::string where(const toml::node& n, const std::string& message) const {
    const auto& src = n.source();
    return fmt::format("{}:{}:{}: {}", file_, src.begin.line, src.begin.column, message);
  }

  std::string file_;
  std::string name_;
  const toml::table* table_ = nullptr;
  std::set<std::string> used_;
};

}  // namespace

Config readConfig(const std::string& path) {
  Config config;
  config.path = path;
  config.text = readTextFile(path, "the configuration file (TOML)");
  toml::table root;
  try {
    root = toml::parse(config.text, path);
  } catch (const toml::parse_error& e) {
    throw core::InputError(fmt::format("{}:{}:{}: invalid TOML: {}", path, e.source().begin.line,
                                       e.source().begin.column, e.description()));
  }
  static const std::set<std::string> known_tables = {"run", "inputs", "synthesis", "model", "households", "parallel", "outlook"};
  for (const auto& [key, value] : root)
    if (!known_tables.contains(std::string(key.str())))
      throw core::InputError(fmt::format("{}:{}:{}: unknown table or key '{}' (expected [run], [inputs], [synthesis], [model], [households], [parallel], [outlook])",
                                         path, value.source().begin.line, value.source().begin.column, key.str()));

  TableReader run(path, root, "run");
  config.start_year = static_cast<int>(run.integer("start_year", 1900, 2200));
  config.seed = static_cast<std::uint64_t>(run.integer("seed", 0, std::numeric_limits<std::int64_t>::max()));
  config.scale = run.number("scale", kMinScale, 1.0);
  run.rejectUnknownKeys();

  const auto dir = std::filesystem::path(path).parent_path();
  TableReader in(path, root, "inputs");
  // Each input is named by a file name (relative to this file); an empty name or a directory
  // is refused here, where the line that names it is known.
  auto file = [&](const char* key) { return in.file(key, dir); };
  config.inputs.regions = file("regions");
  config.inputs.provinces = file("provinces");
  config.inputs.population = file("population");
  config.inputs.population_age5 = file("population_age5");
  config.inputs.population_foreign = file("population_foreign");
  config.inputs.households = file("households");
  config.inputs.households_by_size = file("households_by_size");
  config.inputs.assumptions = file("assumptions");
  config.inputs.fertility = file("fertility");
  config.inputs.fertility_regions = file("fertility_regions");
  config.inputs.mortality = file("mortality");
  config.inputs.mortality_regions = file("mortality_regions");
  config.inputs.migration_age = file("migration_age");
  config.inputs.living_arrangements = file("living_arrangements");
  config.inputs.unions = file("unions");
  config.inputs.living_alone = file("living_alone");
  config.inputs.living_alone_national = file("living_alone_national");
  config.inputs.international_migration_age = file("international_migration_age");
  config.inputs.migration_model = file("migration_model");
  config.inputs.migration_region_constants = file("migration_region_constants");
  in.rejectUnknownKeys();

  TableReader syn(path, root, "synthesis");
  auto& s = config.synthesis;
  s.spouse_age_gap_mean_years = syn.number("spouse_age_gap_mean_years", -10.0, 15.0);
  s.spouse_age_gap_sd_years = syn.number("spouse_age_gap_sd_years", 0.0, 15.0);
  s.mother_age_trend_years_per_year = syn.number("mother_age_trend_years_per_year", 0.0, 1.0);
  s.mother_age_trend_cap_years = syn.number("mother_age_trend_cap_years", 0.0, 20.0);
  s.lone_mother_share = syn.number("lone_mother_share", 0.0, 1.0);
  s.lone_father_share = syn.number("lone_father_share", 0.0, 1.0);
  s.max_dependents_per_adult = static_cast<std::uint32_t>(syn.integer("max_dependents_per_adult", 1, 20));
  s.oldest_old_yearly_survival = syn.number("oldest_old_yearly_survival", 0.0, 0.95);
  syn.rejectUnknownKeys();

  TableReader model(path, root, "model");
  auto& m = config.model;
  m.sex_ratio_at_birth = model.number("sex_ratio_at_birth", 0.8, 1.3);
  m.marital_birth_share = model.number("marital_birth_share", 0.0, 0.999);
  {
    const auto sizes = model.string("destination_sizes");
    if (sizes != "current" && sizes != "base_year")
      throw core::InputError(fmt::format("{}: [model] destination_sizes must be \"current\" or \"base_year\", found \"{}\"",
                                         path, sizes));
    m.destination_sizes_current = sizes == "current";
  }
  m.region_constant_half_life_years = model.number("region_constant_half_life_years", 0.1, 1e9);
  m.regional_fertility_half_life_years = model.number("regional_fertility_half_life_years", 1.0, 1e9);
  m.mortality_rotation_start_e0 = model.number("mortality_rotation_start_e0", 40.0, 120.0);
  {
    const auto& node = model.node("mortality_rotation_end_e0");
    m.mortality_rotation_end_e0 = model.number("mortality_rotation_end_e0", 40.0, 130.0);
    if (m.mortality_rotation_end_e0 <= m.mortality_rotation_start_e0)
      throw core::InputError(fmt::format("{}:{}:{}: [model] mortality_rotation_end_e0 must be above "
                                         "mortality_rotation_start_e0 ({}), found {}",
                                         path, node.source().begin.line, node.source().begin.column,
                                         m.mortality_rotation_start_e0, m.mortality_rotation_end_e0));
  }
  m.foreign_fertility_ratio = model.number("foreign_fertility_ratio", 0.0, 3.0);
  m.naturalisation_rate = model.number("naturalisation_rate", 0.0, 0.5);
  m.checks = model.boolean("checks");
  model.rejectUnknownKeys();

  TableReader households(path, root, "households");
  auto& h = config.households;
  h.living_alone_trend_half_life_years = households.number("living_alone_trend_half_life_years", 0.0, 1e9);
  h.living_alone_max_share = households.number("living_alone_max_share", 0.05, 1.0);
  households.rejectUnknownKeys();

  TableReader parallel(path, root, "parallel");
  config.parallel.rebalance_threshold = parallel.number("rebalance_threshold", 1.0, 10.0);
  parallel.rejectUnknownKeys();

  TableReader outlook(path, root, "outlook");
  config.outlook.population_threshold = outlook.number("population_threshold", 0.0, 1e9);
  outlook.rejectUnknownKeys();
  return config;
}

std::vector<std::pair<std::string, std::string>> inputFiles(const Config& config) {
  const auto& i = config.inputs;
  std::vector<std::pair<std::string, std::string>> files = {
      {"[inputs] regions", i.regions},
      {"[inputs] provinces", i.provinces},
      {"[inputs] population", i.population},
      {"[inputs] population_age5", i.population_age5},
      {"[inputs] population_foreign", i.population_foreign},
      {"[inputs] households", i.households},
      {"[inputs] households_by_size", i.households_by_size},
      {"[inputs] assumptions", i.assumptions},
      {"[inputs] fertility", i.fertility},
      {"[inputs] fertility_regions", i.fertility_regions},
      {"[inputs] mortality", i.mortality},
      {"[inputs] mortality_regions", i.mortality_regions},
      {"[inputs] migration_age", i.migration_age},
      {"[inputs] living_arrangements", i.living_arrangements},
      {"[inputs] unions", i.unions},
      {"[inputs] living_alone", i.living_alone},
      {"[inputs] living_alone_national", i.living_alone_national},
      {"[inputs] international_migration_age", i.international_migration_age},
      {"[inputs] migration_model", i.migration_model},
      {"[inputs] migration_region_constants", i.migration_region_constants}};
  if (!config.scenario.path.empty()) files.emplace_back("the scenario", config.scenario.path);
  return files;
}

void fingerprintInputs(Config& config) {
  std::string text;
  for (const auto& [key, path] : inputFiles(config))
    text += fmt::format("{}\t{}\t{}\n", key, path, fileFingerprint(path, "an input table"));
  config.input_fingerprints = std::move(text);
}

namespace {

// KEY -> (PATH, FINGERPRINT) of an input_fingerprints text.
std::map<std::string, std::pair<std::string, std::string>> parseFingerprints(const std::string& text) {
  std::map<std::string, std::pair<std::string, std::string>> entries;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto a = line.find('\t');
    const auto b = a == std::string::npos ? a : line.find('\t', a + 1);
    if (b == std::string::npos) continue;
    entries[line.substr(0, a)] = {line.substr(a + 1, b - a - 1), line.substr(b + 1)};
  }
  return entries;
}

}  // namespace

std::string describeInputChange(const std::string& before, const std::string& now) {
  const auto old_entries = parseFingerprints(before);
  const auto new_entries = parseFingerprints(now);
  for (const auto& [key, entry] : new_entries) {
    const auto it = old_entries.find(key);
    if (it == old_entries.end()) return fmt::format("{} ({}) was not an input then", entry.first, key);
    // Content counts, not the path: a run may be continued from another working directory.
    if (it->second.second != entry.second)
      return it->second.first == entry.first
                 ? fmt::format("{} ({}) has changed", entry.first, key)
                 : fmt::format("{} is now {}, whose content differs from {}", key, entry.first, it->second.first);
  }
  for (const auto& [key, entry] : old_entries)
    if (!new_entries.contains(key)) return fmt::format("{} ({}) is no longer an input", entry.first, key);
  return {};
}

void applyScenario(Config& config, const std::string& scenario_path) {
  config.scenario = readScenario(scenario_path, std::filesystem::path(config.inputs.regions).parent_path().string());
  if (!config.scenario.assumptions.empty()) config.inputs.assumptions = config.scenario.assumptions;
}

}  // namespace popsim::io
