// What the kernels read and write: one region's persons for one simulated year. Kernels are
// pure functions over this state (no MPI, no files); every draw is a core::Stream keyed by
// (seed, person id, year, event), so results do not depend on threads or ranks.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/population.hpp"
#include "core/random.hpp"
#include "core/types.hpp"

namespace popsim::kernels {

inline constexpr int kFertileMin = 15;
inline constexpr int kFertileMax = 49;
inline constexpr int kFertileAges = kFertileMax - kFertileMin + 1;
inline constexpr int kParityGroups = 3;  // 0, 1, 2+ children: births of order 1, 2, 3+
inline constexpr int kAdultAge = core::kAdultAge;

// Household ids created this year are region-local until the year's end: the top bit marks
// them, the rest numbers them from 0 in the order the region created them.
inline constexpr core::HouseholdId kNewHousehold = 0x80000000u;
inline bool isNewHousehold(core::HouseholdId h) { return (h & kNewHousehold) != 0; }

enum class Removal : std::uint8_t { Stays = 0, Died = 1, Emigrated = 2 };

// The person-year draw: one counter-based draw per person and year (core::Event::PersonYear),
// four independent 32-bit uniforms, one per decision that most persons face. Decisions that few
// persons face keep streams of their own.
enum class Draw : std::uint8_t { Death = 0, Birth = 1, Divorce = 2, MarriageEntry = 3 };

struct Newborn {
  std::uint32_t mother = 0;  // index of the mother in the region slice
  core::Sex sex = core::Sex::Male;
  core::Nationality nationality = core::Nationality::National;
};

struct Immigrant {
  core::Sex sex = core::Sex::Male;
  std::int16_t age = 0;  // at the end of the year
  core::HouseholdId household = 0;  // a new household of the region
  core::Nationality nationality = core::Nationality::National;
};

// Persons by nationality, sex and age: international migrant quotas.
using ByNationalitySexAge =
    std::array<std::array<std::array<std::int64_t, core::kAgeClasses>, core::kSexes>, core::kNationalities>;

// One region's persons during one year. Persons are persons[begin, end), ordered by household
// at the start of the year. Per-person scratch is indexed from 0 (= begin).
struct RegionYear {
  core::Persons* persons = nullptr;
  std::size_t begin = 0;
  std::size_t end = 0;
  core::RegionIndex region = 0;
  std::int64_t region_code = 0;  // keys region-level random streams
  int year = 0;  // the simulated year; ages at its start are year - 1 - birth_year
  std::uint64_t seed = 0;

  // Start-of-year structure, computed by index().
  std::vector<std::uint32_t> household_start;  // first local index of each household; size households+1
  std::vector<core::HouseholdId> household_id; // each household's id at the start of the year
  std::vector<std::uint32_t> household_of;     // local index -> position in household_start
  std::vector<std::int32_t> partner;           // local index of the partner, -1 if none
  std::vector<std::array<std::uint32_t, 4>> draws;  // the person-year draw of each person

  // The year's changes.
  std::vector<Removal> removed;
  std::vector<std::uint8_t> moved;  // 1 if the person's household changed this year
  std::vector<Newborn> newborns;
  std::vector<Immigrant> immigrants;
  std::uint32_t new_households = 0;

  // Events, by the age used for the rate (completed years at the start of the year).
  std::array<std::array<std::int64_t, core::kAgeClasses>, core::kSexes> deaths{};
  std::array<std::int64_t, kFertileAges> births{};
  std::array<std::array<std::int64_t, core::kAgeClasses>, core::kSexes> emigrants{};
  // The same events of nationals only (the registered population's accounts).
  std::int64_t national_deaths = 0;
  std::int64_t national_births = 0;  // newborns who are nationals
  std::array<std::int64_t, kFertileAges> births_to_nationals{};  // by the national mother's age
  std::int64_t national_emigrants = 0;
  std::int64_t naturalisations = 0;
  std::int64_t marriages = 0;
  std::int64_t divorces = 0;
  std::int64_t left_home = 0;
  std::int64_t elderly_moved = 0;
  std::int64_t returned_home = 0;
  std::int64_t orphans_placed = 0;

  std::size_t size() const { return end - begin; }
  core::Persons& p() { return *persons; }
  const core::Persons& p() const { return *persons; }
  std::size_t at(std::size_t local) const { return begin + local; }
  int ageAtStart(std::size_t local) const { return year - 1 - persons->birth_year[begin + local]; }
  bool alive(std::size_t local) const { return removed[local] == Removal::Stays; }
  core::Nationality nationality(std::size_t local) const { return core::nationalityOf(persons->flags[begin + local]); }
  core::Stream stream(std::size_t local, core::Event e) const {
    return core::Stream(seed, persons->id[begin + local], year, e);
  }
  // Uniform in [0, 1) with 32 random bits: the person's person-year draw for decision d.
  double uniform(std::size_t local, Draw d) const { return draws[local][static_cast<std::size_t>(d)] * 0x1.0p-32; }
  core::HouseholdId newHousehold() { return kNewHousehold | new_households++; }
  core::HouseholdId startHousehold(std::size_t local) const { return household_id[household_of[local]]; }
  void moveTo(std::size_t local, core::HouseholdId h) {
    persons->household[begin + local] = h;
    moved[local] = 1;
  }

  // Resets the year's changes, computes the start-of-year household ranges and partners, and
  // draws every person's person-year draw.
  void index();
  // Hands the start-of-year structure back to the calling thread's pool once the kernels are
  // done (keeps removed and moved); call it on the thread that called index().
  void releaseIndex();
};

}  // namespace popsim::kernels
