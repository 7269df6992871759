// Identifiers and small value types shared by every module.
#pragma once

#include <cstdint>

namespace popsim::core {

// Persons get 32-bit ids, globally unique and never reused; 0 means "nobody". 53 million at the
// start and well under a million new ones a year (births and immigrants) leave four billion out
// of reach for any projection horizon; the id counter is checked every year (kMaxPersonId).
using PersonId = std::uint32_t;
// Households get 32-bit ids (0 means "none"): 24 million at the start and well under a million
// new ones a year leave four billion out of reach for any projection horizon.
using HouseholdId = std::uint32_t;
// Index of a region in the region table (not its administrative code).
using RegionIndex = std::uint16_t;
using Year = std::int16_t;

inline constexpr PersonId kNoPerson = 0;
// The last id that may be issued (the counter next_person_id may reach kMaxPersonId + 1).
inline constexpr std::uint64_t kMaxPersonId = 0xFFFFFFFEull;
inline constexpr HouseholdId kNoHousehold = 0;

enum class Sex : std::uint8_t { Male = 0, Female = 1 };
inline constexpr int kSexes = 2;

// Single years of age 0..99 and an open interval 100+ (index 100).
inline constexpr int kOpenAge = 100;
inline constexpr int kAgeClasses = kOpenAge + 1;

inline constexpr int ageClass(int age) { return age < kOpenAge ? age : kOpenAge; }

// Household size classes 1..6 and 7+ (index 0..6): the results' /households/size and the
// register's households by size.
inline constexpr int kHouseholdSizes = 7;

// The age of majority: every household has a member this old; marriage starts here.
inline constexpr int kAdultAge = 18;

}  // namespace popsim::core
