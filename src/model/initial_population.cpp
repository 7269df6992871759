#include "model/initial_population.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "parallel/decomposition.hpp"

namespace popsim::model {
namespace {

std::vector<std::int64_t> statsVector(const SynthesisStats& s) {
  std::vector<std::int64_t> v;
  SynthesisStats::forEach(s, [&](const std::int64_t& x) { v.push_back(x); });
  return v;
}

SynthesisStats statsFromVector(const std::vector<std::int64_t>& v) {
  SynthesisStats s;
  std::size_t k = 0;
  SynthesisStats::forEach(s, [&](std::int64_t& x) { x = v[k++]; });
  return s;
}

constexpr auto kNational = core::Nationality::National;
constexpr auto kForeign = core::Nationality::Foreign;

// The scaled counts of every region, by nationality, and the person-id range each region takes.
// Every rank derives them (cheap), hence the same person-id ranges and the same decomposition
// without communication. A region's nationals come first, then its foreign residents.
struct RegionCounts {
  std::vector<std::array<io::AgeSexCounts, core::kNationalities>> counts;
  std::vector<std::uint64_t> persons;
  std::vector<core::PersonId> first_id;
  core::PersonId next_id = 1;
};

RegionCounts countRegions(const io::Config& config, const io::CountryInputs& inputs) {
  const std::size_t n_regions = inputs.regions.size();
  RegionCounts rc;
  rc.counts.resize(n_regions);
  rc.persons.assign(n_regions, 0);
  rc.first_id.resize(n_regions);
  for (std::size_t r = 0; r < n_regions; ++r) {
    const auto code = inputs.regions[static_cast<core::RegionIndex>(r)].code;
    for (const auto n : {kNational, kForeign}) {
      auto& c = rc.counts[r][static_cast<int>(n)];
      c = scaledCounts(inputs.populationOf(n)[r], config.scale, config.seed, code, config.start_year, n);
      // A sample whose foreign residents are all minors cannot house them (every household has
      // an adult): at small scales such a region gets no foreign residents.
      if (n == kForeign && io::adults(c) == 0) c = {};
      rc.persons[r] += static_cast<std::uint64_t>(io::total(c));
    }
    rc.first_id[r] = rc.next_id;
    rc.next_id += static_cast<core::PersonId>(rc.persons[r]);  // the total is checked below 2e9 (io::inputs)
  }
  if (rc.next_id == 1)
    throw core::InputError(fmt::format("{}: scale {} leaves no agents; use a larger --scale", config.path, config.scale));
  return rc;
}

// Synthesises the persons of this rank's regions (OpenMP over regions, largest first), each
// region's households numbered from 0; returns each region's statistics.
std::vector<SynthesisStats> synthesizeRegions(const io::Config& config, const io::CountryInputs& inputs,
                                              const RegionCounts& rc, core::Population& pop) {
  std::vector<std::size_t> order(pop.regions.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return rc.persons[pop.regions[a]] > rc.persons[pop.regions[b]]; });
  std::vector<SynthesisStats> region_stats(pop.regions.size());
  const auto size_shares = householdSizeShares(inputs);
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::size_t local = order[k];
    const auto r = pop.regions[local];
    const auto code = inputs.regions[r].code;
    auto& stats = region_stats[local];
    std::uint64_t placed = 0;
    std::int64_t households = 0;
    for (const auto n : {kNational, kForeign}) {
      const auto& c = rc.counts[r][static_cast<int>(n)];
      if (io::total(c) == 0) continue;
      const auto begin = pop.person_offset[local] + placed;
      const auto target = n == kNational ? inputs.households[r] : inputs.foreign_households[r];
      auto in = regionInput(config, inputs, r, c, scaledHouseholds(target, config.scale, config.seed, code, config.start_year, n),
                                  rc.first_id[r] + static_cast<core::PersonId>(placed), n);
      in.size_shares = &size_shares[r];
      const auto s = synthesizeRegion(in, pop.persons, begin);
      // Region-local household numbers continue after the previous group's.
      for (std::size_t i = begin; i < begin + static_cast<std::size_t>(s.persons); ++i)
        pop.persons.household[i] += static_cast<core::HouseholdId>(households);
      households += s.households;
      placed += static_cast<std::uint64_t>(s.persons);
      stats += s;
    }
  }
  return region_stats;
}

// Household ids: regions in table order, each region's households numbered consecutively.
void numberHouseholds(const std::vector<SynthesisStats>& region_stats, std::size_t n_regions, core::Population& pop,
                      MPI_Comm comm) {
  std::vector<std::uint64_t> households(n_regions, 0);
  for (std::size_t k = 0; k < pop.regions.size(); ++k)
    households[pop.regions[k]] = static_cast<std::uint64_t>(region_stats[k].households);
  MPI_Allreduce(MPI_IN_PLACE, households.data(), static_cast<int>(n_regions), MPI_UINT64_T, MPI_SUM, comm);
  std::vector<std::uint64_t> first_household(n_regions + 1, 1);
  for (std::size_t r = 0; r < n_regions; ++r) first_household[r + 1] = first_household[r] + households[r];

  pop.household_offset.assign(1, 0);
  for (const auto r : pop.regions) pop.household_offset.push_back(pop.household_offset.back() + households[r]);
  pop.households.resize(pop.household_offset.back());
#pragma omp parallel for schedule(static)
  for (std::size_t k = 0; k < pop.regions.size(); ++k) {
    const auto r = pop.regions[k];
    const auto base = static_cast<core::HouseholdId>(first_household[r]);
    for (std::size_t i = pop.person_offset[k]; i < pop.person_offset[k + 1]; ++i) pop.persons.household[i] += base;
    for (std::size_t h = 0; h < households[r]; ++h) {
      pop.households.id[pop.household_offset[k] + h] = base + static_cast<core::HouseholdId>(h);
      pop.households.region[pop.household_offset[k] + h] = r;
    }
  }
  pop.next_household_id = static_cast<core::HouseholdId>(first_household[n_regions]);
}

}  // namespace

InitialPopulation synthesizePopulation(const io::Config& config, const io::CountryInputs& inputs, MPI_Comm comm) {
  int rank = 0;
  int ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const auto rc = countRegions(config, inputs);

  InitialPopulation result;
  result.owner = parallel::assignRegions(rc.persons, ranks);
  auto& pop = result.population;
  pop.year = static_cast<core::Year>(config.start_year);
  pop.regions = parallel::ownedRegions(result.owner, rank);
  pop.person_offset.assign(1, 0);
  for (const auto r : pop.regions) pop.person_offset.push_back(pop.person_offset.back() + rc.persons[r]);
  pop.persons.resize(pop.person_offset.back());
  result.region_stats = synthesizeRegions(config, inputs, rc, pop);
  numberHouseholds(result.region_stats, inputs.regions.size(), pop, comm);
  pop.next_person_id = rc.next_id;

  SynthesisStats local_stats;
  for (const auto& s : result.region_stats) local_stats += s;
  auto v = statsVector(local_stats);
  MPI_Allreduce(MPI_IN_PLACE, v.data(), static_cast<int>(v.size()), MPI_INT64_T, MPI_SUM, comm);
  result.stats = statsFromVector(v);
  return result;
}

}  // namespace popsim::model
