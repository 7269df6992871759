// The yearly kernels, in the order the year step calls them. Each works on one region; the
// rates they take are national coefficients already normalised for the year (model/rates).
#pragma once

#include <array>
#include <cstdint>

#include "kernels/region_year.hpp"

namespace popsim::kernels {

using BySexAge = std::array<std::array<double, core::kAgeClasses>, core::kSexes>;

// 1. Deaths: person i dies with probability min(1, coefficient[sex][age] x multiplier[sex]).
// Partner links stay until unions() so that fertility sees the union status of the year's start.
void mortality(RegionYear& r, const BySexAge& coefficient, const std::array<double, core::kSexes>& multiplier);

// Fertility coefficients by age (15..49), parity group (0, 1, 2+) and union status
// (0 unmarried, 1 married); a woman's probability is coefficient x region multiplier.
using FertilityCoefficients = std::array<std::array<std::array<double, 2>, kParityGroups>, kFertileAges>;

// 2. Births: every surviving woman aged 15-49 gives birth with her probability; the newborn
// joins her household at the end of the year. Her parity goes up by one. The child is a
// national if the mother or her partner (at the start of the year) is one, foreign otherwise
// (descent, as in Korean nationality law). A foreign woman's probability is multiplied by
// `foreign_ratio`.
void fertility(RegionYear& r, const FertilityCoefficients& coefficient, double multiplier, double foreign_ratio,
               double sex_ratio_at_birth);

// 3. Unions: widowhood (partners of the dead are unlinked), divorces (by the wife's age), then a
// marriage market: unmarried adults enter it
// with their age-sex probability; women and men are each sorted by (age, id) and paired by
// rank (quantile matching when their numbers differ). A new couple sets up a new household
// with the bride's co-resident minor children; a divorced husband moves to a new household.
void unions(RegionYear& r, const BySexAge& marriage, const BySexAge& divorce);

// 4. Household transitions, aligned to the living-alone shares of the year: `alone_share` is the
// share of nationals of each sex and age (at the end of the year) expected to live alone. In each
// sex and 5-year age group the gap between the expected and the present number living alone
// (after the year's deaths, births and unions) closes in expectation: where too few live alone,
// unpartnered adults who live with others (not mothers of co-resident minors, not a household's
// last adult) leave to live alone; where too many do (only under 35 and from 75: in between a
// cohort keeps its level), persons living alone move in with others:
// under 60 with their linked mother or a person of their parents' generation, from 60 with a
// linked adult child or a couple of their children's generation.
void householdTransitions(RegionYear& r, const BySexAge& alone_share);

// 5. International emigration: remove quota[nationality][sex][age] persons of that nationality,
// sex and age at the end of the year, a simple random sample of the cell's residents drawn with
// the region's stream (all of them if the quota is larger); immigration:
// `immigrants[nationality][sex][age]` new persons; children with an adult immigrant of their
// nationality (a woman 20-49 if there is one, else any adult immigrant) or, if none arrives in the
// region, with a resident woman aged 25-60. A foreign adult immigrant starts a household of their
// own with probability `foreign_own_household_share` and otherwise joins a foreign resident's
// household of the region; national adult immigrants start their own.
void internationalMigration(RegionYear& r, const ByNationalitySexAge& emigrants, const ByNationalitySexAge& immigrants,
                            double foreign_own_household_share);

// 6. Naturalisation: every surviving foreign resident becomes a national with probability
// `rate` (kernels/naturalisation.cpp).
void naturalisation(RegionYear& r, double rate);

// 7. Clean-up: children whose mother died or emigrated no longer live with her; minors left in
// a household without an adult (their parents died or left) move
// to their grandmother's household if she lives in the region, otherwise to the household of an
// adult woman of the region chosen at random (kin or foster care). Partners of emigrants and
// of the dead are unlinked.
void placeOrphans(RegionYear& r);

}  // namespace popsim::kernels
