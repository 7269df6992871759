// The run configuration: a TOML file naming the input tables and the model parameters.
// Unknown keys, missing keys and wrong types are errors with the file, line and column.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "io/scenario.hpp"

namespace popsim::io {

// Paths of the input tables, resolved relative to the configuration file.
struct InputPaths {
  std::string regions;
  std::string provinces;
  std::string population;          // nationals (registered residents), single years
  std::string population_age5;     // the published 5-year groups the single years must sum to
  std::string population_foreign;  // foreign residents, single years
  std::string households;
  std::string households_by_size;  // registered households by size per province
  std::string assumptions;
  std::string fertility;
  std::string fertility_regions;
  std::string mortality;
  std::string mortality_regions;
  std::string migration_age;
  std::string living_arrangements;
  std::string unions;
  std::string living_alone;           // one-person household shares by region x sex x 10-year age
  std::string living_alone_national;  // the nation's by single age, and their observed trend
  std::string international_migration_age;
  std::string migration_model;
  std::string migration_region_constants;
};

// Parameters of the initial-population synthesis (see docs/synthesis.md).
struct SynthesisParameters {
  double spouse_age_gap_mean_years = 0.0;   // husband's age minus wife's age
  double spouse_age_gap_sd_years = 0.0;
  double mother_age_trend_years_per_year = 0.0;  // how much younger mothers were per earlier birth year
  double mother_age_trend_cap_years = 0.0;  // the largest such shift
  double lone_mother_share = 0.0;           // co-resident children whose mother has no partner
  double lone_father_share = 0.0;           // co-resident children living with a lone father
  std::uint32_t max_dependents_per_adult = 0;  // children and relatives one adult can host
  double oldest_old_yearly_survival = 0.0;  // spreads the 100+ class over ages 100, 101, ...
};

// The smallest sampling fraction accepted (about 50 agents for Korea).
inline constexpr double kMinScale = 1e-6;

// Parameters of the yearly projection (see docs/model.md).
struct ModelParameters {
  double sex_ratio_at_birth = 0.0;        // boys per girl
  double marital_birth_share = 0.0;       // share of births to married women
  // The size term of the destination choice: residents of the mover's age group in the current
  // year (true) or in the base year (false: constant destination shares, the multiregional
  // projection's constant-rate assumption).
  bool destination_sizes_current = true;
  // The destination constants of single regions fade with this half-life in years (the first
  // projected year has them in full).
  double region_constant_half_life_years = 0.0;
  // Regional fertility multipliers (base-year TFR of the region / national TFR) converge to 1 on
  // the log scale with this half-life in years (a very large value keeps them).
  double regional_fertility_half_life_years = 0.0;
  // The rotation of the mortality-improvement age pattern (Li, Lee & Gerland 2013): from the
  // base pattern at this life expectancy at birth to the ultimate pattern at the second.
  double mortality_rotation_start_e0 = 0.0;
  double mortality_rotation_end_e0 = 0.0;
  // Fertility of foreign women relative to national women of the same age, parity and union
  // status (the TFR path is the nationals').
  double foreign_fertility_ratio = 0.0;
  // Yearly probability that a foreign resident becomes a national.
  double naturalisation_rate = 0.0;
  bool checks = true;                     // the yearly invariant checks (switch off only for benchmarks)
};

// Living arrangements after the base year (docs/model.md, "Household transitions").
struct HouseholdParameters {
  // The observed yearly change of the logit of each sex and age's share living alone continues
  // after the base year, fading with this half-life in years (0: shares held at the base year).
  double living_alone_trend_half_life_years = 0.0;
  // Living-alone shares never exceed this (a ceiling on the trended propensities).
  double living_alone_max_share = 0.0;
};

// Parallel execution settings.
struct ParallelParameters {
  // Regions move between ranks when max rank persons / mean passes this (load balancing).
  double rebalance_threshold = 0.0;
};

// The local-extinction outlook written to results.h5 (/extinction).
struct OutlookParameters {
  // /extinction/first_year_below records the first year a region's population (national
  // scale: agents / scale) falls below this.
  double population_threshold = 0.0;
};

struct Config {
  std::string path;  // the configuration file
  std::string text;  // its full text, stored in results and checkpoints
  int start_year = 0;
  std::uint64_t seed = 0;
  double scale = 1.0;
  InputPaths inputs;
  SynthesisParameters synthesis;
  ModelParameters model;
  HouseholdParameters households;
  ParallelParameters parallel;
  OutlookParameters outlook;
  Scenario scenario;  // none unless a scenario file is given (applyScenario)
  // The content fingerprint of every input file (fingerprintInputs), stored in checkpoints so
  // that a restart detects a changed table: one "KEY<TAB>PATH<TAB>FINGERPRINT" line per file.
  std::string input_fingerprints;
};

// Every input file of a run as (what it is, path): the tables named in [inputs] (a scenario's
// assumption path in place of the configuration's) and the scenario file.
std::vector<std::pair<std::string, std::string>> inputFiles(const Config& config);

// Fills config.input_fingerprints from the files' current content; throws core::InputError.
void fingerprintInputs(Config& config);

// The first difference between two input_fingerprints texts as a sentence naming the file
// ("inputs/korea/fertility.csv ([inputs] fertility) has changed"); empty if they agree. Only
// content counts: the same table under another path agrees.
std::string describeInputChange(const std::string& before, const std::string& now);

// Reads and validates a configuration file; throws core::InputError.
Config readConfig(const std::string& path);

// Reads the scenario file into `config` (its assumption path replaces the configuration's);
// loadInputs then checks it against the region table. Throws core::InputError.
void applyScenario(Config& config, const std::string& scenario_path);

}  // namespace popsim::io
