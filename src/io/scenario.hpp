// Policy scenarios: a TOML file naming the assumption path and a list of interventions, each
// with a period, a region selector and effects (docs/scenarios.md). Validation errors name the
// file, line and column.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/regions.hpp"

namespace popsim::io {

// Which regions an intervention applies to. A region is selected when it matches every
// criterion given (all of them when none is); within a list, any entry matches.
struct RegionSelector {
  bool all = false;
  std::vector<int> provinces;               // province (sido) codes
  std::vector<std::int64_t> regions;        // region codes
  std::vector<std::string> flags;           // capital_region, non_capital_region, population_declining_area
  double extinction_index_below = 0.0;      // > 0: only regions whose index at the start of the year is below
  std::vector<std::string> where;           // "FILE:LINE:COL" of each province, region and flag entry

  // Whether `region` meets every criterion but the extinction-index rule (evaluated yearly).
  bool matchesFixed(const core::Region& region) const;
};

// An age range [min_age, max_age] (completed years) with a value.
struct AgeEffect {
  double value = 0.0;
  int min_age = 0;
  int max_age = 0;
  bool active = false;
};

// Effects; several interventions on one region compose: multipliers multiply, attractiveness
// changes add.
struct Effects {
  double fertility_multiplier = 1.0;
  // A cash benefit per birth raises births by `birth_grant_effect` (proportional change in births
  // per million KRW) x `birth_grant_million_krw` (docs/scenarios.md for the evidence).
  double birth_grant_million_krw = 0.0;
  double birth_grant_effect = 0.0;
  AgeEffect out_migration_multiplier;  // multiplies the leave probability of households whose reference person's age is in range
  AgeEffect attractiveness;            // added to the destination utility for movers whose age group lies in range
  double mortality_multiplier = 1.0;
};

struct Intervention {
  std::string name;
  int start_year = 0;
  int end_year = 0;
  RegionSelector selector;
  Effects effects;
  std::string where;  // "FILE:LINE:COL" of the intervention
};

struct Scenario {
  std::string path;         // empty: no scenario (the configuration's assumption path, no interventions)
  std::string text;         // the file's text, stored in results and checkpoints
  std::string name;
  std::string description;
  std::string assumptions;  // the assumption path file it selects (resolved), empty = the configuration's
  std::vector<Intervention> interventions;
};

// Reads and checks a scenario file: syntax, types, ranges, years (start <= end; interventions of
// one name may not overlap). `inputs_dir` resolves shipped path names (medium, high, low ->
// inputs_dir/assumptions_NAME.csv). Throws core::InputError.
Scenario readScenario(const std::string& path, const std::string& inputs_dir);

// Checks the scenario against the inputs: known province and region codes, years inside the
// assumption path. Throws core::InputError naming the entry's file, line and column.
void checkScenario(const Scenario& scenario, const core::RegionTable& regions, int first_year, int last_year);

}  // namespace popsim::io
