// Checkpoints: the whole simulation state in one HDF5 file, written collectively by all ranks
// (each rank writes the hyperslabs of the regions it owns) and readable on any number of ranks.
// The synthesised initial population is the checkpoint of the base year. Layout: docs/files.md.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/population.hpp"
#include "core/regions.hpp"
#include "io/config.hpp"
#include "io/results.hpp"

namespace popsim::io {

inline constexpr const char* kCheckpointFormat = "popsim-checkpoint";
// 2: flags bit 2 = foreign resident. 3: the metadata and string datasets carry a checksum
// (meta_checksum) and the input files' fingerprints (inputs). 4: person ids (/persons/id,
// partner, mother) are 32-bit. Versions 2 and 3 are still read (their 64-bit ids are converted;
// next_person_id bounds them).
inline constexpr std::int64_t kCheckpointSchemaVersion = 4;
inline constexpr std::int64_t kOldestReadableSchemaVersion = 2;

struct CheckpointMeta {
  int year = 0;       // the state is as at the end of this year
  int base_year = 0;  // the year the population was synthesised for
  std::uint64_t seed = 0;
  double scale = 1.0;
  core::PersonId next_person_id = 1;
  core::HouseholdId next_household_id = 1;
  std::string config_path;
  std::string config_text;
  std::string scenario_text;  // empty without a scenario
  std::string input_fingerprints;  // Config::input_fingerprints of the run (empty in schema 2)
  std::string git_revision;   // of the popsim that wrote it (read only)
};

// The metadata of a checkpoint of `population` written by a run of `config`.
CheckpointMeta checkpointMeta(const Config& config, const core::Population& population);

// Writes `population` (this rank's regions, ascending) to `path`: first to path + ".partial",
// then, once complete and flushed, renamed to `path`, so a file named *.h5 is always whole.
// `owner` gives the rank of every region; `results` (the same on every rank; rank 0 writes them)
// are the results of the run so far, stored under /results. Collective over `comm`.
void writeCheckpoint(const std::string& path, const core::RegionTable& regions, const core::Population& population,
                     const std::vector<int>& owner, const CheckpointMeta& meta, MPI_Comm comm,
                     const std::vector<ResultsTable>& results = {});

struct CheckpointIndex {
  CheckpointMeta meta;
  core::RegionTable regions;
  std::vector<std::uint64_t> person_offset;     // per region, size regions+1
  std::vector<std::uint64_t> household_offset;  // per region, size regions+1
  int ranks_written = 0;
  std::int64_t schema_version = 0;
};

// Reads the metadata, the region table and where each region's persons are; checks the format
// and schema version. Throws core::InputError for a file that is not a valid popsim checkpoint.
CheckpointIndex readCheckpointIndex(const std::string& path);

// Reads the persons and households of `owned` regions (ascending). Collective over `comm`;
// verifies every column's checksum and that the state is well formed (every person in its
// region, households contiguous and known, partners mutual, ids issued, ages possible); throws
// core::InputError naming the file otherwise.
core::Population readCheckpoint(const std::string& path, const CheckpointIndex& index,
                                const std::vector<core::RegionIndex>& owned, MPI_Comm comm);

// The results stored with a checkpoint (none in a synthesised population), checksums verified;
// serial. Throws core::InputError for a damaged file.
std::vector<ResultsTable> readCheckpointResults(const std::string& path);

// A run's checkpoint directory holds DIR/ckpt-YEAR.h5 (a file being written is named
// ckpt-YEAR.h5.partial until it is complete).
std::string checkpointPath(const std::string& dir, int year);
// The complete checkpoints in `dir` as (year, path), newest first; none if `dir` does not exist.
std::vector<std::pair<int, std::string>> listCheckpoints(const std::string& dir);
// Deletes any left-over *.partial file of `dir` and, of the checkpoints of years up to
// `up_to_year`, all but the newest `keep` (later years are never touched); returns the paths
// deleted. Serial (call on one rank).
std::vector<std::string> pruneCheckpoints(const std::string& dir, int keep, int up_to_year);

// The columns `popsim info` summarises, for all persons, read serially.
struct PersonSummaryColumns {
  std::vector<core::Year> birth_year;
  std::vector<std::uint8_t> sex;
  std::vector<core::HouseholdId> household;
  std::vector<std::uint8_t> flags;
};
PersonSummaryColumns readPersonSummaryColumns(const std::string& path);

}  // namespace popsim::io
