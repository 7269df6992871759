#include "model/projection.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <type_traits>

#include "core/random.hpp"
#include "kernels/demography.hpp"
#include "kernels/internal_migration.hpp"
#include "core/person_record.hpp"
#include "parallel/exchange.hpp"
#include "parallel/decomposition.hpp"
#include "parallel/region_rows.hpp"

namespace popsim::model {
namespace {

using core::kAgeClasses;
using core::kSexes;
using kernels::kFertileAges;
using kernels::kFertileMin;
using kernels::kParityGroups;

constexpr std::uint32_t kNewAgent = 0x80000000u;
constexpr std::uint32_t kArrival = 0x40000000u;  // a person arriving by internal migration
// The highest yearly birth probability of any woman (before the regional multiplier's share).
constexpr double kMaxBirthProbability = 0.6;

class Stopwatch {
 public:
  double lap() {
    const auto now = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return s;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

std::int64_t roundUnbiased(double x, double u) {
  const double f = std::floor(x);
  return static_cast<std::int64_t>(f) + (u < x - f ? 1 : 0);
}

// Regions in descending order of persons, for the dynamic schedule.
std::vector<std::size_t> bySizeDescending(const core::Population& pop) {
  std::vector<std::size_t> order(pop.regions.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return pop.person_offset[a + 1] - pop.person_offset[a] > pop.person_offset[b + 1] - pop.person_offset[b];
  });
  return order;
}

// The region's year-end order (plan.source): survivors who stayed in their household, in the
// start-of-year order, with the persons who joined a household (survivors who moved, kept
// newborns, immigrants) after its stayers; households are in id order, so the ones created this
// year (the highest ids) come last. Household ids are final here (prepareNewAgents).
void planRegion(const kernels::RegionYear& r, const std::vector<core::PersonRecord>& newcomers, Projection::Plan& plan) {
  const auto& p = r.p();
  plan.source.clear();
  using Keyed = std::pair<core::HouseholdId, std::uint32_t>;
  thread_local std::vector<Keyed> joiners;  // capacity kept between regions and years
  joiners.clear();
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (!r.alive(i)) continue;
    if (r.moved[i]) joiners.emplace_back(p.household[r.at(i)], static_cast<std::uint32_t>(i));
    else plan.source.push_back(static_cast<std::uint32_t>(i));
  }
  const std::size_t stayers = plan.source.size();
  for (std::size_t j = 0; j < r.newborns.size(); ++j)
    if (plan.newborn_rank[j] != kNewAgent) joiners.emplace_back(newcomers[j].household, kNewAgent | static_cast<std::uint32_t>(j));
  for (std::size_t j = r.newborns.size(); j < newcomers.size(); ++j)
    joiners.emplace_back(newcomers[j].household, kNewAgent | static_cast<std::uint32_t>(j));
  std::sort(joiners.begin(), joiners.end());

  // Joiners go after the stayers of their household (merge by household id).
  thread_local std::vector<std::uint32_t> merged;
  merged.clear();
  merged.reserve(stayers + joiners.size());
  std::size_t j = 0;
  for (std::size_t k = 0; k < stayers; ++k) {
    const auto h = p.household[r.at(plan.source[k])];
    while (j < joiners.size() && joiners[j].first < h) merged.push_back(joiners[j++].second);
    merged.push_back(plan.source[k]);
  }
  while (j < joiners.size()) merged.push_back(joiners[j++].second);
  // Copied, not swapped: each plan keeps a capacity fit for its own region (swapping would pass
  // the largest regions' buffers around and let every plan's capacity creep up over the years).
  plan.source.assign(merged.begin(), merged.end());
}

}  // namespace


Projection::Projection(const io::Config& config, const io::CountryInputs& inputs, core::Population population,
                       std::vector<int> owner, MPI_Comm comm)
    : config_(config),
      inputs_(inputs),
      population_(std::move(population)),
      owner_(std::move(owner)),
      comm_(comm),
      regions_(inputs.regions.size()),
      living_alone_(inputs.living_alone, config.households),
      destinations_(inputs),
      policy_(config.scenario, inputs.regions) {
  marriage_ = inputs.unions.marriage;
  divorce_ = inputs.unions.divorce;
  // Foreign households per foreign adult in the base year: adult immigrants start households at
  // this rate, so that foreign households keep their number per foreign resident.
  std::int64_t foreign_households = 0, foreign_adults = 0;
  for (std::size_t r = 0; r < inputs.regions.size(); ++r) {
    foreign_households += inputs.foreign_households[r];
    foreign_adults += io::adults(inputs.population_foreign[r]);
  }
  if (foreign_adults > 0)
    foreign_own_household_share_ = std::min(1.0, static_cast<double>(foreign_households) / static_cast<double>(foreign_adults));
  reserveColumns();
  order_ = bySizeDescending(population_);
  account(false);
}

// Every column, and the rebuild's spare column, gets its capacity with some slack once, here and
// after a redistribution, so that the years allocate (and fault in fresh pages) only when the
// population outgrows it.
void Projection::reserveColumns() {
  auto& p = population_.persons;
  const std::size_t n = p.size();
  core::forEachPersonField([&](const auto& f) { (p.*f.column).reserve(n + n / 50); });
  spare_.reserve(n + n / 50);
  spare_.resize(n);
}

// The start-of-year census of every region (the same on every rank): row r holds region r's
// persons by sex and age, its national women 15-49 by age, parity group and union status, and its
// nationals by sex and age.
struct CensusRows {
  static constexpr std::size_t kStartWidth = kSexes * kAgeClasses;
  static constexpr std::size_t kWomenWidth = kFertileAges * kParityGroups * 2;
  static constexpr std::size_t kWidth = 2 * kStartWidth + kWomenWidth;
  std::vector<std::int64_t> rows;

  double start(std::size_t r, int s, int a) const { return at(r, static_cast<std::size_t>(s * kAgeClasses + a)); }
  double women(std::size_t r, int a, int g, int m) const {
    return at(r, kStartWidth + static_cast<std::size_t>((a * kParityGroups + g) * 2 + m));
  }
  double national(std::size_t r, int s, int a) const {
    return at(r, kStartWidth + kWomenWidth + static_cast<std::size_t>(s * kAgeClasses + a));
  }

 private:
  double at(std::size_t r, std::size_t column) const { return static_cast<double>(rows[r * kWidth + column]); }
};

namespace {

// National births expected this year by age and parity group, and the women they are spread over
// (weighted by their region's fertility multiplier) by age, parity group and union status.
struct FertilityDemand {
  std::array<std::array<std::array<double, 2>, kParityGroups>, kFertileAges> women{};
  std::array<std::array<double, kParityGroups>, kFertileAges> births{};
  double total = 0.0;
};

FertilityDemand fertilityDemand(const YearRates& rates, const io::FertilitySchedule& schedule, const CensusRows& census,
                                const std::vector<double>& multiplier) {
  FertilityDemand d;
  std::array<double, kFertileAges> women{};
  for (std::size_t r = 0; r < multiplier.size(); ++r)
    for (int a = 0; a < kFertileAges; ++a)
      for (int g = 0; g < kParityGroups; ++g)
        for (int m = 0; m < 2; ++m) {
          const double n = census.women(r, a, g, m);
          d.women[a][g][m] += n * multiplier[r];
          women[a] += n;
        }
  for (int a = 0; a < kFertileAges; ++a) {
    for (int g = 0; g < kParityGroups; ++g) d.total += d.births[a][g] = rates.asfr[a] * women[a] * schedule.order_share[a][g];
    // Births of an order whose parity group has no women of this age go to the largest group,
    // so that expected births still follow the TFR path.
    const auto& w = d.women[a];
    int largest = 0;
    for (int g = 1; g < kParityGroups; ++g)
      if (w[g][0] + w[g][1] > w[largest][0] + w[largest][1]) largest = g;
    for (int g = 0; g < kParityGroups; ++g)
      if (g != largest && w[g][0] + w[g][1] == 0.0) {
        d.births[a][largest] += d.births[a][g];
        d.births[a][g] = 0.0;
      }
  }
  return d;
}

// The weight of married relative to unmarried women that gives `share` of births to married
// women (bisection on its logarithm).
double maritalWeightFor(const FertilityDemand& d, double share) {
  auto marital_share = [&](double w) {
    double marital = 0.0;
    for (int a = 0; a < kFertileAges; ++a)
      for (int g = 0; g < kParityGroups; ++g) {
        const double den = w * d.women[a][g][1] + d.women[a][g][0];
        if (den > 0.0) marital += d.births[a][g] * w * d.women[a][g][1] / den;
      }
    return d.total > 0.0 ? marital / d.total : 0.0;
  };
  double lo = -20.0, hi = 20.0;
  for (int it = 0; it < 200; ++it) {
    const double mid = 0.5 * (lo + hi);
    (marital_share(std::exp(mid)) < share ? lo : hi) = mid;
  }
  return std::exp(0.5 * (lo + hi));
}

// Per age, the births are spread over the six (parity group, union status) groups in proportion
// to their women and the marital weight, but no woman's yearly probability may exceed `cap`:
// where a group is too small for its share (few married childless women when marriage lags
// behind a rising TFR), its excess goes to the other groups (water-filling), so that the
// expected births still follow the TFR path.
kernels::FertilityCoefficients spreadBirths(const FertilityDemand& d, double marital_weight, double cap) {
  kernels::FertilityCoefficients coefficient{};
  for (int a = 0; a < kFertileAges; ++a) {
    const auto& den = d.women[a];
    std::array<std::array<double, 2>, kParityGroups> intensity{};
    double target = 0.0;
    for (int g = 0; g < kParityGroups; ++g) {
      target += d.births[a][g];
      const double weighted = marital_weight * den[g][1] + den[g][0];
      for (int m = 0; m < 2; ++m) intensity[g][m] = weighted > 0.0 ? d.births[a][g] * (m ? marital_weight : 1.0) / weighted : 0.0;
    }
    auto expected = [&](double scale) {
      double e = 0.0;
      for (int g = 0; g < kParityGroups; ++g)
        for (int m = 0; m < 2; ++m) e += std::min(scale * intensity[g][m], cap) * den[g][m];
      return e;
    };
    // expected(1) == target when no cap binds; otherwise find the scale (>= 1) that restores it.
    double scale = 1.0;
    if (expected(1.0) < target * (1.0 - 1e-12)) {
      double lo = 1.0, hi = 2.0;
      while (expected(hi) < target && hi < 1e12) hi *= 2.0;
      for (int it = 0; it < 100; ++it) {
        const double mid = 0.5 * (lo + hi);
        (expected(mid) < target ? lo : hi) = mid;
      }
      scale = hi;
    }
    for (int g = 0; g < kParityGroups; ++g)
      for (int m = 0; m < 2; ++m) coefficient[a][g][m] = std::min(scale * intensity[g][m], cap);
  }
  return coefficient;
}

}  // namespace

void Projection::computeCoefficients(const YearRates& rates, const std::vector<Census>& census) {
  std::vector<std::int64_t> local;
  for (const auto& c : census) {
    for (const auto& s : c.start) local.insert(local.end(), s.begin(), s.end());
    for (const auto& a : c.women)
      for (const auto& g : a) local.insert(local.end(), g.begin(), g.end());
    for (const auto& s : c.start_national) local.insert(local.end(), s.begin(), s.end());
  }
  const CensusRows all{parallel::allRegionRows(population_.regions, local, regions_, CensusRows::kWidth, comm_)};
  selectInterventions(rates.year, all);

  // Mortality: national expected deaths q x N by sex and age, spread by regional multipliers.
  for (int s = 0; s < kSexes; ++s)
    for (int a = 0; a < kAgeClasses; ++a) {
      double persons = 0.0;
      double weighted = 0.0;
      for (std::size_t r = 0; r < regions_; ++r) {
        persons += all.start(r, s, a);
        weighted += all.start(r, s, a) * inputs_.mortality_multiplier[r][s];
      }
      const double q = rates.death_probability[s][a];
      death_coefficient_[s][a] = weighted > 0.0 ? q * persons / weighted : q;
    }

  // Fertility: national expected births asfr x women by age, split by birth order over the
  // parity groups and spread by regional (the region's TFR, converging) and union-status weights.
  fertility_multiplier_.assign(regions_, 1.0);
  const double convergence =
      std::exp2(-static_cast<double>(rates.year - config_.start_year) / config_.model.regional_fertility_half_life_years);
  for (std::size_t r = 0; r < regions_; ++r)
    fertility_multiplier_[r] = std::pow(inputs_.tfr_region[r] / inputs_.fertility.tfr(), convergence);
  const auto demand = fertilityDemand(rates, inputs_.fertility, all, fertility_multiplier_);
  marital_weight_ = maritalWeightFor(demand, config_.model.marital_birth_share);
  const double max_multiplier = *std::max_element(fertility_multiplier_.begin(), fertility_multiplier_.end());
  const double cap = kMaxBirthProbability / (max_multiplier * std::max(1.0, config_.model.foreign_fertility_ratio));
  fertility_coefficient_ = spreadBirths(demand, marital_weight_, cap);

  alone_national_ = living_alone_.national(rates.year - config_.start_year);
}

void Projection::selectInterventions(int year, const CensusRows& all) {
  // The scenario's interventions this year, selected on the extinction index at the start of it
  // (KEIS's index counts the registered population: nationals).
  std::vector<double> extinction(regions_, 0.0);
  for (std::size_t r = 0; r < regions_; ++r) {
    double women = 0.0, old = 0.0;
    for (int a = 20; a <= 39; ++a) women += all.national(r, 1, a);
    for (int s = 0; s < kSexes; ++s)
      for (int a = 65; a < kAgeClasses; ++a) old += all.national(r, s, a);
    extinction[r] = extinctionIndex(women, old);
  }
  policy_.update(year, extinction);
  // Destinations draw movers in proportion to the residents of their age group: this year's, or
  // the base year's residents, nationals and foreign residents (scale does not matter: the logit
  // depends on size ratios only).
  std::vector<Destinations::ByGroup> population(regions_, Destinations::ByGroup{});
  for (std::size_t r = 0; r < regions_; ++r)
    for (int s = 0; s < kSexes; ++s)
      for (int a = 0; a < kAgeClasses; ++a) {
        auto& group = population[r][static_cast<std::size_t>(io::DestinationModel::group(a))];
        if (config_.model.destination_sizes_current) {
          group += all.start(r, s, a);
          continue;
        }
        for (const auto n : {core::Nationality::National, core::Nationality::Foreign})
          group += static_cast<double>(inputs_.populationOf(n)[r][static_cast<std::size_t>(s)][static_cast<std::size_t>(a)]);
      }
  // The regions' own destination constants fade: local housing booms do not last for decades.
  const double constant_weight =
      std::exp2(-static_cast<double>(year - config_.start_year - 1) / config_.model.region_constant_half_life_years);
  destinations_.update(population, policy_.attractiveness(), constant_weight);
}

namespace {

// Largest-remainder allocation of `total` over regions in proportion to `weight(r)`; regions
// with equal remainders are served in table order.
void largestRemainder(std::int64_t total, std::size_t regions, const std::function<std::int64_t(std::size_t)>& weight,
                      std::int64_t weight_total, std::vector<std::int64_t>& quota) {
  thread_local std::vector<std::int64_t> remainder;
  thread_local std::vector<std::size_t> by_remainder;
  remainder.resize(regions);
  by_remainder.resize(regions);
  std::int64_t given = 0;
  for (std::size_t r = 0; r < regions; ++r) {
    const std::int64_t x = total * weight(r);
    quota[r] = x / weight_total;
    remainder[r] = x % weight_total;
    given += quota[r];
  }
  std::iota(by_remainder.begin(), by_remainder.end(), 0);
  std::stable_sort(by_remainder.begin(), by_remainder.end(),
                   [&](std::size_t x, std::size_t y) { return remainder[x] > remainder[y]; });
  for (std::int64_t k = 0; k < total - given; ++k) ++quota[by_remainder[static_cast<std::size_t>(k)]];
}

}  // namespace

// The national counts of international migrants by nationality, sex and age: positive cells are
// immigrants, negative ones emigrants (a nationality's net may flow in at some ages and out at
// others). `stock` holds the residents of each cell at the end of the year.
kernels::ByNationalitySexAge Projection::nationalMigrants(const YearRates& rates,
                                                          const kernels::ByNationalitySexAge& stock) const {
  constexpr std::size_t kCells = kSexes * kAgeClasses;
  const core::Stream rounding(config_.seed, 0, rates.year, core::Event::MigrationRounding);
  kernels::ByNationalitySexAge count{};
  for (int n = 0; n < core::kNationalities; ++n)
    for (int s = 0; s < kSexes; ++s)
      for (int a = 0; a < kAgeClasses; ++a) {
        const double net = rates.net_international_migration[static_cast<std::size_t>(n)] * config_.scale *
                           inputs_.international_migration.share[n][s][a];
        const auto cell = static_cast<std::size_t>(n) * kCells + static_cast<std::size_t>(s * kAgeClasses + a);
        const std::int64_t c = roundUnbiased(std::abs(net), rounding.uniform(static_cast<std::uint32_t>(cell)));
        count[n][s][a] = net >= 0.0 ? c : -c;
      }
  // Emigrants beyond a nationality's residents of their sex and age (a large negative net at
  // small scales, or a foreign population too small for the path) leave from the other
  // nationality's residents of the cell instead, so that the path's total still holds.
  for (int s = 0; s < kSexes; ++s)
    for (int a = 0; a < kAgeClasses; ++a)
      for (int n = 0; n < core::kNationalities; ++n) {
        const int other = 1 - n;
        const std::int64_t excess = -count[n][s][a] - stock[n][s][a];
        if (excess <= 0) continue;
        count[n][s][a] = -stock[n][s][a];
        count[other][s][a] = std::max(count[other][s][a] - excess, -stock[other][s][a]);
      }
  return count;
}

void Projection::allocateMigrants(const YearRates& rates, const std::vector<Census>& census) {
  const auto& owned = population_.regions;
  constexpr std::size_t kCells = kSexes * kAgeClasses;
  constexpr std::size_t kWidth = core::kNationalities * kCells;
  std::vector<std::int64_t> local;
  for (const auto& c : census)
    for (const auto& n : c.end_age)
      for (const auto& s : n) local.insert(local.end(), s.begin(), s.end());
  const auto key = parallel::allRegionRows(owned, local, regions_, kWidth, comm_);
  kernels::ByNationalitySexAge stock{};
  for (int n = 0; n < core::kNationalities; ++n)
    for (int s = 0; s < kSexes; ++s)
      for (int a = 0; a < kAgeClasses; ++a)
        for (std::size_t r = 0; r < regions_; ++r)
          stock[n][s][a] += key[r * kWidth + static_cast<std::size_t>(n) * kCells + static_cast<std::size_t>(s * kAgeClasses + a)];
  const auto count = nationalMigrants(rates, stock);

  immigrants_.assign(owned.size(), {});
  emigrants_.assign(owned.size(), {});
  std::vector<std::int64_t> quota(regions_);
  for (int n = 0; n < core::kNationalities; ++n)
    for (int s = 0; s < kSexes; ++s)
      for (int a = 0; a < kAgeClasses; ++a) {
        const std::int64_t signed_count = count[n][s][a];
        if (signed_count == 0) continue;
        const bool arriving = signed_count > 0;
        const auto cell = static_cast<std::size_t>(n) * kCells + static_cast<std::size_t>(s * kAgeClasses + a);
        // In proportion to the region's persons of this nationality, sex and age (newcomers
        // settle where people like them live; emigrants leave from there). Nobody is aged 0 at
        // the end of the year before the births: newborn immigrants are allocated like the
        // region's youngest children (age 1 at the end of the year). Immigrants of a cell nobody
        // of their nationality holds settle like all residents of their sex and age.
        const std::size_t age_cell = arriving && a == 0 ? cell + 1 : cell;
        bool all = false;
        auto weight = [&](std::size_t r) {
          if (!all) return key[r * kWidth + age_cell];
          std::int64_t w = 0;
          for (std::size_t m = 0; m < core::kNationalities; ++m) w += key[r * kWidth + m * kCells + age_cell % kCells];
          return w;
        };
        std::int64_t weight_total = 0;
        for (std::size_t r = 0; r < regions_; ++r) weight_total += weight(r);
        if (weight_total == 0 && arriving) {
          all = true;
          for (std::size_t r = 0; r < regions_; ++r) weight_total += weight(r);
        }
        if (weight_total == 0) continue;
        largestRemainder(std::abs(signed_count), regions_, weight, weight_total, quota);
        for (std::size_t k = 0; k < owned.size(); ++k) (arriving ? immigrants_ : emigrants_)[k][n][s][a] = quota[owned[k]];
      }
}

// The events of each region's year, in the order they run (docs/model.md, "Process overview").
const std::array<Projection::RegionEvent, Projection::kRegionEventCount> Projection::kRegionEvents = {{
    {"mortality", "deaths, national_deaths",
     [](const Projection& y, kernels::RegionYear& r, std::size_t) {
       auto multiplier = y.inputs_.mortality_multiplier[r.region];
       for (auto& m : multiplier) m *= y.policy_.mortality(r.region);
       kernels::mortality(r, y.death_coefficient_, multiplier);
     }},
    {"fertility", "births, national_births, births_to_nationals",
     [](const Projection& y, kernels::RegionYear& r, std::size_t) {
       kernels::fertility(r, y.fertility_coefficient_, y.fertility_multiplier_[r.region] * y.policy_.fertility(r.region),
                          y.config_.model.foreign_fertility_ratio, y.config_.model.sex_ratio_at_birth);
     }},
    {"unions", "marriages, divorces",
     [](const Projection& y, kernels::RegionYear& r, std::size_t) { kernels::unions(r, y.marriage_, y.divorce_); }},
    {"household transitions", "left_home, returned_home, elderly_moved",
     [](const Projection& y, kernels::RegionYear& r, std::size_t) {
       kernels::householdTransitions(r, y.living_alone_.region(r.region, y.alone_national_));
     }},
    {"international migration", "emigrants, national_emigrants, immigrants",
     [](const Projection& y, kernels::RegionYear& r, std::size_t k) {
       kernels::internationalMigration(r, y.emigrants_[k], y.immigrants_[k], y.foreign_own_household_share_);
     }},
    {"naturalisation", "naturalisations",
     [](const Projection& y, kernels::RegionYear& r, std::size_t) {
       kernels::naturalisation(r, y.config_.model.naturalisation_rate);
     }},
    {"orphans", "orphans_placed", [](const Projection&, kernels::RegionYear& r, std::size_t) { kernels::placeOrphans(r); }},
}};

// The year, in order: 0. load balancing, 1. rates and normalisation, 2. the region events,
// 3. new ids, internal migration and the rebuild, 4. accounting and checks.
void Projection::step() {
  Stopwatch watch;
  seconds_ = {};
  exchange_seconds_ = 0.0;
  bytes_exchanged_ = 0;
  rebalance();
  order_ = bySizeDescending(population_);
  const double rebalance_seconds = watch.lap();
  const int year = population_.year + 1;
  const auto rates = ratesFor(inputs_, config_.model, year);
  // The census of the start of the year is the accounts of the end of the last (account(),
  // also run after regions change ranks).
  if (census_.size() != population_.regions.size())
    throw std::logic_error("the census of the year's start is missing (account() was not run on this state)");
  const auto census = std::move(census_);
  census_.clear();
  computeCoefficients(rates, census);
  allocateMigrants(rates, census);
  io::at(seconds_, io::Phase::Rates) = watch.lap();

  const auto& pop = population_;
  std::vector<std::int64_t> persons_before(pop.regions.size());
  for (std::size_t k = 0; k < pop.regions.size(); ++k)
    persons_before[k] = static_cast<std::int64_t>(pop.person_offset[k + 1] - pop.person_offset[k]);
  runRegionEvents(year);
  io::at(seconds_, io::Phase::Kernels) = watch.lap();

  rebuild();
  population_.year = static_cast<core::Year>(year);
  io::at(seconds_, io::Phase::Exchange) = rebalance_seconds + exchange_seconds_;
  io::at(seconds_, io::Phase::Rebuild) = watch.lap() - exchange_seconds_;
  account(true);
  io::at(seconds_, io::Phase::Accounting) = watch.lap();
  if (config_.model.checks) check(persons_before);
  io::at(seconds_, io::Phase::Checks) = watch.lap();
}

void Projection::runRegionEvents(int year) {
  auto& pop = population_;
  work_.resize(pop.regions.size());
#pragma omp parallel
  {
    EventSeconds local{};  // this thread's CPU seconds per event, added up once at the end
#pragma omp for schedule(dynamic, 1)
    for (std::size_t q = 0; q < order_.size(); ++q) {
      const std::size_t k = order_[q];
      auto& r = work_[k];
      r.persons = &pop.persons;
      r.begin = pop.person_offset[k];
      r.end = pop.person_offset[k + 1];
      r.region = pop.regions[k];
      r.region_code = inputs_.regions[r.region].code;
      r.year = year;
      r.seed = config_.seed;
      Stopwatch watch;
      r.index();
      local[0] += watch.lap();
      for (std::size_t e = 0; e < kRegionEvents.size(); ++e) {
        kRegionEvents[e].run(*this, r, k);
        local[e + 1] += watch.lap();
      }
      r.releaseIndex();
    }
#pragma omp critical(popsim_event_seconds)
    for (std::size_t e = 0; e < local.size(); ++e) event_seconds_[e] += local[e];
  }
}

std::vector<std::pair<std::string, double>> Projection::eventSeconds() const {
  std::vector<std::pair<std::string, double>> named{{"index and person-year draws", event_seconds_[0]}};
  for (std::size_t e = 0; e < kRegionEvents.size(); ++e) named.emplace_back(kRegionEvents[e].name, event_seconds_[e + 1]);
  named.emplace_back("internal migration", event_seconds_.back());
  return named;
}

void Projection::rebalance() {
  int ranks = 1;
  MPI_Comm_size(comm_, &ranks);
  if (ranks == 1) return;
  const auto& pop = population_;
  std::vector<std::int64_t> local;
  for (std::size_t k = 0; k < pop.regions.size(); ++k)
    local.push_back(static_cast<std::int64_t>(pop.person_offset[k + 1] - pop.person_offset[k]));
  const auto all = parallel::allRegionRows(pop.regions, local, regions_, 1, comm_);
  const std::vector<std::uint64_t> work(all.begin(), all.end());
  const auto next = parallel::rebalance(work, owner_, ranks, config_.parallel.rebalance_threshold);
  if (next != owner_) redistribute(next);
}

void Projection::redistribute(const std::vector<int>& owner) {
  auto& pop = population_;
  auto& p = pop.persons;
  int rank = 0;
  int ranks = 1;
  MPI_Comm_rank(comm_, &rank);
  MPI_Comm_size(comm_, &ranks);
  // Regions leaving this rank travel as person records, in their household order.
  std::vector<std::vector<core::PersonRecord>> outgoing(static_cast<std::size_t>(ranks));
  std::vector<std::int64_t> old_index(regions_, -1);
  for (std::size_t k = 0; k < pop.regions.size(); ++k) {
    const auto r = pop.regions[k];
    old_index[r] = static_cast<std::int64_t>(k);
    if (owner[r] == rank) continue;
    for (auto i = pop.person_offset[k]; i < pop.person_offset[k + 1]; ++i)
      outgoing[static_cast<std::size_t>(owner[r])].push_back(core::recordOf(p, i));
  }
  parallel::ExchangeStats stats;
  const auto arrived = parallel::exchange(outgoing, comm_, stats);
  bytes_exchanged_ += stats.bytes_sent;
  std::vector<std::vector<std::size_t>> arrived_of(regions_);
  for (std::size_t a = 0; a < arrived.size(); ++a) arrived_of[arrived[a].region].push_back(a);

  core::Population next;
  next.year = pop.year;
  next.next_person_id = pop.next_person_id;
  next.next_household_id = pop.next_household_id;
  next.regions = parallel::ownedRegions(owner, rank);
  std::size_t persons = 0;
  for (const auto r : next.regions)
    persons += old_index[r] >= 0 ? pop.person_offset[static_cast<std::size_t>(old_index[r]) + 1] -
                                       pop.person_offset[static_cast<std::size_t>(old_index[r])]
                                 : arrived_of[r].size();
  next.persons.reserve(persons);
  next.person_offset.assign(1, 0);
  for (const auto r : next.regions) {
    if (old_index[r] >= 0) {
      const auto k = static_cast<std::size_t>(old_index[r]);
      for (auto i = pop.person_offset[k]; i < pop.person_offset[k + 1]; ++i) core::append(next.persons, core::recordOf(p, i));
    } else {
      for (const auto a : arrived_of[r]) core::append(next.persons, arrived[a]);
    }
    next.person_offset.push_back(next.persons.size());
  }
  next.household_offset.assign(1, 0);
  for (std::size_t k = 0; k < next.regions.size(); ++k) {
    for (auto i = next.person_offset[k]; i < next.person_offset[k + 1]; ++i)
      if (i == next.person_offset[k] || next.persons.household[i] != next.persons.household[i - 1]) {
        next.households.id.push_back(next.persons.household[i]);
        next.households.region.push_back(next.regions[k]);
      }
    next.household_offset.push_back(next.households.size());
  }
  population_ = std::move(next);
  reserveColumns();
  owner_ = owner;
  work_.clear();
  plans_.clear();
  // The accounts of the same state on the new regions: the census of the year's start.
  order_ = bySizeDescending(population_);
  account(false);
}

void Projection::rebuild() {
  const auto ids = issueIds();
  prepareNewAgents(ids);
  planRegions();
  decideInternalMigration();
  receiveMigrants();
  mergeArrivals();
  gatherColumns();
  regroupHouseholds();
  population_.next_person_id = static_cast<core::PersonId>(ids.person[regions_]);
  population_.next_household_id = static_cast<core::HouseholdId>(ids.household[regions_]);
}

Projection::IdBlocks Projection::issueIds() {
  const auto& pop = population_;
  const auto& owned = pop.regions;
  plans_.resize(owned.size());
  // Newborns whose mother emigrated leave with her; the others are kept and numbered.
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t q = 0; q < owned.size(); ++q) {
    const std::size_t k = order_[q];
    auto& w = work_[k];
    auto& plan = plans_[k];
    plan.kept_newborns = 0;
    plan.newborn_rank.assign(w.newborns.size(), kNewAgent);
    for (std::size_t j = 0; j < w.newborns.size(); ++j) {
      const auto& baby = w.newborns[j];
      if (w.removed[baby.mother] != kernels::Removal::Emigrated) {
        plan.newborn_rank[j] = plan.kept_newborns++;
        continue;
      }
      ++w.emigrants[static_cast<int>(baby.sex)][0];
      if (baby.nationality == core::Nationality::National) ++w.national_emigrants;
    }
  }
  // Regions in table order take consecutive blocks, the same on any decomposition.
  std::vector<std::int64_t> local;
  for (std::size_t k = 0; k < owned.size(); ++k) {
    local.push_back(plans_[k].kept_newborns + static_cast<std::int64_t>(work_[k].immigrants.size()));
    local.push_back(work_[k].new_households);
  }
  const auto all = parallel::allRegionRows(owned, local, regions_, 2, comm_);
  IdBlocks ids;
  ids.person.assign(regions_ + 1, pop.next_person_id);
  ids.household.assign(regions_ + 1, pop.next_household_id);
  for (std::size_t r = 0; r < regions_; ++r) {
    ids.person[r + 1] = ids.person[r] + static_cast<std::uint64_t>(all[2 * r]);
    ids.household[r + 1] = ids.household[r] + static_cast<std::uint64_t>(all[2 * r + 1]);
  }
  if (ids.person[regions_] > core::kMaxPersonId + 1)
    throw std::runtime_error("person ids exhausted (2^32): the projection is too long for 32-bit person ids");
  if (ids.household[regions_] >= kernels::kNewHousehold)
    throw std::runtime_error("household ids exhausted (2^31): the projection is too long for 32-bit household ids");
  return ids;
}

void Projection::prepareNewAgents(const IdBlocks& ids) {
  auto& pop = population_;
  auto& p = pop.persons;
  const auto& owned = pop.regions;
  const int year = pop.year + 1;
  newcomers_.resize(owned.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t q = 0; q < owned.size(); ++q) {
    const std::size_t k = order_[q];
    const auto& w = work_[k];
    const auto& plan = plans_[k];
    const auto region = owned[k];
    const auto person_base = static_cast<core::PersonId>(ids.person[region]);
    auto translate = [&](core::HouseholdId h) {
      return kernels::isNewHousehold(h) ? static_cast<core::HouseholdId>(ids.household[region] + (h & ~kernels::kNewHousehold)) : h;
    };
    // The households this year created get their ids.
    if (w.new_households > 0)
      for (auto i = pop.person_offset[k]; i < pop.person_offset[k + 1]; ++i) p.household[i] = translate(p.household[i]);
    auto& records = newcomers_[k];
    records.assign(w.newborns.size() + w.immigrants.size(), core::PersonRecord{});
    for (std::size_t j = 0; j < w.newborns.size(); ++j) {
      if (plan.newborn_rank[j] == kNewAgent) continue;
      const auto mother = w.at(w.newborns[j].mother);
      auto& r = records[j];
      r.id = person_base + plan.newborn_rank[j];
      r.mother = p.id[mother];
      r.household = p.household[mother];
      r.birth_year = static_cast<core::Year>(year);
      r.region = region;
      r.sex = w.newborns[j].sex;
      r.flags = core::withNationality(core::kFlagLivesWithMother, w.newborns[j].nationality);
    }
    for (std::size_t j = 0; j < w.immigrants.size(); ++j) {
      const auto& im = w.immigrants[j];
      auto& r = records[w.newborns.size() + j];
      r.id = person_base + plan.kept_newborns + static_cast<core::PersonId>(j);
      r.household = translate(im.household);
      r.birth_year = static_cast<core::Year>(year - im.age);
      r.region = region;
      r.sex = im.sex;
      r.flags = core::withNationality(core::kFlagNone, im.nationality);
    }
  }
}

void Projection::planRegions() {
  const auto& pop = population_;
  const auto& owned = pop.regions;
  std::vector<std::string> duplicated(owned.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t q = 0; q < owned.size(); ++q) {
    const std::size_t k = order_[q];
    planRegion(work_[k], newcomers_[k], plans_[k]);
    if (!config_.model.checks) continue;
    // No agent may be carried into the new state twice (ids are then unique: the old state's
    // were, and new ids are fresh).
    const auto& w = work_[k];
    thread_local std::vector<std::uint8_t> used;
    used.assign(w.size() + newcomers_[k].size(), 0);
    for (const auto src : plans_[k].source) {
      const std::size_t slot = (src & kNewAgent) ? w.size() + (src & ~kNewAgent) : src;
      if (used[slot]++ != 0 && duplicated[k].empty())
        duplicated[k] = fmt::format("check 'no id twice' failed in year {}, region {} ({}): agent {} would be copied twice",
                                    pop.year + 1, inputs_.regions[owned[k]].code, inputs_.regions[owned[k]].name_en, src);
    }
  }
  for (const auto& d : duplicated)
    if (!d.empty()) throw std::runtime_error(d);
}

core::PersonRecord Projection::recordOf(std::size_t k, std::uint32_t source) const {
  if (source & kNewAgent) return newcomers_[k][source & ~kNewAgent];
  if (source & kArrival) return arrivals_[k][source & ~kArrival];
  return core::recordOf(population_.persons, population_.person_offset[k] + source);
}

void Projection::decideInternalMigration() {
  const auto& pop = population_;
  const auto& p = pop.persons;
  const auto& owned = pop.regions;
  const int year = pop.year + 1;
  int ranks = 1;
  MPI_Comm_size(comm_, &ranks);
  const auto n_ranks = static_cast<std::size_t>(ranks);
  moves_.resize(owned.size());
  leaving_.assign(owned.size() * n_ranks, 0);
  outgoing_.resize(n_ranks);
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t q = 0; q < owned.size(); ++q) {
    const std::size_t k = order_[q];
    const auto region = owned[k];
    const auto& src = plans_[k].source;
    thread_local std::vector<kernels::Resident> residents;
    residents.resize(src.size());
    for (std::size_t n = 0; n < src.size(); ++n) {
      const auto s = src[n];
      if (s & kNewAgent) {
        const auto& r = newcomers_[k][s & ~kNewAgent];
        residents[n] = {r.id, r.birth_year, r.household};
      } else {
        const auto i = pop.person_offset[k] + s;
        residents[n] = {p.id[i], p.birth_year[i], p.household[i]};
      }
    }
    kernels::InternalMigrationModel model;
    for (int a = 0; a < kAgeClasses; ++a)
      model.leave[static_cast<std::size_t>(a)] = destinations_.leaveProbability(a) * policy_.outMigration(region, a);
    model.destination = [&](int age, double u) { return destinations_.draw(region, age, u); };
    Stopwatch watch;
    kernels::internalMigration(residents, year, config_.seed, model, moves_[k]);
    const double seconds = watch.lap();
#pragma omp atomic
    event_seconds_.back() += seconds;
    for (const auto& m : moves_[k]) leaving_[k * n_ranks + static_cast<std::size_t>(owner_[m.destination])] += m.end - m.first;
  }
  collectLeavers();
}

// Each region's leavers go to their slots of the outgoing buffers (region order within each
// destination rank), and leave its plan; the national flows between provinces are summed.
void Projection::collectLeavers() {
  const auto& owned = population_.regions;
  const int year = population_.year + 1;
  const auto n_ranks = outgoing_.size();
  std::vector<std::size_t> slot(owned.size() * n_ranks, 0);
  for (std::size_t d = 0; d < n_ranks; ++d) {
    std::size_t total = 0;
    for (std::size_t k = 0; k < owned.size(); ++k) {
      slot[k * n_ranks + d] = total;
      total += leaving_[k * n_ranks + d];
    }
    outgoing_[d].resize(total);
  }
  const auto& provinces = inputs_.regions.provinces();
  const std::size_t n_provinces = provinces.size();
  std::vector<std::int64_t> region_flows(owned.size() * n_provinces * n_provinces, 0);
  migrants_out_.assign(owned.size(), {});
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t q = 0; q < owned.size(); ++q) {
    const std::size_t k = order_[q];
    if (moves_[k].empty()) continue;
    auto provinceIndex = [&](core::RegionIndex r) { return *inputs_.regions.findProvince(inputs_.regions[r].province_code); };
    auto& src = plans_[k].source;
    auto* flows = region_flows.data() + k * n_provinces * n_provinces + provinceIndex(owned[k]) * n_provinces;
    std::size_t kept = 0, next = 0;
    for (const auto& m : moves_[k]) {
      while (next < m.first) src[kept++] = src[next++];
      const auto d = static_cast<std::size_t>(owner_[m.destination]);
      for (; next < m.end; ++next) {
        auto r = recordOf(k, src[next]);
        r.region = m.destination;
        ++migrants_out_[k][static_cast<std::size_t>(std::clamp(year - r.birth_year, 0, 100))];
        outgoing_[d][slot[k * n_ranks + d]++] = r;
      }
      flows[provinceIndex(m.destination)] += m.end - m.first;
    }
    while (next < src.size()) src[kept++] = src[next++];
    src.resize(kept);
  }
  flows_.assign(n_provinces * n_provinces, 0);
  for (std::size_t k = 0; k < owned.size(); ++k)
    for (std::size_t x = 0; x < flows_.size(); ++x) flows_[x] += region_flows[k * flows_.size() + x];
  MPI_Allreduce(MPI_IN_PLACE, flows_.data(), static_cast<int>(flows_.size()), MPI_INT64_T, MPI_SUM, comm_);
}

void Projection::receiveMigrants() {
  const auto& owned = population_.regions;
  int rank = 0;
  MPI_Comm_rank(comm_, &rank);
  // Leavers for this rank's own regions stay out of the exchange (no copy of them on the way).
  std::vector<core::PersonRecord> own;
  own.swap(outgoing_[static_cast<std::size_t>(rank)]);
  parallel::ExchangeStats exchange_stats;
  const auto arrived = parallel::exchange(outgoing_, comm_, exchange_stats);
  bytes_exchanged_ += exchange_stats.bytes_sent;
  exchange_seconds_ += exchange_stats.seconds;
  std::vector<int> local_of(regions_, -1);
  for (std::size_t k = 0; k < owned.size(); ++k) local_of[owned[k]] = static_cast<int>(k);
  arrivals_.resize(owned.size());
  for (auto& a : arrivals_) a.clear();
  // Their order here does not matter: mergeArrivals sorts each region's arrivals.
  for (const auto* part : std::array<const std::vector<core::PersonRecord>*, 2>{&own, &arrived})
    for (const auto& r : *part) {
      const int k = local_of[r.region];
      if (k < 0) throw std::runtime_error(fmt::format("a migrant for region {} arrived at a rank that does not own it", r.region));
      arrivals_[static_cast<std::size_t>(k)].push_back(r);
    }
  std::array<std::int64_t, 2> moved = {0, static_cast<std::int64_t>(arrived.size() + own.size())};
  for (const auto& out : outgoing_) moved[0] += static_cast<std::int64_t>(out.size());
  moved[0] += static_cast<std::int64_t>(own.size());
  own.clear();
  own.swap(outgoing_[static_cast<std::size_t>(rank)]);  // its capacity is kept for next year
  if (!config_.model.checks) return;
  // Migrants sent = migrants received, nationally.
  MPI_Allreduce(MPI_IN_PLACE, moved.data(), 2, MPI_INT64_T, MPI_SUM, comm_);
  if (moved[0] != moved[1])
    throw std::runtime_error(fmt::format("check 'migrants sent = received' failed in year {}: {} sent, {} received",
                                         population_.year + 1, moved[0], moved[1]));
}

void Projection::mergeArrivals() {
  const auto& pop = population_;
  const auto& p = pop.persons;
  const auto& owned = pop.regions;
  const int year = pop.year + 1;
  migrants_in_.assign(owned.size(), {});
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t q = 0; q < owned.size(); ++q) {
    const std::size_t k = order_[q];
    auto& arr = arrivals_[k];
    for (const auto& r : arr) ++migrants_in_[k][static_cast<std::size_t>(std::clamp(year - r.birth_year, 0, 100))];
    // Arrivals are inserted by household id, in a canonical order.
    std::sort(arr.begin(), arr.end(), [](const core::PersonRecord& a, const core::PersonRecord& b) {
      return a.household != b.household ? a.household < b.household : a.id < b.id;
    });
    auto& plan = plans_[k];
    plan.segments.clear();
    auto single = [&](std::uint32_t source) { plan.segments.push_back({source, 0}); };
    const auto* household = p.household.data() + pop.person_offset[k];
    std::size_t a = 0;
    for (const auto s : plan.source) {
      if (a < arr.size()) {
        const auto h = (s & kNewAgent) ? newcomers_[k][s & ~kNewAgent].household : household[s];
        while (a < arr.size() && arr[a].household < h) single(kArrival | static_cast<std::uint32_t>(a++));
      }
      if (s & kNewAgent) {
        single(s);
        continue;
      }
      // A survivor extends the run of the survivor just before it in the old state.
      if (!plan.segments.empty() && plan.segments.back().length > 0 &&
          plan.segments.back().source + plan.segments.back().length == s)
        ++plan.segments.back().length;
      else
        plan.segments.push_back({s, 1});
    }
    while (a < arr.size()) single(kArrival | static_cast<std::uint32_t>(a++));
    plan.persons = plan.source.size() + arr.size();
  }
}

namespace {

// Resizes v to n, growing its capacity with 2% slack when it must grow.
template <typename T>
void growTo(std::vector<T>& v, std::size_t n) {
  if (v.capacity() < n) v.reserve(n + n / 50);
  v.resize(n);
}

// Rebuilds one column in the plans' order: survivors keep their value, new agents and arrivals
// take their record's. The new values go to a spare buffer kept from year to year (no fresh
// pages to fault in and zero), then back into the column (or trade places with it).
template <typename T>
void gatherColumn(std::vector<T>& column, T core::PersonRecord::*member, const std::vector<Projection::Plan>& plans,
                  const std::vector<std::vector<core::PersonRecord>>& newcomers,
                  const std::vector<std::vector<core::PersonRecord>>& arrivals, const std::vector<std::size_t>& from,
                  const std::vector<std::size_t>& to, const std::vector<std::size_t>& order, std::vector<std::uint32_t>& spare) {
  static_assert(sizeof(T) <= sizeof(std::uint32_t));
  const std::size_t total = to.back();
  growTo(spare, total);
  // Written as bytes (character access may alias any object), read back the same way.
  auto* bytes = reinterpret_cast<unsigned char*>(spare.data());
  const std::size_t regions = plans.size();
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t r = 0; r < regions; ++r) {
    const std::size_t k = order[r];
    const T* old = column.data() + from[k];
    unsigned char* out = bytes + to[k] * sizeof(T);
    for (const auto& segment : plans[k].segments) {
      const auto s = segment.source;
      if (segment.length > 0) {  // a run of survivors
        std::memcpy(out, old + s, segment.length * sizeof(T));
        out += segment.length * sizeof(T);
        continue;
      }
      const T value = (s & kNewAgent) ? newcomers[k][s & ~kNewAgent].*member : arrivals[k][s & ~kArrival].*member;
      std::memcpy(out, &value, sizeof(T));
      out += sizeof(T);
    }
  }
  if constexpr (std::is_same_v<T, std::uint32_t>) {
    column.swap(spare);
  } else {
    growTo(column, total);
#pragma omp parallel for schedule(static)
    for (std::size_t k = 0; k < regions; ++k)
      std::memcpy(column.data() + to[k], bytes + to[k] * sizeof(T), (to[k + 1] - to[k]) * sizeof(T));
  }
}


}  // namespace

void Projection::gatherColumns() {
  auto& pop = population_;
  std::vector<std::size_t> offset(pop.regions.size() + 1, 0);
  for (std::size_t k = 0; k < pop.regions.size(); ++k) offset[k + 1] = offset[k] + plans_[k].persons;
  core::forEachPersonField([&](const auto& f) {
    gatherColumn(pop.persons.*f.column, f.member, plans_, newcomers_, arrivals_, pop.person_offset, offset, order_, spare_);
  });
  pop.person_offset = offset;
}

void Projection::regroupHouseholds() {
  auto& pop = population_;
  const auto& p = pop.persons;
  const auto& owned = pop.regions;
  const auto& offset = pop.person_offset;
  // Households: the runs of the new household column, region by region.
  std::vector<std::size_t> count(owned.size() + 1, 0);
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t q = 0; q < owned.size(); ++q) {
    const std::size_t k = order_[q];
    for (std::size_t i = offset[k]; i < offset[k + 1]; ++i)
      count[k + 1] += i == offset[k] || p.household[i] != p.household[i - 1];
  }
  std::partial_sum(count.begin(), count.end(), count.begin());
  pop.household_offset = count;
  pop.households.resize(count.back());
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t q = 0; q < owned.size(); ++q) {
    const std::size_t k = order_[q];
    auto h = count[k];
    for (std::size_t i = offset[k]; i < offset[k + 1]; ++i)
      if (i == offset[k] || p.household[i] != p.household[i - 1]) pop.households.id[h++] = p.household[i];
    std::fill_n(pop.households.region.begin() + static_cast<std::ptrdiff_t>(count[k]), count[k + 1] - count[k], owned[k]);
  }
}

void Projection::account(bool with_events) {
  const auto& pop = population_;
  records_.assign(pop.regions.size(), {});
  census_.assign(pop.regions.size(), {});
  household_failures_.assign(pop.regions.size(), {});
  const bool checks = with_events && config_.model.checks;
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t q = 0; q < pop.regions.size(); ++q) {
    const std::size_t k = order_[q];
    countPersons(k);
    countHouseholds(k, checks);
    if (with_events) copyEvents(k);
  }
}

// Population by sex and age (all, nationals) and the census of the next year's start.
void Projection::countPersons(std::size_t k) {
  const auto& pop = population_;
  const auto& p = pop.persons;
  auto& rec = records_[k];
  auto& census = census_[k];
  for (auto i = pop.person_offset[k]; i < pop.person_offset[k + 1]; ++i) {
    const int s = static_cast<int>(p.sex[i]);
    const int age = pop.year - p.birth_year[i];
    const int a = core::ageClass(age);
    ++rec.population[s][a];
    if (core::nationalityOf(p.flags[i]) != core::Nationality::National) continue;
    ++rec.nationals[s][a];
    // The TFR path is the nationals': fertility is normalised on national women.
    if (s == 1 && age >= kFertileMin && age < kFertileMin + kFertileAges)
      ++census.women[age - kFertileMin][std::min<int>(p.parity[i], kParityGroups - 1)][p.partner[i] != core::kNoPerson];
  }
  // Ages at the start of the next year are the ages now.
  census.start = rec.population;
  census.start_national = rec.nationals;
  for (int s = 0; s < kSexes; ++s)
    for (int a = 0; a < kAgeClasses; ++a) {
      const auto end = static_cast<std::size_t>(core::ageClass(a + 1));
      census.end_age[0][s][end] += rec.nationals[s][a];
      census.end_age[1][s][end] += rec.population[s][a] - rec.nationals[s][a];
    }
}

// Households by size and type and the household indicators (persons living alone, households
// with children, by the reference person's age, by nationality); with `checks`, the household
// invariants of check() on the same pass (the first failure is kept for check() to report).
void Projection::countHouseholds(std::size_t k, bool checks) {
  const auto& pop = population_;
  const auto& p = pop.persons;
  auto& rec = records_[k];
  auto& failure = household_failures_[k];
  // Minors can only live with an adult where the region has one (a tiny sample may have none).
  std::int64_t adults = 0;
  for (const auto& by_age : rec.population) adults += std::accumulate(by_age.begin() + kernels::kAdultAge, by_age.end(), std::int64_t{0});
  auto fail = [&](const char* check, const std::string& detail) {
    if (failure.empty()) failure = fmt::format("check '{}' failed in year {}, region {} ({}): {}", check, pop.year,
                                               inputs_.regions[pop.regions[k]].code, inputs_.regions[pop.regions[k]].name_en, detail);
  };
  const auto e = pop.person_offset[k + 1];
  auto age_of = [&](std::size_t x) { return pop.year - p.birth_year[x]; };
  for (auto i = pop.person_offset[k]; i < e;) {
    auto j = i;
    bool couple = false, child_with_mother = false, young_child = false, minor = false;
    std::size_t foreign = 0;
    for (; j < e && p.household[j] == p.household[i]; ++j) {
      couple |= p.partner[j] != core::kNoPerson;
      child_with_mother |= (p.flags[j] & core::kFlagLivesWithMother) != 0;
      const int age = age_of(j);
      young_child |= age < io::kYoungChildAge;
      minor |= age < core::kAdultAge;
      foreign += core::nationalityOf(p.flags[j]) == core::Nationality::Foreign;
    }
    const auto size = j - i;
    ++rec.household_size[std::min<std::size_t>(size, io::kHouseholdSizes) - 1];
    ++rec.household_type[size == 1 ? 0 : couple ? (size == 2 ? 1 : 2) : child_with_mother ? 3 : 4];
    if (size == 1) ++rec.living_alone[static_cast<std::size_t>(p.sex[i])][static_cast<std::size_t>(core::ageClass(age_of(i)))];
    rec.with_child_under_6 += young_child;
    rec.with_child_under_18 += minor;
    const int head_age = age_of(core::referencePerson(i, j, age_of));
    ++rec.by_head_age[io::headAgeGroup(head_age)];
    rec.foreign_households += foreign == size;
    rec.mixed_nationality += foreign > 0 && foreign < size;
    const bool adult = head_age >= core::kAdultAge;  // the reference person is an adult if anyone is
    if (checks && failure.empty()) {
      if (j < e && p.household[j] < p.household[i])
        fail("one household per person", fmt::format("household {} is not contiguous", p.household[j]));
      if (!adult && adults > 0) fail("an adult in every household", fmt::format("household {} has only minors", p.household[i]));
      for (auto x = i; x < j; ++x) {
        if (p.id[x] >= pop.next_person_id || p.id[x] == core::kNoPerson) fail("unique ids", fmt::format("id {} was never issued", p.id[x]));
        if (p.partner[x] == core::kNoPerson) continue;
        auto y = i;
        while (y < j && p.id[y] != p.partner[x]) ++y;
        if (y == j || p.partner[y] != p.id[x])
          fail("partners", fmt::format("person {} and partner {} are not a mutual couple in one household", p.id[x], p.partner[x]));
      }
    }
    i = j;
  }
  for (const auto& by_age : rec.living_alone) {
    rec.alone_65plus += std::accumulate(by_age.begin() + io::kAloneOlderAge, by_age.end(), std::int64_t{0});
    rec.alone_80plus += std::accumulate(by_age.begin() + io::kAloneOldestAge, by_age.end(), std::int64_t{0});
  }
}

// The year's events of region k, from its kernels' counters and the internal migrants.
void Projection::copyEvents(std::size_t k) {
  auto& rec = records_[k];
  const auto& w = work_[k];
  rec.deaths = w.deaths;
  std::copy(w.births.begin(), w.births.end(), rec.births.begin());
  rec.immigrants = static_cast<std::int64_t>(w.immigrants.size());
  for (const auto& s : w.emigrants) rec.emigrants += std::accumulate(s.begin(), s.end(), std::int64_t{0});
  for (const auto& im : w.immigrants) rec.national_immigrants += im.nationality == core::Nationality::National;
  rec.national_births = w.national_births;
  std::copy(w.births_to_nationals.begin(), w.births_to_nationals.end(), rec.births_to_nationals.begin());
  rec.national_deaths = w.national_deaths;
  rec.national_emigrants = w.national_emigrants;
  rec.naturalisations = w.naturalisations;
  rec.marriages = w.marriages;
  rec.divorces = w.divorces;
  rec.migrants_in_by_age = migrants_in_[k];
  rec.migrants_out_by_age = migrants_out_[k];
  rec.migrants_in = std::accumulate(rec.migrants_in_by_age.begin(), rec.migrants_in_by_age.end(), std::int64_t{0});
  rec.migrants_out = std::accumulate(rec.migrants_out_by_age.begin(), rec.migrants_out_by_age.end(), std::int64_t{0});
  rec.left_home = w.left_home;
  rec.returned_home = w.returned_home;
  rec.elderly_moved = w.elderly_moved;
  rec.orphans_placed = w.orphans_placed;
}

// The invariants after every year: persons conserved per region (the household invariants were
// checked by account() on its pass).
void Projection::check(const std::vector<std::int64_t>& persons_before) const {
  const auto& pop = population_;
  for (std::size_t k = 0; k < pop.regions.size(); ++k) {
    const auto& rec = records_[k];
    std::int64_t deaths = 0;
    for (const auto& s : rec.deaths) deaths += std::accumulate(s.begin(), s.end(), std::int64_t{0});
    const std::int64_t births = std::accumulate(rec.births.begin(), rec.births.end(), std::int64_t{0});
    const auto after = static_cast<std::int64_t>(pop.person_offset[k + 1] - pop.person_offset[k]);
    const auto expected =
        persons_before[k] + births - deaths + rec.immigrants - rec.emigrants + rec.migrants_in - rec.migrants_out;
    if (after != expected) {
      const auto& region = inputs_.regions[pop.regions[k]];
      throw std::runtime_error(fmt::format(
          "check 'conservation' failed in year {}, region {} ({}): {} persons, expected {} = {} + {} births - {} deaths + "
          "{} immigrants - {} emigrants + {} in-migrants - {} out-migrants",
          pop.year, region.code, region.name_en, after, expected, persons_before[k], births, deaths, rec.immigrants,
          rec.emigrants, rec.migrants_in, rec.migrants_out));
    }
    if (!household_failures_[k].empty()) throw std::runtime_error(household_failures_[k]);
  }
}

}  // namespace popsim::model
