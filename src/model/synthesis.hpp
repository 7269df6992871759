// The initial population: persons by region, sex and single year of age exactly as in the
// inputs, placed in households of a realistic composition (couples, children with their
// mothers, young adults who have left home, elderly alone or with a younger relative).
// The algorithm is documented in docs/synthesis.md.
#pragma once

#include <cstdint>
#include <vector>

#include "core/population.hpp"
#include "io/config.hpp"
#include "io/inputs.hpp"

namespace popsim::model {

// Composition counters of the synthesised households, summed over regions.
struct SynthesisStats {
  std::int64_t persons = 0;
  std::int64_t households = 0;
  std::int64_t target_households = 0;
  std::int64_t one_person = 0;
  std::int64_t couples = 0;               // households with a married couple
  std::int64_t lone_mother = 0;           // households headed by a mother without a partner
  std::int64_t lone_father = 0;           // households headed by a father without a partner
  std::int64_t children_with_mother = 0;  // persons living with their linked mother
  std::int64_t elders_with_relative = 0;   // persons 60+ living in a younger relative's household
  std::int64_t adults_with_relative = 0;   // adults under 60 living with a relative who is not a parent
  std::int64_t alone_target = 0;           // nationals expected to live alone (living_alone.csv)
  std::int64_t alone_unplaced = 0;
  std::int64_t married_apart = 0;
  std::int64_t size_moves = 0;
  std::int64_t couples_with_relative = 0;  // couples living in a parent's or child's household
  std::int64_t siblings_together = 0;      // households of two adult siblings             // children moved between households to shape the sizes          // married persons registered apart from their spouse         // of the target's gap, persons no household could be found for
  std::int64_t kin_placements = 0;        // minors living with a relative who is not a parent
  std::int64_t unmatched_married = 0;     // persons planned as married for whom no spouse was found
  std::int64_t regions_off_target = 0;    // regions whose household count differs from the target

  // Calls f on every counter, in declaration order (sums and reductions use it).
  template <typename Self, typename F>
  static void forEach(Self& s, F f) {
    for (auto* field : {&s.persons, &s.households, &s.target_households, &s.one_person, &s.couples, &s.lone_mother,
                        &s.lone_father, &s.children_with_mother, &s.elders_with_relative, &s.adults_with_relative,
                        &s.alone_target, &s.alone_unplaced, &s.married_apart, &s.size_moves, &s.couples_with_relative, &s.siblings_together, &s.kin_placements,
                        &s.unmatched_married, &s.regions_off_target})
      f(*field);
  }
  SynthesisStats& operator+=(const SynthesisStats& o);
};

// The random-stream entity of one nationality's residents of a region during the synthesis.
std::uint64_t synthesisEntity(std::int64_t region_code, core::Nationality nationality);

// Persons per region x sex x age at a sampling fraction `scale`: each cell is rounded up or
// down at random with the probability of its fractional part, so the expected count is exactly
// scale x count (unbiased), keyed by (seed, region code, nationality, cell). scale == 1 returns
// the counts.
io::AgeSexCounts scaledCounts(const io::AgeSexCounts& counts, double scale, std::uint64_t seed,
                              std::int64_t region_code, int base_year,
                              core::Nationality nationality = core::Nationality::National);
std::int64_t scaledHouseholds(std::int64_t households, double scale, std::uint64_t seed, std::int64_t region_code,
                              int base_year, core::Nationality nationality = core::Nationality::National);

struct RegionSynthesisInput {
  const io::CountryInputs* inputs = nullptr;
  const io::SynthesisParameters* parameters = nullptr;
  std::uint64_t seed = 0;
  int base_year = 0;
  core::RegionIndex region = 0;
  // Nationals and foreign residents of a region are built separately, each in households of
  // their own (docs/synthesis.md).
  core::Nationality nationality = core::Nationality::National;
  io::AgeSexCounts counts{};       // already scaled
  std::int64_t target_households = 0;  // already scaled (foreign residents: their households are calibrated to it)
  double alone_max_share = 1.0;        // [households] living_alone_max_share
  // The expected shares of the region's households of 2+ members by size 2..6, 7+ (index 1..6;
  // householdSizeShares); nationals only.
  const std::array<double, core::kHouseholdSizes>* size_shares = nullptr;
  core::PersonId first_person_id = 1;  // ids first_person_id .. + persons - 1
};

// Each region's expected shares of households of 2+ members by size (2..6, 7+ at index 1..6): the
// province's registered sizes (households_by_size.csv), tilted per region (share_k x c_k x
// exp(theta_r x size_k)) so that their mean size is the region's own, (registered persons - those
// living alone) / (registered households - one-person households), both from the inputs, with
// size factors c_k that make the regions of a province add up to its registered sizes (raking).
std::vector<std::array<double, core::kHouseholdSizes>> householdSizeShares(const io::CountryInputs& inputs);

// The synthesis input of region r with the configuration's parameters, seed and base year.
RegionSynthesisInput regionInput(const io::Config& config, const io::CountryInputs& inputs, core::RegionIndex r,
                                 const io::AgeSexCounts& counts, std::int64_t target_households,
                                 core::PersonId first_person_id,
                                 core::Nationality nationality = core::Nationality::National);

// Builds one region's persons into persons[begin, begin + total(counts)). persons.household
// receives region-local household numbers 1..h (h is returned in stats.households); the caller
// adds the region's household-id offset. Deterministic: depends only on the input, not on
// threads or ranks.
SynthesisStats synthesizeRegion(const RegionSynthesisInput& input, core::Persons& persons, std::size_t begin);

}  // namespace popsim::model
