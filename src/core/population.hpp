// The agents: persons and households as structure-of-arrays, grouped by region.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/types.hpp"

namespace popsim::core {

// Person flag bits.
enum PersonFlag : std::uint8_t {
  kFlagNone = 0,
  // The person's mother is known to live in the same household (a co-resident child).
  kFlagLivesWithMother = 1u << 0,
  // An elderly parent who lives in the household of a younger relative.
  kFlagLivesWithChild = 1u << 1,
  // A foreign resident (not a national): the nationality is a flag bit, so it costs no memory
  // and travels wherever the flags do (exchange, rebuild, checkpoints).
  kFlagForeign = 1u << 2,
};

// Nationality: nationals are counted by resident registration; foreign residents are not.
enum class Nationality : std::uint8_t { National = 0, Foreign = 1 };
inline constexpr int kNationalities = 2;

inline Nationality nationalityOf(std::uint8_t flags) {
  return (flags & kFlagForeign) ? Nationality::Foreign : Nationality::National;
}
inline std::uint8_t withNationality(std::uint8_t flags, Nationality n) {
  return n == Nationality::Foreign ? static_cast<std::uint8_t>(flags | kFlagForeign)
                                   : static_cast<std::uint8_t>(flags & ~kFlagForeign);
}

// Hot per-person fields, 35 bytes a person. Age is derived: age at the end of year t is
// t - birth_year. Persons of a region are contiguous and, within a region, members of a
// household are contiguous.
struct Persons {
  std::vector<PersonId> id;
  std::vector<PersonId> partner;  // spouse, kNoPerson if none
  std::vector<PersonId> mother;   // kNoPerson if unknown
  std::vector<HouseholdId> household;
  std::vector<Year> birth_year;
  std::vector<RegionIndex> region;
  std::vector<Sex> sex;
  std::vector<std::uint8_t> parity;  // live births (children linked to her so far)
  std::vector<std::uint8_t> flags;

  std::size_t size() const { return id.size(); }
  void resize(std::size_t n);
  void reserve(std::size_t n);
  static constexpr std::size_t bytesPerPerson() {
    return sizeof(PersonId) * 3 + sizeof(HouseholdId) + sizeof(Year) + sizeof(RegionIndex) +
           sizeof(Sex) + 2 * sizeof(std::uint8_t);
  }
};

// Households: id and region; members are the persons whose household field holds the id.
struct Households {
  std::vector<HouseholdId> id;
  std::vector<RegionIndex> region;

  std::size_t size() const { return id.size(); }
  void resize(std::size_t n);
  static constexpr std::size_t bytesPerHousehold() {
    return sizeof(HouseholdId) + sizeof(RegionIndex);
  }
};

// The state of one rank: the persons and households of the regions it owns, ordered by region
// index, plus the id counters that make new ids globally unique.
struct Population {
  Persons persons;
  Households households;
  // Offsets into persons/households of each owned region, in `regions` order (size n+1).
  std::vector<RegionIndex> regions;
  std::vector<std::size_t> person_offset;
  std::vector<std::size_t> household_offset;
  Year year = 0;
  PersonId next_person_id = 1;
  HouseholdId next_household_id = 1;

  std::size_t memoryBytes() const;
};

}  // namespace popsim::core
