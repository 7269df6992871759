#include "app/commands.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <omp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <limits>
#include <optional>
#include <numeric>

#include "core/error.hpp"
#include "app/stop_signal.hpp"
#include "io/checkpoint.hpp"
#include "io/config.hpp"
#include "io/ensemble.hpp"
#include "io/files.hpp"
#include "io/inputs.hpp"
#include "io/output.hpp"
#include "io/results.hpp"
#include "model/initial_population.hpp"
#include "model/outlook.hpp"
#include "model/policy.hpp"
#include "model/population_summary.hpp"
#include "model/projection.hpp"
#include "model/rates.hpp"
#include "parallel/agreement.hpp"
#include "parallel/decomposition.hpp"
#include "popsim/version.hpp"

namespace popsim::app {
namespace {

int rankOf(MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  return rank;
}

std::string thousands(std::int64_t n) {
  const auto digits = std::to_string(n < 0 ? -n : n);
  std::string out = n < 0 ? "-" : "";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

double percent(std::int64_t part, std::int64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

int check(const std::string& config_path, const std::string& scenario_path, MPI_Comm comm) {
  const auto config = parallel::agreeing(comm, [&] {
    auto c = io::readConfig(config_path);
    if (!scenario_path.empty()) io::applyScenario(c, scenario_path);
    return c;
  });
  const auto inputs = parallel::agreeing(comm, [&] { return io::loadInputs(config); });
  if (rankOf(comm) != 0) return kExitOk;
  std::int64_t households = 0;
  for (const auto h : inputs.households) households += h;
  std::size_t capital = 0;
  std::size_t declining = 0;
  for (const auto& r : inputs.regions.regions()) {
    capital += r.capital_region;
    declining += r.declining_area;
  }
  const auto& a = inputs.assumptions;
  fmt::print("{}: inputs are valid\n", config_path);
  fmt::print("  regions      {} in {} provinces ({} capital region, {} population-declining areas)\n",
             inputs.regions.size(), inputs.regions.provinces().size(), capital, declining);
  std::int64_t nationals = 0;
  std::int64_t foreign_households = 0;
  for (const auto& c : inputs.population) nationals += io::total(c);
  for (const auto h : inputs.foreign_households) foreign_households += h;
  fmt::print("  persons      {}: {} nationals (single years 0..100+, exact 5-year groups) + {} foreign residents\n",
             thousands(inputs.totalPopulation()), thousands(nationals), thousands(inputs.totalPopulation() - nationals));
  fmt::print("  households   {} of nationals (mean size {:.2f}) + {} of foreign residents\n", thousands(households),
             static_cast<double>(nationals) / static_cast<double>(households), thousands(foreign_households));
  fmt::print("  assumptions  {}..{}: TFR {:.2f} -> {:.2f}, e0 M {:.1f} -> {:.1f}, F {:.1f} -> {:.1f}\n", a.year.front(),
             a.year.back(), a.tfr.front(), a.tfr.back(), a.e0_male.front(), a.e0_male.back(), a.e0_female.front(),
             a.e0_female.back());
  fmt::print("  fertility    TFR of the base-year schedule {:.3f}\n", inputs.fertility.tfr());
  fmt::print("  mortality    e0 of the base-year life table M {:.2f}, F {:.2f}; improvement by age (rotating "
             "Lee-Carter, e0 {:.0f} -> {:.0f})\n",
             model::lifeExpectancy(inputs.mortality.mx[0]), model::lifeExpectancy(inputs.mortality.mx[1]),
             config.model.mortality_rotation_start_e0, config.model.mortality_rotation_end_e0);
  fmt::print("  migration    net international {:.0f} in {} ({:.0f} nationals), naturalisation {:.2f}% a year\n",
             a.net_international_migration.front(), a.year.front(), a.net_international_migration_nationals.front(),
             100.0 * config.model.naturalisation_rate);
  fmt::print("  synthesis    seed {}, scale {}\n", config.seed, config.scale);
  if (!config.scenario.path.empty()) {
    fmt::print("  scenario     {} ({}): {} intervention(s), assumptions {}\n", config.scenario.name, config.scenario.path,
               config.scenario.interventions.size(), config.inputs.assumptions);
    for (const auto& iv : config.scenario.interventions)
      fmt::print("               {} {}-{}\n", iv.name, iv.start_year, iv.end_year);
  }
  return kExitOk;
}

namespace {

// The configuration with command-line overrides, checked on every rank together.
io::Config configure(const std::string& path, std::optional<double> scale, std::optional<std::uint64_t> seed,
                     MPI_Comm comm, const std::string& scenario = {}) {
  return parallel::agreeing(comm, [&] {
    auto c = io::readConfig(path);
    if (!scenario.empty()) io::applyScenario(c, scenario);
    if (scale) {
      if (!(*scale >= io::kMinScale && *scale <= 1.0))
        throw core::InputError(fmt::format("--scale must be in [{}, 1], found {}", io::kMinScale, *scale));
      c.scale = *scale;
    }
    if (seed) c.seed = *seed;
    io::fingerprintInputs(c);
    return c;
  });
}

}  // namespace

namespace {

// Checks that the checkpoint `index` at `path` belongs to this run: the same configuration,
// scenario, input tables, seed, scale, base year and regions, and a year within the run. Throws
// core::InputError naming what differs.
void requireSameRun(const std::string& path, const io::CheckpointIndex& index, const io::Config& config,
                    const io::CountryInputs& inputs, int years) {
  const auto& m = index.meta;
  if (m.config_text != config.text)
    throw core::InputError(fmt::format("--restart {}: written with another configuration ({}); a run continues with "
                                       "the configuration it started with", path, m.config_path));
  if (m.year > m.base_year && m.scenario_text != config.scenario.text)
    throw core::InputError(fmt::format("--restart {}: written with {}; a run continues with the scenario it started with",
                                       path, m.scenario_text.empty() ? "no scenario" : "another scenario"));
  if (m.seed != config.seed || m.scale != config.scale || m.base_year != config.start_year)
    throw core::InputError(fmt::format("--restart {}: seed {}, scale {}, base year {} but this run has seed {}, scale "
                                       "{}, start year {}", path, m.seed, m.scale, m.base_year, config.seed,
                                       config.scale, config.start_year));
  if (m.year > config.start_year + years)
    throw core::InputError(fmt::format("--restart {}: the checkpoint is of {}, after the run's last year {}", path,
                                       m.year, config.start_year + years));
  if (index.schema_version < 3) {
    spdlog::warn("{} (checkpoint schema {}) records no fingerprints of its input tables: they are not compared", path,
                 index.schema_version);
  } else if (m.year > m.base_year || !m.input_fingerprints.empty()) {
    // A synthesised population (no projected year) may be continued with another scenario, but
    // never with other input tables.
    auto stored = m.input_fingerprints;
    auto current = config.input_fingerprints;
    if (m.year == m.base_year) {  // the scenario file is not part of a base-year state
      auto drop = [](std::string& text) {
        const auto at = text.find("the scenario\t");
        if (at != std::string::npos) text.erase(at, text.find('\n', at) + 1 - at);
      };
      drop(stored);
      drop(current);
    }
    if (const auto change = io::describeInputChange(stored, current); !change.empty())
      throw core::InputError(fmt::format("--restart {}: an input differs from the one the checkpoint was made with: {}; "
                                         "a run continues with the inputs it started with", path, change));
  }
  const auto& here = inputs.regions.regions();
  const auto& there = index.regions.regions();
  bool same = here.size() == there.size();
  for (std::size_t r = 0; same && r < here.size(); ++r) same = here[r].code == there[r].code;
  if (!same)
    throw core::InputError(fmt::format("--restart {}: its {} regions are not those of {} ({} regions)", path,
                                       there.size(), config.inputs.regions, here.size()));
}

// The checkpoints a restart may continue from, best first: the file itself, or a directory's
// complete checkpoints, newest first. Throws core::InputError.
std::vector<std::string> restartCandidates(const std::string& restart) {
  if (!std::filesystem::is_directory(restart)) {
    io::requireRegularFile(restart, "a checkpoint file or directory");
    return {restart};
  }
  std::vector<std::string> paths;
  for (const auto& [year, file] : io::listCheckpoints(restart)) paths.push_back(file);
  if (paths.empty())
    throw core::InputError(fmt::format("--restart {}: the directory holds no checkpoint (ckpt-YEAR.h5)", restart));
  return paths;
}

// The state a restarted run continues from.
struct RestartState {
  std::string path;
  io::CheckpointIndex index;
  core::Population population;
  std::vector<int> owner;
  std::vector<io::ResultsTable> results;
};

// Reads the checkpoint at `path` on every rank of `comm` (its regions spread over the ranks)
// and the results stored with it. Throws core::CollectiveInputError for a damaged file or one of
// another run.
RestartState readRestart(const std::string& path, const io::Config& config, const io::CountryInputs& inputs,
                         int years, MPI_Comm comm) {
  RestartState state;
  state.path = path;
  state.index = parallel::agreeing(comm, [&] { return io::readCheckpointIndex(path); });
  parallel::agreeing(comm, [&] {
    requireSameRun(path, state.index, config, inputs, years);
    return 0;
  });
  const auto& index = state.index;
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  std::vector<std::uint64_t> persons(index.regions.size());
  for (std::size_t r = 0; r < persons.size(); ++r) persons[r] = index.person_offset[r + 1] - index.person_offset[r];
  state.owner = parallel::assignRegions(persons, ranks);
  const auto owned = parallel::ownedRegions(state.owner, rankOf(comm));
  state.population = parallel::agreeing(comm, [&] { return io::readCheckpoint(path, index, owned, comm); });
  state.results = parallel::agreeing(comm, [&] {
    auto tables = io::readCheckpointResults(path);
    // Checked before results.h5 is recreated, so that a refused restart loses nothing.
    const auto rows = static_cast<std::uint64_t>(index.meta.year - index.meta.base_year) + 1;
    if (tables.empty() && rows > 1)
      throw core::InputError(fmt::format("--restart {}: a checkpoint of {} without the results of the years before it",
                                         path, index.meta.year));
    for (const auto& table : tables)
      if (table.rows != rows)
        throw core::InputError(fmt::format("--restart {}: its results hold {} time points, expected {}", path,
                                           table.rows, rows));
    return tables;
  });
  return state;
}

// The newest of `candidates` that passes every check (a damaged one is skipped with a warning;
// one of another run is an error, not skipped). Collective.
RestartState restartPoint(const std::string& restart, const io::Config& config, const io::CountryInputs& inputs,
                          int years, MPI_Comm comm) {
  const auto candidates = parallel::agreeing(comm, [&] { return restartCandidates(restart); });
  std::vector<std::string> rejected;
  for (const auto& path : candidates) {
    try {
      auto state = readRestart(path, config, inputs, years, comm);
      if (rankOf(comm) == 0)
        for (const auto& message : rejected)
          spdlog::warn("skipped a damaged checkpoint (continuing from the older {}): {}", path, message);
      if (!state.index.meta.git_revision.empty() && state.index.meta.git_revision != kGitRevision && rankOf(comm) == 0)
        spdlog::warn("{} was written by popsim {} and is continued by {}: results are identical to an uninterrupted run "
                     "only if the model did not change in between", path, state.index.meta.git_revision, kGitRevision);
      return state;
    } catch (const core::CollectiveInputError& e) {
      const std::string message = e.what();
      if (candidates.size() == 1 || message.find("--restart ") != std::string::npos) throw;
      rejected.push_back(message);
    }
  }
  throw core::CollectiveInputError(fmt::format("--restart {}: no checkpoint in the directory passes its checks: {}",
                                               restart, fmt::join(rejected, "; ")));
}

// Derives the local-extinction outlook and the regional aggregates from the first `rows` time
// points of the results and writes them (results.h5 /extinction, /aggregates). Collective.
void writeOutlook(io::ResultsWriter& results, std::uint64_t rows, const io::Config& config, const io::CountryInputs& inputs) {
  for (const auto& t : model::outlook(results.tables(rows), rows, inputs.regions, config.scale,
                                      config.outlook.population_threshold)) {
    if (t.real.empty())
      results.writeWhole(t.name, t.dims, t.count, t.units, t.description, t.axes);
    else
      results.writeWhole(t.name, t.dims, t.real, t.units, t.description, t.axes);
  }
}

// Writes the run's state after `t` years as DIR/ckpt-YEAR.h5 (with the results so far) and
// deletes all but the newest `keep` checkpoints. Collective.
void writeRunCheckpoint(const std::string& dir, int keep, const io::Config& config, const io::CountryInputs& inputs,
                        const model::Projection& projection, const io::ResultsWriter& results, int t, MPI_Comm comm) {
  const auto start = std::chrono::steady_clock::now();
  const auto& pop = projection.population();
  const auto meta = io::checkpointMeta(config, pop);
  const auto path = io::checkpointPath(dir, pop.year);
  io::writeCheckpoint(path, inputs.regions, pop, projection.owner(), meta, comm,
                      results.tables(static_cast<std::uint64_t>(t) + 1));
  if (rankOf(comm) == 0) {
    for (const auto& removed : io::pruneCheckpoints(dir, keep, pop.year)) spdlog::info("removed the older checkpoint {}", removed);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto bytes = std::filesystem::file_size(path);
    spdlog::info("checkpoint {} ({:.0f} MB in {:.2f} s, {:.0f} MB/s)", path, static_cast<double>(bytes) / 1e6, seconds,
                 static_cast<double>(bytes) / 1e6 / seconds);
  }
}

// Logs the kernels' CPU seconds per simulated year, by event, summed over threads and ranks:
// where a year's kernel time goes. Collective.
void logEventSeconds(const model::Projection& projection, int years, MPI_Comm comm) {
  const auto named = projection.eventSeconds();
  std::vector<double> seconds;
  for (const auto& [name, s] : named) seconds.push_back(s);
  MPI_Allreduce(MPI_IN_PLACE, seconds.data(), static_cast<int>(seconds.size()), MPI_DOUBLE, MPI_SUM, comm);
  if (rankOf(comm) != 0 || years <= 0) return;
  std::string line;
  for (std::size_t e = 0; e < named.size(); ++e)
    line += fmt::format("{}{} {:.3f}", e ? ", " : "", named[e].first, seconds[e] / years);
  spdlog::info("kernel CPU seconds per year (all threads and ranks): {}", line);
}

}  // namespace

namespace {

// Whether the results file or checkpoint `what` at `path` records this run: the same configuration,
// scenario, seed, scale and start year. Throws core::InputError naming what differs otherwise.
void requireThisRun(const std::string& what, const std::string& path, const io::RunMeta& recorded,
                    const io::Config& config) {
  if (recorded.config_text != config.text || recorded.scenario_text != config.scenario.text ||
      recorded.seed != config.seed || recorded.scale != config.scale || recorded.start_year != config.start_year)
    throw core::InputError(fmt::format("{} {}: holds {} of another run (configuration {}, seed {}, scale {}, start year "
                                       "{}); a restart continues only its own run: give another --out or "
                                       "--checkpoint-dir, or --overwrite to replace them",
                                       what, path, what == "--out" ? "the results" : "checkpoints",
                                       recorded.config_path, recorded.seed, recorded.scale, recorded.start_year));
}

// Checks, before anything is written, that a run may write to its output and checkpoint
// directories: a new run never replaces the results or checkpoints of an earlier one unless
// --overwrite is given (then it deletes the earlier checkpoints, whose years would otherwise
// be mistaken for this run's); a restart continues them, and only its own run's. Rank 0 creates
// the directories and takes their locks (io::OutputLock, held in `locks` while the run writes).
// Throws core::InputError.
void requireFreshOutput(const RunOptions& options, const std::string& checkpoint_dir, const io::Config& config,
                        int rank, std::vector<io::OutputLock>& locks) {
  const auto results = std::filesystem::path(options.out) / "results.h5";
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(options.out, ec)) && !std::filesystem::is_directory(options.out, ec))
    throw core::InputError(fmt::format("--out {}: exists and is not a directory", options.out));
  if (std::filesystem::is_directory(results, ec))
    throw core::InputError(fmt::format("--out {}: {} is a directory", options.out, results.string()));
  const bool earlier_results = std::filesystem::exists(results, ec);
  const auto earlier_checkpoints = io::listCheckpoints(checkpoint_dir);
  if (options.restart.empty() && !options.overwrite) {
    if (earlier_results)
      throw core::InputError(fmt::format("--out {}: holds the results of an earlier run ({}); continue it with --restart "
                                         "{}, give another --out, or --overwrite to replace them",
                                         options.out, results.string(), checkpoint_dir));
    if (!earlier_checkpoints.empty())
      throw core::InputError(fmt::format("{} holds checkpoints of an earlier run: continue it with --restart {}, or give "
                                         "this run another --checkpoint-dir (or --out), or --overwrite to delete them",
                                         checkpoint_dir, checkpoint_dir));
  }
  if (!options.restart.empty() && !options.overwrite) {
    // A restart replaces results.h5 and prunes the checkpoint directory: both must be its run's.
    // A results file that cannot be read is what a killed attempt leaves (it died while creating
    // it): the restart replaces it.
    std::optional<io::RunMeta> recorded;
    try {
      if (earlier_results) recorded = io::readResultsMeta(results.string());
    } catch (const core::InputError& e) {
      if (rank == 0) spdlog::warn("replacing {}, which cannot be read: {}", results.string(), e.what());
    }
    if (recorded) requireThisRun("--out", options.out, *recorded, config);
    for (const auto& [year, path] : earlier_checkpoints) {
      std::optional<io::CheckpointIndex> index;
      try {
        index = io::readCheckpointIndex(path);
      } catch (const core::InputError&) {
        continue;  // a damaged checkpoint: the restart skips it (restartPoint) or refuses it
      }
      io::RunMeta checkpointed;
      checkpointed.config_path = index->meta.config_path;
      checkpointed.config_text = index->meta.config_text;
      checkpointed.scenario_text =
          index->meta.year > index->meta.base_year ? index->meta.scenario_text : config.scenario.text;
      checkpointed.seed = index->meta.seed;
      checkpointed.scale = index->meta.scale;
      checkpointed.start_year = index->meta.base_year;
      requireThisRun(options.checkpoint_dir.empty() ? "--out" : "--checkpoint-dir", checkpoint_dir, checkpointed, config);
    }
  }
  if (rank != 0) return;
  const auto checkpoint_option = options.checkpoint_dir.empty() ? "--out" : "--checkpoint-dir";
  io::prepareOutputDirectory(options.out, "--out");
  io::prepareOutputDirectory(checkpoint_dir, checkpoint_option);
  locks.push_back(io::OutputLock::acquire(options.out, true, "--out"));
  std::error_code same_ec;
  if (!std::filesystem::equivalent(options.out, checkpoint_dir, same_ec))
    locks.push_back(io::OutputLock::acquire(checkpoint_dir, true, checkpoint_option));
  if (options.restart.empty() && options.overwrite)
    for (const auto& [year, path] : earlier_checkpoints) {
      std::filesystem::remove(path, ec);
      if (ec) throw core::InputError(fmt::format("--overwrite: cannot delete the earlier checkpoint {}: {}", path, ec.message()));
      spdlog::info("--overwrite: deleted the earlier run's checkpoint {}", path);
    }
}

// One projection on `comm` (the whole job, or one replicate's group of ranks).
int project(const RunOptions& options, MPI_Comm comm) {
  installStopHandlers();
  const auto start = std::chrono::steady_clock::now();
  auto config = configure(options.config, options.scale, options.seed, comm, options.scenario);
  if (options.replicate >= 0) config.seed += static_cast<std::uint64_t>(options.replicate);
  const int rank = rankOf(comm);
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  const auto checkpoint_dir = options.checkpoint_dir.empty()
                                  ? (std::filesystem::path(options.out) / "checkpoints").string()
                                  : options.checkpoint_dir;
  std::vector<io::OutputLock> locks;  // rank 0's, on the output and checkpoint directories
  const auto inputs = parallel::agreeing(comm, [&] {
    auto in = io::loadInputs(config);
    const int last = config.start_year + options.years;
    if (last > in.assumptions.year.back())
      throw core::InputError(fmt::format("--years {}: the run would end in {} but {} covers {}..{}", options.years, last,
                                         config.inputs.assumptions, in.assumptions.year.front(),
                                         in.assumptions.year.back()));
    if (options.checkpoint_every < 0 || options.checkpoint_keep < 1)
      throw core::InputError(fmt::format("--checkpoint-every must be >= 0 and --checkpoint-keep >= 1, found {} and {}",
                                         options.checkpoint_every, options.checkpoint_keep));
    requireFreshOutput(options, checkpoint_dir, config, rank, locks);
    return in;
  });
  const auto results_path = (std::filesystem::path(options.out) / "results.h5").string();

  // The start state: the synthesised base-year population, or a checkpoint on any number of ranks.
  core::Population population;
  std::vector<int> owner;
  std::vector<io::ResultsTable> restored;
  if (!options.restart.empty()) {
    const auto read_start = std::chrono::steady_clock::now();
    auto state = restartPoint(options.restart, config, inputs, options.years, comm);
    const auto& path = state.path;
    if (rank == 0) {
      spdlog::info("restarting from {} (the end of {}, written on {} rank(s)) on {} rank(s) x {} thread(s) -> {}", path,
                   state.index.meta.year, state.index.ranks_written, ranks, omp_get_max_threads(), results_path);
      io::pruneCheckpoints(checkpoint_dir, std::numeric_limits<int>::max(), state.index.meta.year);  // *.partial files only
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - read_start).count();
      const auto bytes = static_cast<double>(std::filesystem::file_size(path));
      spdlog::info("read checkpoint {} ({:.0f} MB in {:.2f} s, {:.0f} MB/s)", path, bytes / 1e6, seconds,
                   bytes / 1e6 / seconds);
    }
    population = std::move(state.population);
    owner = std::move(state.owner);
    restored = std::move(state.results);
  } else {
    if (rank == 0)
      spdlog::info("projecting {} regions from {} for {} years at scale {} on {} rank(s) x {} thread(s) -> {}",
                   inputs.regions.size(), config.start_year, options.years, config.scale, ranks, omp_get_max_threads(),
                   results_path);
    auto initial = model::synthesizePopulation(config, inputs, comm);
    population = std::move(initial.population);
    owner = std::move(initial.owner);
  }
  model::Projection projection(config, inputs, std::move(population), std::move(owner), comm);
  int threads = omp_get_max_threads();  // attributes must be the same on every rank
  MPI_Allreduce(MPI_IN_PLACE, &threads, 1, MPI_INT, MPI_MAX, comm);
  io::RunMeta meta{config.path, config.text, config.scenario.name, config.scenario.text, config.seed, config.scale,
                   config.start_year, options.years, ranks, threads, config.outlook.population_threshold,
                   config.input_fingerprints};
  io::ResultsWriter results(results_path, inputs.regions, meta, comm);
  const int first = projection.year() - config.start_year;  // time points already done
  if (restored.empty())
    results.writeYear(first, projection.year(), projection.population().regions, projection.records(), {});
  else if (const auto missing = results.restore(restored); !missing.empty() && rank == 0)
    spdlog::warn("the checkpoint holds no results for /{} (written by an older popsim): their years up to {} are zero "
                 "in {}", fmt::join(missing, ", /"), projection.year(), results_path);
  results.writePerformance(first, {}, projection.population().persons.size(), 0);

  const auto loop_start = std::chrono::steady_clock::now();
  std::uint64_t agent_years = 0;
  for (int t = first + 1; t <= options.years; ++t) {
    std::uint64_t agents = projection.population().persons.size();
    MPI_Allreduce(MPI_IN_PLACE, &agents, 1, MPI_UINT64_T, MPI_SUM, comm);
    projection.step();
    const auto out_start = std::chrono::steady_clock::now();
    results.writeYear(t, projection.year(), projection.population().regions, projection.records(), projection.flows());
    auto seconds = projection.seconds();
    io::at(seconds, io::Phase::Output) = std::chrono::duration<double>(std::chrono::steady_clock::now() - out_start).count();
    results.writePerformance(t, seconds, projection.population().persons.size(), projection.bytesExchanged());
    agent_years += agents;

    std::array<std::int64_t, 4> totals{};  // population, births, deaths, net international
    for (const auto& rec : projection.records()) {
      for (const auto& s : rec.population) totals[0] += std::accumulate(s.begin(), s.end(), std::int64_t{0});
      totals[1] += std::accumulate(rec.births.begin(), rec.births.end(), std::int64_t{0});
      for (const auto& s : rec.deaths) totals[2] += std::accumulate(s.begin(), s.end(), std::int64_t{0});
      totals[3] += rec.immigrants - rec.emigrants;
    }
    MPI_Allreduce(MPI_IN_PLACE, totals.data(), 4, MPI_INT64_T, MPI_SUM, comm);
    if (rank == 0) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - loop_start).count();
      spdlog::info("{}: population {} births {} deaths {} net international {:+} | {:.2f} M agent-years/s, ETA {:.0f} s",
                   projection.year(), thousands(totals[0]), thousands(totals[1]), thousands(totals[2]), totals[3],
                   static_cast<double>(agent_years) / elapsed / 1e6,
                   elapsed / (t - first) * (options.years - t));
    }

    // A signal on any rank stops every rank after this year, with a checkpoint.
    int stop = stopRequested() ? 1 : 0;
    MPI_Allreduce(MPI_IN_PLACE, &stop, 1, MPI_INT, MPI_MAX, comm);
    if (t == options.years) break;
    if (stop != 0 || (options.checkpoint_every > 0 && t % options.checkpoint_every == 0))
      writeRunCheckpoint(checkpoint_dir, options.checkpoint_keep, config, inputs, projection, results, t, comm);
    if (stop != 0) {
      writeOutlook(results, static_cast<std::uint64_t>(t) + 1, config, inputs);
      double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      MPI_Allreduce(MPI_IN_PLACE, &wall, 1, MPI_DOUBLE, MPI_MAX, comm);
      results.finish(wall, false);
      if (rank == 0)
        fmt::print("popsim run: stopped by a signal after {}; checkpoint {}; continue with --restart {}\n",
                   projection.year(), io::checkpointPath(checkpoint_dir, projection.year()), checkpoint_dir);
      return kExitStopped;
    }
  }
  writeOutlook(results, static_cast<std::uint64_t>(options.years) + 1, config, inputs);
  logEventSeconds(projection, options.years - first, comm);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MPI_Allreduce(MPI_IN_PLACE, &wall, 1, MPI_DOUBLE, MPI_MAX, comm);
  results.finish(wall);
  if (rank == 0) {
    const double loop = std::chrono::duration<double>(std::chrono::steady_clock::now() - loop_start).count();
    fmt::print("popsim run: {} years {}..{} in {:.1f} s ({:.2f} M agent-years/s); results in {}\n",
               options.years - first, config.start_year + first + 1, config.start_year + options.years, wall,
               static_cast<double>(agent_years) / std::max(loop, 1e-9) / 1e6, results_path);
  }
  return kExitOk;
}

}  // namespace

namespace {

// Rank 0 summarises the replicates' results in `out` (io::summariseReplicates), holding its lock:
// bad replicates are every rank's input error (exit 2), a failure to write every rank's output
// error (exit 1).
void summarise(const std::vector<std::string>& files, const std::string& out, bool overwrite, MPI_Comm comm) {
  std::optional<std::string> failure;
  parallel::agreeing(comm, [&] {
    if (rankOf(comm) != 0) return 0;
    io::requireOutputFile(out, "--out", overwrite, files);
    const auto lock = io::OutputLock::acquire(out, false, "--out");
    try {
      io::summariseReplicates(files, out, overwrite);
    } catch (const core::InputError&) {
      throw;
    } catch (const std::exception& e) {
      failure = io::writeFailureMessage(out, e.what());
    }
    return 0;
  });
  io::agreeOnWrite(comm, failure);
}

}  // namespace

int run(const RunOptions& options, MPI_Comm comm) {
  if (options.replicates <= 1) return project(options, comm);
  // An ensemble: contiguous groups of ranks, one replicate each (seed + k), then the summary.
  const int rank = rankOf(comm);
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  const int replicates = options.replicates;
  parallel::agreeing(comm, [&] {
    if (ranks < replicates)
      throw core::InputError(fmt::format("--replicates {} needs at least {} MPI ranks, found {} (or run the replicates "
                                         "as a job array with --seed and combine them with popsim merge)",
                                         replicates, replicates, ranks));
    if (!options.restart.empty())
      throw core::InputError("--restart with --replicates: restart each replicate on its own (--out OUT/replicate-K "
                             "--seed SEED+K --restart OUT/replicate-K/checkpoints), then popsim merge");
    const auto summary = std::filesystem::path(options.out) / "ensemble.h5";
    if (std::filesystem::exists(summary) && !options.overwrite)
      throw core::InputError(fmt::format("--out {}: holds the ensemble of an earlier run ({}); give another --out, or "
                                         "--overwrite to replace it", options.out, summary.string()));
    return 0;
  });
  const int k = static_cast<int>(static_cast<std::int64_t>(rank) * replicates / ranks);
  MPI_Comm group = MPI_COMM_NULL;
  MPI_Comm_split(comm, k, rank, &group);
  RunOptions one = options;
  one.replicates = 1;
  one.replicate = k;
  one.out = (std::filesystem::path(options.out) / fmt::format("replicate-{}", k)).string();
  if (!options.checkpoint_dir.empty())
    one.checkpoint_dir = (std::filesystem::path(options.checkpoint_dir) / fmt::format("replicate-{}", k)).string();
  // A replicate's input error is its group's alone: the group reports it, every rank exits with 2.
  int rc = kExitOk;
  try {
    rc = project(one, group);
  } catch (const core::CollectiveInputError& e) {
    if (rankOf(group) == 0) fmt::print(stderr, "popsim: error: replicate {}: {}\n", k, e.what());
    rc = kExitInvalidInput;
  } catch (const core::CollectiveOutputError& e) {
    if (rankOf(group) == 0) fmt::print(stderr, "popsim: error: {} (replicate {})\n", e.what(), k);
    rc = kExitFailure;
  }
  MPI_Comm_free(&group);
  MPI_Allreduce(MPI_IN_PLACE, &rc, 1, MPI_INT, MPI_MAX, comm);
  if (rc != kExitOk) return rc;
  std::vector<std::string> files;
  for (int j = 0; j < replicates; ++j)
    files.push_back((std::filesystem::path(options.out) / fmt::format("replicate-{}", j) / "results.h5").string());
  const auto out = (std::filesystem::path(options.out) / "ensemble.h5").string();
  summarise(files, out, options.overwrite, comm);
  if (rank == 0) fmt::print("popsim run: {} replicates summarised in {}\n", replicates, out);
  return kExitOk;
}

int merge(const std::vector<std::string>& replicates, const std::string& out, bool overwrite, MPI_Comm comm) {
  summarise(replicates, out, overwrite, comm);
  if (rankOf(comm) == 0) fmt::print("popsim merge: {} replicates summarised in {}\n", replicates.size(), out);
  return kExitOk;
}

int synthesize(const SynthesizeOptions& options, MPI_Comm comm) {
  const auto start = std::chrono::steady_clock::now();
  io::OutputLock lock;  // rank 0's, on the output file while it is written
  const auto config = parallel::agreeing(comm, [&] {
    auto c = io::readConfig(options.config);
    if (options.scale) {
      if (!(*options.scale >= io::kMinScale && *options.scale <= 1.0))
        throw core::InputError(fmt::format("--scale must be in [{}, 1], found {}", io::kMinScale, *options.scale));
      c.scale = *options.scale;
    }
    if (options.seed) c.seed = *options.seed;
    if (std::filesystem::path(options.out).extension() != ".h5")
      throw core::InputError(fmt::format("--out {}: expected a file name ending in .h5", options.out));
    io::requireOutputFile(options.out, "--out", options.overwrite);
    if (rankOf(comm) == 0) lock = io::OutputLock::acquire(options.out, false, "--out");
    return c;
  });
  const auto inputs = parallel::agreeing(comm, [&] { return io::loadInputs(config); });
  const int rank = rankOf(comm);
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  if (rank == 0)
    spdlog::info("synthesising {} regions at scale {} on {} rank(s) x {} thread(s)", inputs.regions.size(),
                 config.scale, ranks, omp_get_max_threads());
  auto result = model::synthesizePopulation(config, inputs, comm);
  const double synth_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const auto meta = io::checkpointMeta(config, result.population);
  const auto write_start = std::chrono::steady_clock::now();
  io::writeCheckpoint(options.out, inputs.regions, result.population, result.owner, meta, comm);
  const double write_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - write_start).count();

  // Memory of the state: the largest rank's bytes per person it holds.
  std::uint64_t bytes = result.population.memoryBytes();
  std::uint64_t held = result.population.persons.size();
  std::uint64_t max_bytes = 0;
  MPI_Reduce(&bytes, &max_bytes, 1, MPI_UINT64_T, MPI_MAX, 0, comm);
  MPI_Allreduce(MPI_IN_PLACE, &bytes, 1, MPI_UINT64_T, MPI_SUM, comm);
  MPI_Allreduce(MPI_IN_PLACE, &held, 1, MPI_UINT64_T, MPI_SUM, comm);

  if (rank == 0) {
    const auto& s = result.stats;
    std::vector<std::uint64_t> work(inputs.regions.size());
    for (std::size_t r = 0; r < work.size(); ++r) work[r] = static_cast<std::uint64_t>(inputs.regionPopulation(static_cast<core::RegionIndex>(r)));
    fmt::print("popsim synthesize: {} -> {}\n", options.config, options.out);
    fmt::print("  persons            {}\n", thousands(s.persons));
    fmt::print("  households         {} (target {}, {:+.3f}%), mean size {:.3f}\n", thousands(s.households),
               thousands(s.target_households), percent(s.households - s.target_households, s.target_households),
               static_cast<double>(s.persons) / static_cast<double>(s.households));
    if (s.regions_off_target > 0)
      spdlog::warn("{} region(s) could not reach their foreign residents' household count (too few candidates)",
                   s.regions_off_target);
    fmt::print("  one-person         {:.1f}% of households\n", percent(s.one_person, s.households));
    fmt::print("  couples            {:.1f}% of households\n", percent(s.couples, s.households));
    fmt::print("  lone parents       {:.1f}% of households (mothers), {:.1f}% (fathers)\n",
               percent(s.lone_mother, s.households), percent(s.lone_father, s.households));
    fmt::print("  living alone       {} nationals (expected {} from living_alone.csv; {} could not be placed)\n",
               thousands(s.alone_target - s.alone_unplaced), thousands(s.alone_target), thousands(s.alone_unplaced));
    fmt::print("  household count    {} couples living with a parent or child, {} households of two adult siblings\n",
               thousands(s.couples_with_relative), thousands(s.siblings_together));
    fmt::print("  size calibration   {} children moved between households\n", thousands(s.size_moves));
    fmt::print("  married apart      {} (married persons registered in a household apart from their spouse)\n",
               thousands(s.married_apart));
    fmt::print("  children linked to their mother {}, persons 60+ with a younger relative {}, adults under 60 with "
               "a relative {}, minors placed with kin {}\n",
               thousands(s.children_with_mother), thousands(s.elders_with_relative), thousands(s.adults_with_relative),
               thousands(s.kin_placements));
    fmt::print("  unmatched spouses  {} (planned married, no partner of plausible age in the region)\n",
               thousands(s.unmatched_married));
    fmt::print("  state memory       {:.1f} bytes per person ({:.2f} GB in all)\n",
               static_cast<double>(bytes) / static_cast<double>(std::max<std::uint64_t>(held, 1)), static_cast<double>(bytes) / 1e9);
    fmt::print("  time               {:.2f} s synthesis + {:.2f} s writing ({} ranks x {} threads, imbalance {:.3f})\n",
               synth_seconds, write_seconds, ranks, omp_get_max_threads(),
               parallel::imbalance(work, result.owner, ranks));
  }
  return kExitOk;
}

namespace {

// The time points `info` prints: the start, every fifth year and the last.
bool printedYear(const io::ResultsSummary& s, std::size_t t) {
  return t == 0 || t + 1 == s.years.size() || s.years[t] % 5 == 0;
}

// The national household series: households, one-person share, mean size (persons per
// household, derived: results.h5 stores no mean size), and, in files that have them, persons
// living alone 65+ and 80+ and households with a child under 6.
void printHouseholdSeries(const io::ResultsSummary& s) {
  const bool indicators = !s.alone_65plus.empty();
  fmt::print("\n  households: one-person = share of one-person households; mean size = population / households\n");
  fmt::print("  {:>6} {:>12} {:>10} {:>9}", "year", "households", "one-person", "mean size");
  if (indicators) fmt::print(" {:>11} {:>11} {:>13}", "65+ alone", "80+ alone", "with child <6");
  fmt::print("\n");
  for (std::size_t t = 0; t < s.years.size(); ++t) {
    if (!printedYear(s, t)) continue;
    std::int64_t persons = 0;
    for (const auto& by_age : s.population[t]) persons += std::accumulate(by_age.begin(), by_age.end(), std::int64_t{0});
    const auto households = s.households[t];
    fmt::print("  {:>6} {:>12} {:>9.1f}% {:>9.2f}", s.years[t], thousands(households), percent(s.one_person[t], households),
               households == 0 ? 0.0 : static_cast<double>(persons) / static_cast<double>(households));
    if (indicators)
      fmt::print(" {:>11} {:>11} {:>13}", thousands(s.alone_65plus[t]), thousands(s.alone_80plus[t]),
                 thousands(s.with_child_under_6[t]));
    fmt::print("\n");
  }
  if (!indicators)
    fmt::print("  the household indicators are absent (the file was written by an older popsim): persons living\n"
               "  alone, households with children, households by the reference person's age and by nationality\n");
}

int resultsInfo(const std::string& file) {
  const auto s = io::readResultsSummary(file);
  const int end = s.meta.start_year + s.meta.years;
  fmt::print("{}: popsim results, {}..{} ({} years), seed {}, scale {}, {} rank(s) x {} thread(s)\n  config {}\n", file,
             s.meta.start_year, end, s.meta.years, s.meta.seed, s.meta.scale, s.meta.ranks, s.meta.threads,
             s.meta.config_path);
  if (s.complete)
    fmt::print("  status: complete\n");
  else if (s.years.empty())
    fmt::print("  status: incomplete: nothing written (the run stopped before its start state was recorded)\n");
  else
    fmt::print("  status: incomplete: written up to {} of {} (the run was stopped, killed or failed; continue it "
               "with --restart from its checkpoints)\n", s.last_year, end);
  if (s.years.empty()) return kExitOk;
  fmt::print("  counts are of simulated agents{}\n\n",
             s.meta.scale == 1.0 ? "" : fmt::format(" (divide by {} for national figures)", s.meta.scale));
  fmt::print("  population: everyone resident (Statistics Korea's definition); nationals: the registered\n"
             "  population (resident registration), on which the extinction index is computed\n\n");
  fmt::print("  {:>6} {:>11} {:>11} {:>9} {:>9} {:>9} {:>11} {:>6} {:>6} {:>9}\n", "year", "population", "nationals",
             "births", "deaths", "net intl", "households", "0-14", "65+", "ext.index");
  for (std::size_t t = 0; t < s.years.size(); ++t) {
    if (!printedYear(s, t)) continue;
    std::int64_t total = 0, young = 0, old = 0, nationals = 0, national_women = 0, national_old = 0;
    for (int x = 0; x < 2; ++x)
      for (int a = 0; a <= 100; ++a) {
        const auto n = s.population[t][x][a];
        const auto k = s.nationals[t][x][a];
        total += n;
        young += a < 15 ? n : 0;
        old += a >= 65 ? n : 0;
        nationals += k;
        national_old += a >= 65 ? k : 0;
        national_women += x == 1 && a >= 20 && a <= 39 ? k : 0;
      }
    fmt::print("  {:>6} {:>11} {:>11} {:>9} {:>9} {:>9} {:>11} {:>5.1f}% {:>5.1f}% {:>9.2f}\n", s.years[t],
               thousands(total), thousands(nationals), thousands(s.births[t]), thousands(s.deaths[t]),
               thousands(s.immigrants[t] - s.emigrants[t]), thousands(s.households[t]), percent(young, total),
               percent(old, total), model::extinctionIndex(static_cast<double>(national_women), static_cast<double>(national_old)));
  }
  printHouseholdSeries(s);
  return kExitOk;
}

}  // namespace

namespace {
int describe(const std::string& file);
}  // namespace

int info(const std::string& file, MPI_Comm comm) {
  // Rank 0 reads and prints; an error is every rank's, so that all exit with the same code.
  return parallel::agreeing(comm, [&] { return rankOf(comm) == 0 ? describe(file) : kExitOk; });
}

namespace {

int describe(const std::string& file) {
  io::requireRegularFile(file, "a popsim HDF5 file (population, checkpoint or results)");
  if (io::isResultsFile(file)) return resultsInfo(file);
  const auto index = io::readCheckpointIndex(file);
  const auto columns = io::readPersonSummaryColumns(file);
  const auto& m = index.meta;
  const auto& regions = index.regions;
  fmt::print("{}: popsim checkpoint, schema {}, state at the end of {}\n", file, io::kCheckpointSchemaVersion, m.year);
  fmt::print("  base year {}, seed {}, scale {}, written by {} rank(s), config {}\n", m.base_year, m.seed, m.scale,
             index.ranks_written, m.config_path);
  std::size_t capital = 0;
  std::size_t declining = 0;
  for (const auto& r : regions.regions()) {
    capital += r.capital_region;
    declining += r.declining_area;
  }
  const auto persons = static_cast<std::int64_t>(index.person_offset.back());
  const auto households = static_cast<std::int64_t>(index.household_offset.back());
  fmt::print("  regions    {} in {} provinces ({} capital region, {} population-declining)\n", regions.size(),
             regions.provinces().size(), capital, declining);
  fmt::print("  persons    {} (next id {})\n", thousands(persons), m.next_person_id);
  fmt::print("  households {} (next id {})\n", thousands(households), m.next_household_id);

  fmt::print("\n  {:>4}  {:<24} {:>7} {:>12} {:>12} {:>12} {:>6} {:>10} {:>6} {:>10}\n", "code", "province", "regions",
             "persons", "nationals", "households", "size", "one-person", "65+", "ext.index");
  for (const auto& t : model::summarizeByProvince(index, columns, "all")) {
    fmt::print("  {:>4}  {:<24} {:>7} {:>12} {:>12} {:>12} {:>6.2f} {:>9.1f}% {:>5.1f}% {:>10.2f}\n",
               t.code == 0 ? std::string() : std::to_string(t.code), t.name, t.regions, thousands(t.persons),
               thousands(t.nationals), thousands(t.households), t.meanHouseholdSize(), 100.0 * t.oneShare(),
               100.0 * t.share65(), t.extinctionIndex());
  }
  fmt::print("  persons: everyone resident; nationals: the registered population (the extinction index's)\n");
  return kExitOk;
}

}  // namespace

}  // namespace popsim::app
