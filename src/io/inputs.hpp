// The country's input tables, read and validated as a whole: a run never starts on
// half-valid inputs. Formats are documented in inputs/korea/README.md.
#pragma once

#include <algorithm>
#include <array>
#include <map>
#include <cstdint>
#include <vector>

#include "core/population.hpp"
#include "core/regions.hpp"
#include "core/types.hpp"
#include "io/config.hpp"

namespace popsim::io {

// Persons by sex and single year of age 0..100+ for one region.
using AgeSexCounts = std::array<std::array<std::int64_t, core::kAgeClasses>, core::kSexes>;

// Persons in all cells.
std::int64_t total(const AgeSexCounts& counts);
// Persons aged core::kAdultAge or more (every household needs one).
std::int64_t adults(const AgeSexCounts& counts);

// National assumption path, one entry per calendar year from the base year on.
struct AssumptionPath {
  std::vector<int> year;
  std::vector<double> tfr;
  std::vector<double> e0_male;
  std::vector<double> e0_female;
  std::vector<double> net_international_migration;  // persons per year, nationals and foreigners
  // The nationals' part (the foreigners' net is the total minus this), persons per year.
  std::vector<double> net_international_migration_nationals;
};

// Base-year age-specific fertility (births per woman per year) and birth-order shares.
struct FertilitySchedule {
  static constexpr int kMinAge = 15;
  static constexpr int kMaxAge = 49;
  static constexpr int kAges = kMaxAge - kMinAge + 1;
  std::array<double, kAges> asfr{};
  std::array<std::array<double, 3>, kAges> order_share{};  // 1st, 2nd, 3rd+
  double tfr() const;
};

// Base-year life table by sex and single year of age 0..100+, with the age patterns of
// mortality improvement (Lee-Carter b_x and the ultimate pattern it rotates to; each sums to 1).
struct LifeTable {
  std::array<std::array<double, core::kAgeClasses>, core::kSexes> mx{};
  std::array<std::array<double, core::kAgeClasses>, core::kSexes> qx{};
  std::array<std::array<double, core::kAgeClasses>, core::kSexes> lx{};
  std::array<std::array<double, core::kAgeClasses>, core::kSexes> ex{};
  std::array<std::array<double, core::kAgeClasses>, core::kSexes> bx{};
  std::array<std::array<double, core::kAgeClasses>, core::kSexes> bx_ultimate{};
};

// Base-year internal migration by single year of age.
struct MigrationSchedule {
  std::array<double, core::kAgeClasses> move_rate{};
  std::array<double, core::kAgeClasses> between_province_share{};
  std::array<double, core::kAgeClasses> cross_region_share{};
};

// Shares of each sex and age living with a spouse, or in a parent's household.
struct LivingArrangements {
  std::array<std::array<double, core::kAgeClasses>, core::kSexes> married_share{};
  std::array<std::array<double, core::kAgeClasses>, core::kSexes> with_parent_share{};
};

// Yearly marriage probability of unmarried persons and divorce probability of married persons,
// by sex and age at the start of the year.
struct UnionRates {
  std::array<std::array<double, core::kAgeClasses>, core::kSexes> marriage{};
  std::array<std::array<double, core::kAgeClasses>, core::kSexes> divorce{};
};

// Living alone: the share of persons living in a one-person household (a registered 1인 세대)
// at the end of the base year (living_alone_national.csv, living_alone.csv; inputs/korea/README.md).
struct LivingAlone {
  // 10-year age groups of the regional table: 0-9, ..., 90-99, 100+.
  static constexpr int kGroups = 11;
  static int group(int age) { return std::min(age / 10, kGroups - 1); }
  // The nation's share by sex and single age 0..100+, and the yearly change of its logit observed
  // over the years before the base year.
  std::array<std::array<double, core::kAgeClasses>, core::kSexes> share{};
  std::array<std::array<double, core::kAgeClasses>, core::kSexes> trend_logit{};
  // Each region's share by sex and 10-year group (by region index), and the nation's.
  std::vector<std::array<std::array<double, kGroups>, core::kSexes>> region_share;
  std::array<std::array<double, kGroups>, core::kSexes> national_group_share{};
};

// The share of each nationality's net international migration of the year at each sex and age
// (at the end of the year); each nationality's shares sum to 1. A share may be negative where
// the age group's net has the opposite sign of the total (nationals: a net outflow of the young,
// a net return of the over-50s).
struct MigrationProfile {
  std::array<std::array<std::array<double, core::kAgeClasses>, core::kSexes>, core::kNationalities> share{};
};

// The internal-migration destination-choice model (inputs/calibrate_migration.py): a person or
// household of age group g leaves its region with probability move_rate x cross-region share x
// cross_region_scale[g] and goes to region j with probability proportional to
// exp(log_population[g] ln P_j + log_distance[g] ln d_ij + same_province[g] 1[same province]
//     + capital_region[g] 1[j in the capital region]).
struct DestinationModel {
  static constexpr int kGroups = 5;  // ages 0-19, 20-29, 30-39, 40-59, 60+
  static int group(int age) { return age < 20 ? 0 : age < 30 ? 1 : age < 40 ? 2 : age < 60 ? 3 : 4; }
  std::array<double, kGroups> log_population{};
  std::array<double, kGroups> log_distance{};
  std::array<double, kGroups> same_province{};
  std::array<double, kGroups> capital_region{};
  std::array<double, kGroups> cross_region_scale{};
  // Destination constants of single provinces by age group: the pull that population, distance
  // and the capital-region term leave unexplained (Seoul's draw on people in their 20s and its
  // outflow of families to the suburbs). Provinces without one have 0.
  std::map<int, std::array<double, kGroups>> province_constant;
  // Destination constants of single regions by age group (migration_region_constants.csv), by
  // region index: what the registers' 2023 net migration of each si/gun/gu needs beyond the
  // province terms (local housing supply, universities, new towns). They fade over the
  // projection ([model] region_constant_half_life_years).
  std::vector<std::array<double, kGroups>> region_constant;
};

// Registered households by size 1..6, 7+, per province (households_by_size.csv).
using HouseholdSizes = std::array<std::int64_t, core::kHouseholdSizes>;

struct CountryInputs {
  core::RegionTable regions;
  std::vector<AgeSexCounts> population;          // nationals, by region index
  std::vector<AgeSexCounts> population_foreign;  // foreign residents, by region index
  std::vector<std::int64_t> households;          // nationals' households, by region index
  std::vector<std::int64_t> foreign_households;  // foreign residents' households, by region index
  AssumptionPath assumptions;
  FertilitySchedule fertility;
  std::vector<double> tfr_region;  // base-year total fertility rate of each region
  LifeTable mortality;
  std::vector<std::array<double, core::kSexes>> mortality_multiplier;  // by region index
  MigrationSchedule migration;
  LivingArrangements living;
  UnionRates unions;
  LivingAlone living_alone;
  std::vector<HouseholdSizes> household_sizes;  // by province index (regions.provinces() order)
  MigrationProfile international_migration;
  DestinationModel destinations;

  // Residents of every nationality.
  std::int64_t totalPopulation() const;
  std::int64_t regionPopulation(core::RegionIndex r) const;
  // The counts of one nationality.
  const std::vector<AgeSexCounts>& populationOf(core::Nationality n) const {
    return n == core::Nationality::National ? population : population_foreign;
  }
};

// The smallest sampling fraction these inputs support: every region expects at least a few
// adults, so that every minor can live with one (loadInputs refuses a smaller scale).
double smallestScale(const CountryInputs& inputs);

// Reads every table named by the configuration and checks each one and their consistency
// (codes known and unique, bins that sum, totals that agree, rates in range, years complete).
// Throws core::InputError at the first problem.
CountryInputs loadInputs(const Config& config);

}  // namespace popsim::io
