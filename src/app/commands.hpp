// The popsim subcommands. Each returns the process exit code.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace popsim::app {

// Exit codes: 0 success, 1 failure, 2 invalid input (documented in docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitInvalidInput = 2;
// Stopped by SIGTERM or SIGUSR1 after writing a checkpoint: rerun with --restart to continue.
inline constexpr int kExitStopped = 3;

// The largest seed accepted (the TOML [run] seed is a signed 64-bit integer).
inline constexpr std::uint64_t kMaxSeed = (std::uint64_t{1} << 63) - 1;

struct SynthesizeOptions {
  std::string config;
  std::string out;
  std::optional<double> scale;
  std::optional<std::uint64_t> seed;
  bool overwrite = false;  // replace an existing output file
};

struct RunOptions {
  std::string config;
  std::string out;
  int years = 0;  // the run ends `years` after the start year (also when restarted)
  std::optional<double> scale;
  std::optional<std::uint64_t> seed;
  int checkpoint_every = 0;    // years between checkpoints; 0 = only when stopped by a signal
  std::string checkpoint_dir;  // default OUT/checkpoints
  int checkpoint_keep = 2;     // complete checkpoints kept
  std::string restart;         // a checkpoint file, or a directory: its newest checkpoint
  std::string scenario;        // a scenario file (docs/scenarios.md); empty = none
  int replicates = 1;          // > 1: an ensemble (OUT/replicate-K, OUT/ensemble.h5)
  int replicate = -1;
  bool overwrite = false;      // replace the results (and checkpoints) of an earlier run in OUT          // set for one replicate of an ensemble: its seed is the seed + this
};

int check(const std::string& config_path, const std::string& scenario_path, MPI_Comm comm);
int run(const RunOptions& options, MPI_Comm comm);
int synthesize(const SynthesizeOptions& options, MPI_Comm comm);
int info(const std::string& file, MPI_Comm comm);
int merge(const std::vector<std::string>& replicates, const std::string& out, bool overwrite, MPI_Comm comm);

}  // namespace popsim::app
