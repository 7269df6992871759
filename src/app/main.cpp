// popsim: the command line. Parses the subcommand, runs it, turns errors into exit codes.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <hdf5.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "io/output.hpp"
#include "parallel/mpi_environment.hpp"
#include "popsim/version.hpp"

#ifdef __GLIBC__
#include <malloc.h>  // mallopt
#endif

namespace {

// A failure seen by this rank alone: reported as "popsim: KIND: (rank N) MESSAGE"; on one rank the
// command returns `code`, on several the job is aborted with it (the others may wait in a
// collective call).
int oneRankFailed(int rank, int ranks, const char* kind, const std::exception& e, int code) {
  if (ranks == 1) {
    fmt::print(stderr, "popsim: {}: {}\n", kind, e.what());
    return code;
  }
  fmt::print(stderr, "popsim: {}: (rank {}) {}\n", kind, rank, e.what());
  MPI_Abort(MPI_COMM_WORLD, code);
  return code;
}

// Runs a subcommand and turns its errors into exit codes and one message.
template <typename Command>
int command(int rank, int ranks, Command&& run) {
  try {
    return run();
  } catch (const popsim::core::CollectiveOutputError& e) {
    // Every rank has the same failure to write: one message, every rank exits with 1.
    if (rank == 0) fmt::print(stderr, "popsim: error: {}\n", e.what());
    return popsim::app::kExitFailure;
  } catch (const popsim::core::CollectiveInputError& e) {
    // Every rank has the same error: one message, every rank exits with 2.
    if (rank == 0) fmt::print(stderr, "popsim: error: {}\n", e.what());
    return popsim::app::kExitInvalidInput;
  } catch (const popsim::core::InputError& e) {
    // One rank's error while the others may wait in a collective: this rank reports it and ends
    // the job with the same exit code.
    return oneRankFailed(rank, ranks, "error", e, popsim::app::kExitInvalidInput);
  } catch (const popsim::core::OutputError& e) {
    // One rank's failure to write, outside a collective write: reported, exit 1.
    return oneRankFailed(rank, ranks, "error", e, popsim::app::kExitFailure);
  } catch (const std::exception& e) {
    return oneRankFailed(rank, ranks, "internal error", e, popsim::app::kExitFailure);
  }
}

}  // namespace

int main(int argc, char** argv) {
#ifdef __GLIBC__
  // Blocks of 1 MiB or more are mapped on their own and unmapped when freed. glibc's default
  // threshold rises with every large free (up to 32 MiB), after which the year's large
  // temporaries (migrant records, exchange buffers) come from the heap and fragment it: the
  // peak grew by about 2 bytes per agent over ten years of the full population.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
  // A write beyond the file size limit (ulimit -f) fails with EFBIG and is reported like any other
  // write failure, instead of killing the process with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  popsim::parallel::MpiEnvironment mpi(argc, argv);
  // HDF5 failures are reported in popsim's own words (exceptions naming the file and dataset);
  // HDF5's own error stacks on stderr would only bury them.
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  CLI::App cli{"popsim: agent-based microsimulation of a national population (MPI + OpenMP, HDF5)"};
  cli.set_version_flag("--version", fmt::format("popsim {} ({})", popsim::kVersion, popsim::kGitRevision));
  cli.require_subcommand(1);

  std::string check_config;
  auto* check = cli.add_subcommand("check", "validate the configuration and every input table; runs nothing");
  check->add_option("CONFIG", check_config, "configuration file (TOML)")->required();
  std::string check_scenario;
  check->add_option("--scenario", check_scenario, "also validate this scenario file (TOML)");

  popsim::app::RunOptions run_options;
  auto* run = cli.add_subcommand("run", "project the population year by year; writes DIR/results.h5");
  run->add_option("CONFIG", run_options.config, "configuration file (TOML)")->required();
  run->add_option("--years", run_options.years, "years to simulate after the start year")->required()->check(CLI::Range(1, 1000));
  run->add_option("--out", run_options.out, "output directory (created if missing)")->required();
  run->add_option("--scale", run_options.scale, "sampling fraction in (0, 1]; overrides [run] scale");
  run->add_option("--seed", run_options.seed, "random seed in [0, 2^63); overrides [run] seed")
      ->check(CLI::Range(std::uint64_t{0}, popsim::app::kMaxSeed));
  run->add_flag("--overwrite", run_options.overwrite,
                "replace the results of an earlier run in OUT (and its checkpoints); without it such a directory is refused");
  run->add_option("--checkpoint-every", run_options.checkpoint_every,
                  "write a checkpoint every K years (0: only when stopped by SIGTERM/SIGUSR1)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--checkpoint-dir", run_options.checkpoint_dir, "checkpoint directory (default OUT/checkpoints)");
  run->add_option("--checkpoint-keep", run_options.checkpoint_keep, "complete checkpoints to keep (default 2)")
      ->check(CLI::PositiveNumber);
  run->add_option("--scenario", run_options.scenario, "policy scenario file (TOML; docs/scenarios.md)");
  run->add_option("--replicates", run_options.replicates,
                  "an ensemble: split the ranks into R groups, each running the scenario with seed + k, then "
                  "summarise them in OUT/ensemble.h5")
      ->check(CLI::Range(1, 10000));
  run->add_option("--restart", run_options.restart,
                  "continue from a checkpoint file, or from the newest checkpoint in a directory");

  popsim::app::SynthesizeOptions synth;
  auto* synthesize = cli.add_subcommand("synthesize", "build the base-year population and write it as a checkpoint");
  synthesize->add_option("CONFIG", synth.config, "configuration file (TOML)")->required();
  synthesize->add_option("--out", synth.out, "output file (.h5)")->required();
  synthesize->add_option("--scale", synth.scale, "sampling fraction in (0, 1]; overrides [run] scale");
  synthesize->add_option("--seed", synth.seed, "random seed in [0, 2^63); overrides [run] seed")
      ->check(CLI::Range(std::uint64_t{0}, popsim::app::kMaxSeed));
  synthesize->add_flag("--overwrite", synth.overwrite, "replace an existing output file (once the new one is complete)");

  std::string info_file;
  auto* info = cli.add_subcommand("info", "describe what a checkpoint or population file holds");
  info->add_option("FILE", info_file, "popsim HDF5 file")->required();

  std::string merge_out;
  std::vector<std::string> merge_inputs;
  auto* merge = cli.add_subcommand("merge", "summarise replicate results files (e.g. from a job array) in an ensemble file");
  merge->add_option("--out", merge_out, "ensemble file to write (.h5)")->required();
  bool merge_overwrite = false;
  merge->add_flag("--overwrite", merge_overwrite, "replace an existing output file (once the new one is complete)");
  merge->add_option("RESULTS", merge_inputs, "the replicates' results.h5 files")->required()->expected(2, 100000);

  int rank = mpi.rank();
  popsim::io::setCommandLine(argc, argv);
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end here with 0; a bad command line gets the one error form.
    if (e.get_exit_code() == 0) {
      if (rank == 0) cli.exit(e);
      return popsim::app::kExitOk;
    }
    if (rank == 0) fmt::print(stderr, "popsim: error: {}\nRun with --help for more information.\n", e.what());
    return popsim::app::kExitInvalidInput;
  }

  const int code = command(rank, mpi.size(), [&] {
    if (*check) return popsim::app::check(check_config, check_scenario, MPI_COMM_WORLD);
    if (*run) return popsim::app::run(run_options, MPI_COMM_WORLD);
    if (*synthesize) return popsim::app::synthesize(synth, MPI_COMM_WORLD);
    if (*info) return popsim::app::info(info_file, MPI_COMM_WORLD);
    if (*merge) return popsim::app::merge(merge_inputs, merge_out, merge_overwrite, MPI_COMM_WORLD);
    return popsim::app::kExitFailure;
  });
  // A file whose writing failed cannot be closed: HDF5's clean-up at exit (and inside
  // MPI_Finalize) would crash on it. Every rank ends here without that clean-up, together.
  int failed = popsim::io::writeFailed() ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (failed != 0) {
    spdlog::default_logger()->flush();
    std::fflush(nullptr);
    MPI_Barrier(MPI_COMM_WORLD);
    std::_Exit(code);
  }
  return code;
}
