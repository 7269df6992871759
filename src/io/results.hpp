// The results file, DIR/results.h5: one time axis for every dataset (/years: the start year,
// then each simulated year), written collectively during the run: every rank writes the rows
// of the regions it owns. Layout and units: docs/files.md.
#pragma once

#include <mpi.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/regions.hpp"
#include "io/detail/hdf5.hpp"

namespace popsim::io {

inline constexpr int kHouseholdSizes = core::kHouseholdSizes;  // 1..7+
inline constexpr std::array<const char*, 5> kHouseholdTypes = {"one person", "couple", "couple with others",
                                                               "lone parent with children", "other"};
// The age groups of a household's reference person (core::referencePerson), in completed years
// at the end of the year: results.h5 /households/by_head_age and its attribute `groups`.
inline constexpr std::array<const char*, 7> kHeadAgeGroups = {"under 30", "30-39", "40-49", "50-59",
                                                              "60-69", "70-79", "80+"};
inline constexpr std::size_t headAgeGroup(int age) {
  return age < 30 ? 0 : std::min<std::size_t>(static_cast<std::size_t>(age - 20) / 10, kHeadAgeGroups.size() - 1);
}
// The age thresholds of the household indicators (completed years at the end of the year):
// persons living alone aged 65+ and 80+, households with a child under 6 (below school age);
// "under 18" is core::kAdultAge.
inline constexpr int kAloneOlderAge = 65;
inline constexpr int kAloneOldestAge = 80;
inline constexpr int kYoungChildAge = 6;
// The timed phases of a year (results.h5 /performance/seconds), by name.
enum class Phase : std::size_t { Rates, Kernels, Rebuild, Exchange, Accounting, Checks, Output };
inline constexpr std::array<const char*, 7> kPhases = {"rates", "kernels", "rebuild", "exchange",
                                                       "accounting", "checks", "output"};
using PhaseSeconds = std::array<double, kPhases.size()>;
inline double& at(PhaseSeconds& seconds, Phase phase) { return seconds[static_cast<std::size_t>(phase)]; }

// One region's rows for one year.
struct RegionYearRecord {
  std::array<std::array<std::int64_t, 101>, 2> population{};  // end of year, sex x age 0..100+
  std::array<std::array<std::int64_t, 101>, 2> nationals{};   // the same, nationals only
  std::array<std::int64_t, 35> births{};                       // by mother's age 15..49
  std::array<std::array<std::int64_t, 101>, 2> deaths{};      // sex x age
  std::array<std::int64_t, kHouseholdSizes> household_size{};
  std::array<std::int64_t, kHouseholdTypes.size()> household_type{};
  std::int64_t immigrants = 0;
  std::int64_t emigrants = 0;
  std::int64_t marriages = 0;
  std::int64_t divorces = 0;
  std::int64_t migrants_in = 0;   // internal migrants arriving from other regions
  std::int64_t migrants_out = 0;  // internal migrants leaving for other regions
  std::array<std::int64_t, 101> migrants_in_by_age{};   // by age 0..100+ at the end of the year
  std::array<std::int64_t, 101> migrants_out_by_age{};
  // Household indicators at the end of the year (Projection::countHouseholds).
  std::array<std::array<std::int64_t, 101>, 2> living_alone{};  // persons in one-person households, sex x age
  std::int64_t alone_65plus = 0;         // living_alone summed over ages kAloneOlderAge+
  std::int64_t alone_80plus = 0;         // and kAloneOldestAge+
  std::int64_t with_child_under_6 = 0;   // households with a member aged under kYoungChildAge
  std::int64_t with_child_under_18 = 0;  // households with a member aged under core::kAdultAge
  std::array<std::int64_t, kHeadAgeGroups.size()> by_head_age{};  // households by the reference person's age group
  std::int64_t foreign_households = 0;   // every member a foreign resident
  std::int64_t mixed_nationality = 0;    // nationals and foreign residents together
  std::int64_t left_home = 0;
  std::int64_t returned_home = 0;
  std::int64_t elderly_moved = 0;
  std::int64_t orphans_placed = 0;
  // Events of nationals (the registered population's accounts).
  std::int64_t national_births = 0;
  std::array<std::int64_t, 35> births_to_nationals{};  // by the national mother's age 15..49
  std::int64_t national_deaths = 0;
  std::int64_t national_immigrants = 0;
  std::int64_t national_emigrants = 0;
  std::int64_t naturalisations = 0;  // foreign residents who became nationals

  bool operator==(const RegionYearRecord&) const = default;
};

struct RunMeta {
  std::string config_path;
  std::string config_text;
  std::string scenario_name;  // empty without a scenario
  std::string scenario_text;
  std::uint64_t seed = 0;
  double scale = 1.0;
  int start_year = 0;
  int years = 0;
  int ranks = 1;
  int threads = 1;
  double population_threshold = 0.0;  // persons (national scale) for /extinction/first_year_below
  std::string input_fingerprints;     // io::fingerprintInputs: replicates of other inputs do not merge
};

// One time-indexed results dataset (all but /performance, whose shape depends on the ranks),
// its first `rows` time points: what a checkpoint carries so that a restarted run ends with the
// same results file as an uninterrupted one.
struct ResultsTable {
  std::string name;                   // dataset path in results.h5, e.g. "migration/in"
  std::vector<std::uint64_t> shape;   // of the whole dataset; axis 0 = time points
  std::uint64_t rows = 0;             // time points held in `values`
  std::vector<std::int64_t> values;   // rows x (product of the other axes), row-major
};

class ResultsWriter {
 public:
  // Creates `path` (collective) with room for meta.years + 1 time points.
  ResultsWriter(const std::string& path, const core::RegionTable& regions, const RunMeta& meta, MPI_Comm comm);
  ~ResultsWriter();
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;

  // Writes time point t (0 = start state) for the `owned` regions (ascending) and flushes, so
  // that a run stopped later keeps a readable file with the years done; collective.
  void writeYear(int t, int year, const std::vector<core::RegionIndex>& owned,
                 const std::vector<RegionYearRecord>& records, const std::vector<std::int64_t>& flows);
  // This rank's seconds per phase and agents at time point t; collective.
  void writePerformance(int t, const PhaseSeconds& seconds, std::uint64_t agents,
                        std::uint64_t bytes_exchanged);
  // Records the wall time and whether the run reached its last year, and closes the file;
  // collective.
  void finish(double wall_seconds, bool complete = true);

  // Creates dataset `name` with `dims` and writes all of `values` (the same on every rank; rank 0
  // writes), with its units, description and axes; for tables derived at the end of a run.
  // Collective.
  void writeWhole(const std::string& name, const std::vector<std::uint64_t>& dims, const std::vector<double>& values,
                  const std::string& units, const std::string& description, const std::string& axes);
  void writeWhole(const std::string& name, const std::vector<std::uint64_t>& dims, const std::vector<std::int64_t>& values,
                  const std::string& units, const std::string& description, const std::string& axes);

  // Time points 0..rows-1 of every time-indexed dataset but /performance (every rank gets them);
  // collective.
  std::vector<ResultsTable> tables(std::uint64_t rows) const;
  // Writes such tables back (time points 0..rows-1); each must exist here with the same
  // trailing axes and at least `rows` time points. Returns the time-indexed datasets the tables
  // lack (a checkpoint of an older popsim): their time points 0..rows-1 stay zero. Collective.
  std::vector<std::string> restore(const std::vector<ResultsTable>& tables);

 private:
  void create(const core::RegionTable& regions, const RunMeta& meta);
  void writeYearRows(int t, int year, const std::vector<core::RegionIndex>& owned,
                     const std::vector<RegionYearRecord>& records, const std::vector<std::int64_t>& flows);
  std::vector<std::string> restoreTables(const std::vector<ResultsTable>& tables);

  std::string path_;
  MPI_Comm comm_;
  int rank_ = 0;
  int ranks_ = 1;
  std::size_t regions_ = 0;
  std::size_t provinces_ = 0;
  detail::Handle file_;
  std::vector<std::string> tables_;  // the time-indexed datasets (not /performance)
};

// National series of a results file (serial read), for `popsim info`.
struct ResultsSummary {
  RunMeta meta;
  // Whether the run reached its last year, and the last year written (a stopped, killed or
  // failed run holds the years up to it; the series below end there).
  bool complete = true;
  int last_year = 0;
  std::vector<int> years;
  std::vector<std::array<std::array<std::int64_t, 101>, 2>> population;  // national, per time point
  std::vector<std::array<std::array<std::int64_t, 101>, 2>> nationals;   // the same, nationals only
  std::vector<std::int64_t> births, deaths, immigrants, emigrants, households;
  std::vector<std::int64_t> one_person;  // one-person households (/households/size, size 1)
  // The household indicators; empty when the file predates them (an older popsim's).
  std::vector<std::int64_t> alone_65plus, alone_80plus, with_child_under_6;
};
bool isResultsFile(const std::string& path);
// The run a results file records (/meta: configuration and scenario text, seed, scale, years).
// Throws core::InputError for a file that is not a readable popsim results file.
RunMeta readResultsMeta(const std::string& path);
ResultsSummary readResultsSummary(const std::string& path);

}  // namespace popsim::io
