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
  // Married, but registered in a household apart from the spouse (a split family: work, schooling,
  // housing): no partner link, and out of the marriage market.
  kFlagMarriedApart = 1u << 3,
};
inline constexpr std::uint8_t kKnownFlags = kFlagLivesWithMother | kFlagLivesWithChild | kFlagForeign | kFlagMarriedApart;

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

// Every person attribute, declared once: name, type, units, description. Everything else is
// generated from this list: the columns of Persons, the PersonRecord that travels between ranks
// (and its serialisation), the memory count, the yearly rebuild, and the checkpoint's /persons
// datasets (write, length checks, read). Adding an attribute is one line here.
// Age is derived: age at the end of year t is t - birth_year.
#define POPSIM_PERSON_FIELDS(X)                                                                      \
  X(id, PersonId, "", "person id, unique, never reused")                                            \
  X(partner, PersonId, "", "spouse's id, 0 if none")                                                 \
  X(mother, PersonId, "", "mother's id where known (co-resident at synthesis), 0 if unknown")       \
  X(household, HouseholdId, "", "household id")                                                      \
  X(birth_year, Year, "year", "year of birth; age at the end of year t is t - birth_year")          \
  X(region, RegionIndex, "", "index into /regions of the region of residence")                      \
  X(sex, Sex, "", "0 male, 1 female")                                                                \
  X(parity, std::uint8_t, "children", "children born to her (linked children at synthesis)")       \
  X(flags, std::uint8_t, "", "bit 0 lives with mother, bit 1 elderly parent living with a relative, bit 2 foreign resident, bit 3 married living apart")

// The persons as structure-of-arrays, one column per attribute. Persons of a region are
// contiguous and, within a region, members of a household are contiguous.
struct Persons {
#define POPSIM_COLUMN(name, type, units, description) std::vector<type> name;
  POPSIM_PERSON_FIELDS(POPSIM_COLUMN)
#undef POPSIM_COLUMN

  std::size_t size() const { return id.size(); }
  void resize(std::size_t n);
  void reserve(std::size_t n);
  static constexpr std::size_t bytesPerPerson() {
#define POPSIM_SIZE(name, type, units, description) +sizeof(type)
    return 0 POPSIM_PERSON_FIELDS(POPSIM_SIZE);
#undef POPSIM_SIZE
  }
  std::size_t capacityBytes() const;
};

// One person as a value: what travels between ranks (a migrant household's members, or the
// persons of a region that moves to another rank). Serialisable by any archive with operator&.
struct PersonRecord {
#define POPSIM_MEMBER(name, type, units, description) type name{};
  POPSIM_PERSON_FIELDS(POPSIM_MEMBER)
#undef POPSIM_MEMBER

  template <typename Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
#define POPSIM_SERIALIZE(name, type, units, description) archive & name;
    POPSIM_PERSON_FIELDS(POPSIM_SERIALIZE)
#undef POPSIM_SERIALIZE
  }
  bool operator==(const PersonRecord&) const = default;
};

// One attribute as a value: its name, units and description, its column in Persons and its
// member in PersonRecord.
template <typename T>
struct PersonField {
  using Type = T;
  const char* name;
  const char* units;
  const char* description;
  std::vector<T> Persons::*column;
  T PersonRecord::*member;
};

// Calls f(PersonField<T>{...}) for every attribute, in declaration order.
template <typename F>
constexpr void forEachPersonField(F&& f) {
#define POPSIM_VISIT(name, type, units, description) \
  f(PersonField<type>{#name, units, description, &Persons::name, &PersonRecord::name});
  POPSIM_PERSON_FIELDS(POPSIM_VISIT)
#undef POPSIM_VISIT
}

inline PersonRecord recordOf(const Persons& p, std::size_t i) {
  PersonRecord r;
  forEachPersonField([&](const auto& f) { r.*f.member = (p.*f.column)[i]; });
  return r;
}

inline void append(Persons& p, const PersonRecord& r) {
  forEachPersonField([&](const auto& f) { (p.*f.column).push_back(r.*f.member); });
}

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

// The reference person of the household whose members are [first, end) in household order: its
// first member aged kAdultAge or more, else its first member. `age(i)` is member i's age in
// completed years at the end of a year (the start of the next). The one rule for the member who
// decides the household's internal migration and heads it in the results
// (/households/by_head_age).
template <typename AgeOf>
std::size_t referencePerson(std::size_t first, std::size_t end, AgeOf age) {
  for (auto i = first; i < end; ++i)
    if (age(i) >= kAdultAge) return i;
  return first;
}

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
