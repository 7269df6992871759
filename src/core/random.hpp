// Counter-based random numbers (Random123 Philox4x32-10): a draw is a pure function of
// (seed, entity, year, event, index), so results do not depend on ranks, threads or order.
#pragma once

#include <Random123/philox.h>

#include <array>
#include <cstdint>

namespace popsim::core {

// What a draw is for; part of the counter so that different decisions never share draws.
// Region-level streams key on regionEntity(code), person-level streams on the person id.
enum class Event : std::uint16_t {
  ScaleRounding = 1,           // region: persons per cell at a sampling fraction
  HouseholdScaleRounding = 2,  // region: registered households at a sampling fraction
  MarriedRounding = 3,         // region: married persons per cell
  WithParentRounding = 4,      // region: persons living with a parent per cell
  ElderRounding = 5,           // region: unpartnered elderly moving to a relative per cell
  OldestOldAge = 6,            // person: single age within the open class 100+
  SpouseAge = 7,               // person (wife): the husband's age she looks for
  ShuffleWomen = 8,            // person (wife): the order in which wives are matched
  MotherAge = 9,               // person (child): the mother's age at the birth
  ParentChoice = 10,           // person (child): which parent
  KinChoice = 11,              // person (minor): which relative hosts a minor without a parent
  ElderChoice = 12,            // person (elder): which relative hosts an elderly person
  Calibration = 13,            // person: priority for moving into or out of the parental home
  Death = 20,                  // unused since the person-year draw (PersonYear)
  Birth = 21,                  // person (mother): index 1: the child's sex (the birth itself: PersonYear)
  Divorce = 22,                // unused since the person-year draw (PersonYear)
  MarriageEntry = 23,          // unused since the person-year draw (PersonYear)
  LeaveHome = 24,              // person: leaves a shared household to live alone this year
  ElderlyMove = 25,            // person living alone: moves in with others this year; indices 1..: the host
  Emigration = 26,             // region: which residents of a cell emigrate (a simple random sample)
  OrphanHost = 27,             // person (orphan): which household takes the minor
  MigrationRounding = 28,      // year: rounding of national migrant counts per cell
  MigrationAllocation = 29,    // year: allocation of migrants to regions
  MarriageCount = 30,          // region: rounding of the expected number of marriages
  InternalMove = 31,           // person (household reference): moves to another region; index 1: where
  Naturalisation = 32,         // person (foreign resident): becomes a national this year
  PersonYear = 33,             // person: the person-year draw (kernels::Draw: death, birth, divorce, marriage entry)
  ImmigrantHousehold = 34,     // region: which household each adult foreign immigrant joins
  AloneRounding = 35,          // region: persons living alone per cell at synthesis
  SizeCalibration = 37,        // region: which children move between households to shape sizes at synthesis
  AloneChoice = 36,            // person: priority for moving into or out of a one-person household at synthesis
};

// Region-level entities carry the top bit so they can never collide with a person id.
inline constexpr std::uint64_t regionEntity(std::int64_t code) {
  return static_cast<std::uint64_t>(code) | (std::uint64_t{1} << 63);
}

class Stream {
 public:
  // entity: a person, household or region id; year: the simulated year (or base year).
  Stream(std::uint64_t seed, std::uint64_t entity, int year, Event event)
      : key_{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}},
        counter_{{static_cast<std::uint32_t>(entity), static_cast<std::uint32_t>(entity >> 32),
                  (static_cast<std::uint32_t>(static_cast<std::uint16_t>(year)) << 16) |
                      static_cast<std::uint32_t>(event),
                  0u}} {}

  // Four independent 32-bit words for draw number `index` of this stream.
  std::array<std::uint32_t, 4> words(std::uint32_t index) const {
    r123::Philox4x32::ctr_type ctr = counter_;
    ctr[3] = index;
    const auto out = r123::Philox4x32()(ctr, key_);
    return {out[0], out[1], out[2], out[3]};
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform(std::uint32_t index) const {
    const auto w = words(index);
    const std::uint64_t bits = (static_cast<std::uint64_t>(w[0]) << 21) ^ (w[1] >> 11);
    return static_cast<double>(bits & ((std::uint64_t{1} << 53) - 1)) * 0x1.0p-53;
  }

  std::uint64_t bits64(std::uint32_t index) const {
    const auto w = words(index);
    return (static_cast<std::uint64_t>(w[0]) << 32) | w[1];
  }

 private:
  r123::Philox4x32::key_type key_;
  r123::Philox4x32::ctr_type counter_;
};

}  // namespace popsim::core
