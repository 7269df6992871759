// The yearly step: takes the population of this rank's regions from the end of one year to the
// end of the next. Order (step()): load balancing -> rates and national normalisation (all
// regions) -> the region events of kRegionEvents (each region independently, OpenMP over
// regions: mortality, fertility, unions, household transitions, international migration,
// naturalisation, orphans) -> new ids (all regions) -> internal migration (kernel per region,
// migrants exchanged between ranks) -> rebuild of the state -> accounting -> invariant checks.
// A scenario's interventions (model::Policy) scale the regional rates after the national
// normalisation.
// Results depend only on the inputs and the seed: not on threads or ranks.
#pragma once

#include <mpi.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "core/population.hpp"
#include "io/config.hpp"
#include "io/inputs.hpp"
#include "io/results.hpp"
#include "kernels/internal_migration.hpp"
#include "kernels/region_year.hpp"
#include "core/person_record.hpp"
#include "model/living_alone.hpp"
#include "model/migration.hpp"
#include "model/policy.hpp"
#include "model/rates.hpp"

namespace popsim::model {

struct CensusRows;  // the start-of-year census of every region (projection.cpp)

class Projection {
 public:
  Projection(const io::Config& config, const io::CountryInputs& inputs, core::Population population,
             std::vector<int> owner, MPI_Comm comm);

  // Simulates the year after the current one.
  void step();

  // One event of a region's year: its name, the kernels::RegionYear counters it fills, and the
  // call of its kernel with this year's coefficients (k: the region's place among the owned).
  struct RegionEvent {
    const char* name;
    const char* counters;
    void (*run)(const Projection& year, kernels::RegionYear& r, std::size_t k);
  };
  // The events of each region's year, in the order they run (docs/model.md).
  static constexpr std::size_t kRegionEventCount = 7;
  static const std::array<RegionEvent, kRegionEventCount> kRegionEvents;

  int year() const { return population_.year; }
  const core::Population& population() const { return population_; }
  const std::vector<int>& owner() const { return owner_; }
  // The accounts of the current state: end-of-year states and the year's events, per owned region.
  const std::vector<io::RegionYearRecord>& records() const { return records_; }
  // Seconds per phase of the last step (io::kPhases order, "output" left to the caller).
  const io::PhaseSeconds& seconds() const { return seconds_; }

  // The new order of one region's persons: sources are local indices of survivors, or
  // kNewAgent | j for newborn j (j < newborns) and immigrant j - newborns.
  struct Plan {
    std::vector<std::uint32_t> source;
    // The final order, arrivals included, as runs for the column gather (mergeArrivals): length
    // > 0 is survivors source..source+length-1 (consecutive in the old state), length 0 one new
    // agent (kNewAgent | j) or arrival (kArrival | j).
    struct Segment {
      std::uint32_t source = 0;
      std::uint32_t length = 0;
    };
    std::vector<Segment> segments;
    std::size_t persons = 0;  // the region's persons at the end of the year (segments' total)
    std::vector<std::uint32_t> newborn_rank;  // id offset of each kept newborn; kNewAgent if not kept
    std::uint32_t kept_newborns = 0;
  };
  // National internal migrants of the last step by origin x destination province (P x P, row
  // major, provinces in table order); the same on every rank.
  const std::vector<std::int64_t>& flows() const { return flows_; }
  // CPU seconds of this rank since the start, summed over threads, by event: the yearly index
  // and person-year draws, the region events in order, and the internal-migration kernel.
  std::vector<std::pair<std::string, double>> eventSeconds() const;
  // Payload bytes this rank sent to other ranks in the last step.
  std::uint64_t bytesExchanged() const { return bytes_exchanged_; }
  // National marital fertility weight of the last step (married vs unmarried women).
  double maritalWeight() const { return marital_weight_; }

 private:
  // A region's persons at the start of a year, as the year's normalisation needs them.
  struct Census {
    std::array<std::array<std::int64_t, core::kAgeClasses>, core::kSexes> start{};  // by age at the start of the year
    std::array<std::array<std::int64_t, core::kAgeClasses>, core::kSexes> start_national{};  // nationals only
    kernels::ByNationalitySexAge end_age{};  // by nationality and age at the end of the year
    // National women 15-49 by age, parity group and union status (0 unmarried, 1 married).
    std::array<std::array<std::array<std::int64_t, 2>, kernels::kParityGroups>, kernels::kFertileAges> women{};
  };
  void runRegionEvents(int year);
  void computeCoefficients(const YearRates& rates, const std::vector<Census>& census);
  void selectInterventions(int year, const CensusRows& all);
  void allocateMigrants(const YearRates& rates, const std::vector<Census>& census);
  kernels::ByNationalitySexAge nationalMigrants(const YearRates& rates, const kernels::ByNationalitySexAge& stock) const;
  // The rebuild, in order: new ids, newcomers' records, the year-end order of each region, the
  // internal-migration kernel, the exchange of migrants, their insertion, the columns, the
  // household table.
  struct IdBlocks {
    std::vector<std::uint64_t> person, household;  // first new id of each region (table order); size regions+1
  };
  void rebuild();
  IdBlocks issueIds();
  void prepareNewAgents(const IdBlocks& ids);
  void planRegions();
  void decideInternalMigration();
  void collectLeavers();
  void receiveMigrants();
  void mergeArrivals();
  void gatherColumns();
  void regroupHouseholds();
  // A plan source's record with its final values (a survivor, a new agent or an arrival).
  core::PersonRecord recordOf(std::size_t k, std::uint32_t source) const;
  void reserveColumns();
  void rebalance();
  void redistribute(const std::vector<int>& owner);
  void account(bool with_events);
  void countPersons(std::size_t k);
  void countHouseholds(std::size_t k, bool checks);
  void copyEvents(std::size_t k);
  void check(const std::vector<std::int64_t>& persons_before) const;

  const io::Config& config_;
  const io::CountryInputs& inputs_;
  core::Population population_;
  std::vector<int> owner_;
  MPI_Comm comm_;
  std::size_t regions_ = 0;

  // The year's national coefficients and per-region quotas.
  kernels::BySexAge death_coefficient_{};
  kernels::FertilityCoefficients fertility_coefficient_{};
  kernels::BySexAge marriage_{}, divorce_{};
  LivingAloneShares living_alone_;
  SharesBySexAge alone_national_{};  // the nation's living-alone shares at the end of this year
  double foreign_own_household_share_ = 1.0;  // adult foreign immigrants who start a household
  double marital_weight_ = 1.0;
  std::vector<kernels::ByNationalitySexAge> immigrants_, emigrants_;  // per owned region
  std::vector<double> fertility_multiplier_;  // per region: its TFR relative to the nation's, this year

  std::vector<kernels::RegionYear> work_;  // per owned region
  std::vector<std::size_t> order_;         // owned regions, most persons first: the order threads take them
  std::vector<std::uint32_t> spare_;       // scratch column for the rebuild (4 bytes per agent)
  std::vector<Plan> plans_;                // per owned region, kept for their capacity
  Destinations destinations_;
  Policy policy_;  // the scenario's interventions in this year
  std::vector<std::vector<core::PersonRecord>> newcomers_;  // per owned region: newborns, then immigrants
  std::vector<std::vector<core::PersonRecord>> arrivals_;  // per owned region, this year's in-migrants
  std::vector<std::vector<kernels::Move>> moves_;           // per owned region, this year's leaving households
  std::vector<std::size_t> leaving_;                        // per owned region x rank: persons leaving for it
  std::vector<std::vector<core::PersonRecord>> outgoing_;   // per rank: this rank's leavers bound for it
  std::vector<std::array<std::int64_t, 101>> migrants_in_, migrants_out_;  // per owned region, by age at the end of the year
  std::vector<std::int64_t> flows_;
  std::uint64_t bytes_exchanged_ = 0;
  double exchange_seconds_ = 0.0;
  std::vector<io::RegionYearRecord> records_;
  std::vector<Census> census_;  // per owned region: the census of the current state (account())
  std::vector<std::string> household_failures_;  // per owned region: the first household check that failed
  io::PhaseSeconds seconds_{};
  using EventSeconds = std::array<double, kRegionEventCount + 2>;  // the index, kRegionEvents, internal migration
  EventSeconds event_seconds_{};
};

}  // namespace popsim::model
