#include "model/projection.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <type_traits>

#include "core/random.hpp"
#include "kernels/demography.hpp"
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

void planRegion(kernels::RegionYear& r, Projection::Plan& plan) {
  const auto& p = r.p();
  plan.source.clear();
  plan.kept_newborns = 0;
  using Keyed = std::pair<core::HouseholdId, std::uint32_t>;
  std::vector<Keyed> joiners, newcomers;
  auto place = [&](core::HouseholdId h, std::uint32_t source, bool moved) {
    if (!moved) plan.source.push_back(source);  // stayers arrive in household order
    else if (kernels::isNewHousehold(h)) newcomers.emplace_back(h & ~kernels::kNewHousehold, source);
    else joiners.emplace_back(h, source);
  };
  for (std::size_t i = 0; i < r.size(); ++i)
    if (r.alive(i)) place(p.household[r.at(i)], static_cast<std::uint32_t>(i), r.moved[i] != 0);
  const std::size_t stayers = plan.source.size();
  plan.newborn_rank.assign(r.newborns.size(), kNewAgent);
  for (std::size_t j = 0; j < r.newborns.size(); ++j) {
    const auto mother = r.newborns[j].mother;
    if (r.removed[mother] == kernels::Removal::Emigrated) {  // the baby leaves with its mother
      ++r.emigrants[static_cast<int>(r.newborns[j].sex)][0];
      if (r.newborns[j].nationality == core::Nationality::National) ++r.national_emigrants;
      continue;
    }
    plan.newborn_rank[j] = plan.kept_newborns++;
    place(p.household[r.at(mother)], kNewAgent | static_cast<std::uint32_t>(j), true);
  }
  for (std::size_t j = 0; j < r.immigrants.size(); ++j)
    place(r.immigrants[j].household, kNewAgent | static_cast<std::uint32_t>(r.newborns.size() + j), true);

  // Joiners go after the stayers of their household (merge by household id).
  std::sort(joiners.begin(), joiners.end());
  thread_local std::vector<std::uint32_t> merged;  // capacity kept between regions and years
  merged.clear();
  merged.reserve(stayers + joiners.size() + newcomers.size());
  std::size_t j = 0;
  for (std::size_t k = 0; k < stayers; ++k) {
    const auto h = p.household[r.at(plan.source[k])];
    while (j < joiners.size() && joiners[j].first < h) merged.push_back(joiners[j++].second);
    merged.push_back(plan.source[k]);
  }
  while (j < joiners.size()) merged.push_back(joiners[j++].second);
  std::stable_sort(newcomers.begin(), newcomers.end(),
                   [](const Keyed& a, const Keyed& b) { return a.first < b.first; });
  for (const auto& n : newcomers) merged.push_back(n.second);
  plan.source.swap(merged);
}

}  // namespace

struct Projection::Census {
  std::array<std::array<std::int64_t, kAgeClasses>, kSexes> start{};    // by age at the start of the year
  std::array<std::array<std::int64_t, kAgeClasses>, kSexes> start_national{};  // nationals only
  kernels::ByNationalitySexAge end_age{};  // by nationality and age at the end of the year
  std::array<std::array<std::array<std::int64_t, 2>, kParityGroups>, kFertileAges> women{};  // national women: age, parity, married
};

Projection::Projection(const io::Config& config, const io::CountryInputs& inputs, core::Population population,
                       std::vector<int> owner, MPI_Comm comm)
    : config_(config),
      inputs_(inputs),
      population_(std::move(population)),
      owner_(std::move(owner)),
      comm_(comm),
      regions_(inputs.regions.size()),
      destinations_(inputs),
      policy_(config.scenario, inputs.regions) {
  marriage_ = inputs.unions.marriage;
  divorce_ = inputs.unions.divorce;
  leave_ = inputs.leaving_home.rate;
  account(false);
}

void Projection::computeCoefficients(const YearRates& rates, const std::vector<Census>& census) {
  const auto& owned = population_.regions;
  constexpr std::size_t kStartWidth = kSexes * kAgeClasses;
  constexpr std::size_t kWomenWidth = kFertileAges * kParityGroups * 2;
  constexpr std::size_t kWidth = 2 * kStartWidth + kWomenWidth;  // start, women, start of nationals
  std::vector<std::int64_t> local;
  for (const auto& c : census) {
    for (const auto& s : c.start) local.insert(local.end(), s.begin(), s.end());
    for (const auto& a : c.women)
      for (const auto& g : a) local.insert(local.end(), g.begin(), g.end());
    for (const auto& s : c.start_national) local.insert(local.end(), s.begin(), s.end());
  }
  const auto all = parallel::allRegionRows(owned, local, regions_, kWidth, comm_);
  auto row = [&](std::size_t r) { return all.begin() + static_cast<std::ptrdiff_t>(r * kWidth); };
  auto national = [&](std::size_t r) { return row(r) + static_cast<std::ptrdiff_t>(kStartWidth + kWomenWidth); };

  std::vector<Destinations::ByGroup> population(regions_, Destinations::ByGroup{});
  for (std::size_t r = 0; r < regions_; ++r)
    for (int s = 0; s < kSexes; ++s)
      for (int a = 0; a < kAgeClasses; ++a)
        population[r][static_cast<std::size_t>(io::DestinationModel::group(a))] += static_cast<double>(row(r)[s * kAgeClasses + a]);
  // The scenario's interventions this year, selected on the extinction index at the start of it
  // (KEIS's index counts the registered population: nationals).
  std::vector<double> extinction(regions_, 0.0);
  for (std::size_t r = 0; r < regions_; ++r) {
    double women = 0.0, old = 0.0;
    for (int a = 20; a <= 39; ++a) women += static_cast<double>(national(r)[kAgeClasses + a]);
    for (int s = 0; s < kSexes; ++s)
      for (int a = 65; a < kAgeClasses; ++a) old += static_cast<double>(national(r)[s * kAgeClasses + a]);
    extinction[r] = extinctionIndex(women, old);
  }
  policy_.update(rates.year, extinction);
  if (!config_.model.destination_sizes_current) {
    // The base year's residents of each age group, nationals and foreign residents (scale does
    // not matter: the logit depends on size ratios only).
    for (std::size_t r = 0; r < regions_; ++r) {
      population[r] = {};
      for (const auto n : {core::Nationality::National, core::Nationality::Foreign})
        for (int s = 0; s < kSexes; ++s)
          for (int a = 0; a < kAgeClasses; ++a)
            population[r][static_cast<std::size_t>(io::DestinationModel::group(a))] += static_cast<double>(
                inputs_.populationOf(n)[r][static_cast<std::size_t>(s)][static_cast<std::size_t>(a)]);
    }
  }
  // The regions' own destination constants fade: local housing booms do not last for decades.
  const double constant_weight =
      std::exp2(-static_cast<double>(rates.year - config_.start_year - 1) / config_.model.region_constant_half_life_years);
  destinations_.update(population, policy_.attractiveness(), constant_weight);

  // Mortality: national expected deaths q x N by sex and age, spread by regional multipliers.
  for (int s = 0; s < kSexes; ++s)
    for (int a = 0; a < kAgeClasses; ++a) {
      double persons = 0.0;
      double weighted = 0.0;
      for (std::size_t r = 0; r < regions_; ++r) {
        const auto n = static_cast<double>(row(r)[s * kAgeClasses + a]);
        persons += n;
        weighted += n * inputs_.mortality_multiplier[r][s];
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
  std::array<std::array<std::array<double, 2>, kParityGroups>, kFertileAges> den{};
  std::array<double, kFertileAges> women{};
  for (std::size_t r = 0; r < regions_; ++r) {
    const double f = fertility_multiplier_[r];
    for (int a = 0; a < kFertileAges; ++a)
      for (int g = 0; g < kParityGroups; ++g)
        for (int m = 0; m < 2; ++m) {
          const auto n = static_cast<double>(row(r)[kStartWidth + (a * kParityGroups + g) * 2 + m]);
          den[a][g][m] += n * f;
          women[a] += n;
        }
  }
  std::array<std::array<double, kParityGroups>, kFertileAges> births{};
  double total = 0.0;
  for (int a = 0; a < kFertileAges; ++a) {
    for (int g = 0; g < kParityGroups; ++g) total += births[a][g] = rates.asfr[a] * women[a] * inputs_.fertility.order_share[a][g];
    // Births of an order whose parity group has no women of this age go to the largest group,
    // so that expected births still follow the TFR path.
    int largest = 0;
    for (int g = 1; g < kParityGroups; ++g)
      if (den[a][g][0] + den[a][g][1] > den[a][largest][0] + den[a][largest][1]) largest = g;
    for (int g = 0; g < kParityGroups; ++g)
      if (g != largest && den[a][g][0] + den[a][g][1] == 0.0) {
        births[a][largest] += births[a][g];
        births[a][g] = 0.0;
      }
  }
  // The weight of married relative to unmarried women that gives the configured marital share.
  auto marital_share = [&](double w) {
    double marital = 0.0;
    for (int a = 0; a < kFertileAges; ++a)
      for (int g = 0; g < kParityGroups; ++g) {
        const double d = w * den[a][g][1] + den[a][g][0];
        if (d > 0.0) marital += births[a][g] * w * den[a][g][1] / d;
      }
    return total > 0.0 ? marital / total : 0.0;
  };
  double lo = -20.0, hi = 20.0;
  for (int it = 0; it < 200; ++it) {
    const double mid = 0.5 * (lo + hi);
    (marital_share(std::exp(mid)) < config_.model.marital_birth_share ? lo : hi) = mid;
  }
  marital_weight_ = std::exp(0.5 * (lo + hi));

  // Per age, the births are spread over the six (parity group, union status) groups in those
  // proportions, but no woman's yearly probability may exceed kMaxBirthProbability: where a
  // group is too small for its share (few married childless women when marriage lags behind a
  // rising TFR), its excess goes to the other groups (water-filling), so that the expected
  // births still follow the TFR path.
  const double max_multiplier = *std::max_element(fertility_multiplier_.begin(), fertility_multiplier_.end());
  const double cap = kMaxBirthProbability / (max_multiplier * std::max(1.0, config_.model.foreign_fertility_ratio));
  for (int a = 0; a < kFertileAges; ++a) {
    std::array<std::array<double, 2>, kParityGroups> intensity{};
    double target = 0.0;
    for (int g = 0; g < kParityGroups; ++g) {
      target += births[a][g];
      const double d = marital_weight_ * den[a][g][1] + den[a][g][0];
      for (int m = 0; m < 2; ++m) intensity[g][m] = d > 0.0 ? births[a][g] * (m ? marital_weight_ : 1.0) / d : 0.0;
    }
    auto expected = [&](double scale) {
      double e = 0.0;
      for (int g = 0; g < kParityGroups; ++g)
        for (int m = 0; m < 2; ++m) e += std::min(scale * intensity[g][m], cap) * den[a][g][m];
      return e;
    };
    // expected(1) == target when no cap binds; otherwise find the scale (>= 1) that restores it.
    double scale = 1.0;
    if (expected(1.0) < target * (1.0 - 1e-12)) {
      double lo_s = 1.0, hi_s = 2.0;
      while (expected(hi_s) < target && hi_s < 1e12) hi_s *= 2.0;
      for (int it = 0; it < 100; ++it) {
        const double mid = 0.5 * (lo_s + hi_s);
        (expected(mid) < target ? lo_s : hi_s) = mid;
      }
      scale = hi_s;
    }
    for (int g = 0; g < kParityGroups; ++g)
      for (int m = 0; m < 2; ++m) fertility_coefficient_[a][g][m] = std::min(scale * intensity[g][m], cap);
  }
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
  immigrants_.assign(owned.size(), {});
  emigrants_.assign(owned.size(), {});
  const core::Stream rounding(config_.seed, 0, rates.year, core::Event::MigrationRounding);
  // National counts per nationality, sex and age: positive cells are immigrants, negative ones
  // emigrants (a nationality's net may flow in at some ages and out at others).
  std::array<std::array<std::array<std::int64_t, kAgeClasses>, kSexes>, core::kNationalities> count{};
  std::array<std::array<std::array<std::int64_t, kAgeClasses>, kSexes>, core::kNationalities> stock{};
  for (int n = 0; n < core::kNationalities; ++n)
    for (int s = 0; s < kSexes; ++s)
      for (int a = 0; a < kAgeClasses; ++a) {
        const double net = rates.net_international_migration[static_cast<std::size_t>(n)] * config_.scale *
                           inputs_.international_migration.share[n][s][a];
        const auto cell = static_cast<std::size_t>(n) * kCells + static_cast<std::size_t>(s * kAgeClasses + a);
        const std::int64_t c = roundUnbiased(std::abs(net), rounding.uniform(static_cast<std::uint32_t>(cell)));
        count[n][s][a] = net >= 0.0 ? c : -c;
        for (std::size_t r = 0; r < regions_; ++r) stock[n][s][a] += key[r * kWidth + cell];
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

  std::vector<std::int64_t> quota(regions_);
  std::vector<std::int64_t> remainder(regions_);
  std::vector<std::size_t> by_remainder(regions_);
  for (int n = 0; n < core::kNationalities; ++n)
    for (int s = 0; s < kSexes; ++s)
      for (int a = 0; a < kAgeClasses; ++a) {
        const std::int64_t signed_count = count[n][s][a];
        if (signed_count == 0) continue;
        const bool arriving = signed_count > 0;
        const std::int64_t total = std::abs(signed_count);
        const auto cell = static_cast<std::size_t>(n) * kCells + static_cast<std::size_t>(s * kAgeClasses + a);
        // Largest-remainder allocation in proportion to the region's persons of this
        // nationality, sex and age (newcomers settle where people like them live; emigrants
        // leave from there). Nobody is aged 0 at the end of the year before the births: newborn
        // immigrants are allocated like the region's youngest children (age 1 at the end of the
        // year). Immigrants of a cell nobody of their nationality holds settle like all residents
        // of their sex and age.
        const std::size_t age_cell = arriving && a == 0 ? cell + 1 : cell;
        auto weight = [&](std::size_t r, bool all) {
          if (!all) return key[r * kWidth + age_cell];
          std::int64_t w = 0;
          for (std::size_t m = 0; m < core::kNationalities; ++m) w += key[r * kWidth + m * kCells + age_cell % kCells];
          return w;
        };
        bool all = false;
        std::int64_t weight_total = 0;
        for (std::size_t r = 0; r < regions_; ++r) weight_total += weight(r, false);
        if (weight_total == 0 && arriving) {
          all = true;
          for (std::size_t r = 0; r < regions_; ++r) weight_total += weight(r, true);
        }
        if (weight_total == 0) continue;
        std::int64_t given = 0;
        for (std::size_t r = 0; r < regions_; ++r) {
          const std::int64_t x = total * weight(r, all);
          quota[r] = x / weight_total;
          remainder[r] = x % weight_total;
          given += quota[r];
        }
        std::iota(by_remainder.begin(), by_remainder.end(), 0);
        std::stable_sort(by_remainder.begin(), by_remainder.end(),
                         [&](std::size_t x, std::size_t y) { return remainder[x] > remainder[y]; });
        for (std::int64_t k = 0; k < total - given; ++k) ++quota[by_remainder[static_cast<std::size_t>(k)]];
        for (std::size_t k = 0; k < owned.size(); ++k) (arriving ? immigrants_ : emigrants_)[k][n][s][a] = quota[owned[k]];
      }
}

void Projection::step() {
  Stopwatch watch;
  seconds_ = {};
  exchange_seconds_ = 0.0;
  bytes_exchanged_ = 0;
  rebalance();
  const double rebalance_seconds = watch.lap();
  const int year = population_.year + 1;
  const auto rates = ratesFor(inputs_, config_.model, year);
  auto& pop = population_;
  auto& p = pop.persons;
  const auto& owned = pop.regions;
  const auto order = bySizeDescending(pop);

  std::vector<Census> census(owned.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t k = 0; k < owned.size(); ++k) {
    auto& c = census[k];
    for (std::size_t i = pop.person_offset[k]; i < pop.person_offset[k + 1]; ++i) {
      const int s = static_cast<int>(p.sex[i]);
      const int a = year - 1 - p.birth_year[i];
      const auto n = core::nationalityOf(p.flags[i]);
      ++c.start[s][core::ageClass(a)];
      if (n == core::Nationality::National) ++c.start_national[s][core::ageClass(a)];
      ++c.end_age[static_cast<int>(n)][s][core::ageClass(a + 1)];
      // The TFR path is the nationals': fertility is normalised on national women.
      if (s == 1 && a >= kFertileMin && a < kFertileMin + kFertileAges && n == core::Nationality::National)
        ++c.women[a - kFertileMin][std::min<int>(p.parity[i], kParityGroups - 1)][p.partner[i] != core::kNoPerson];
    }
  }
  computeCoefficients(rates, census);
  allocateMigrants(rates, census);
  io::at(seconds_, io::Phase::Rates) = watch.lap();

  std::vector<std::int64_t> persons_before(owned.size());
  for (std::size_t k = 0; k < owned.size(); ++k)
    persons_before[k] = static_cast<std::int64_t>(pop.person_offset[k + 1] - pop.person_offset[k]);
  work_.resize(owned.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t n = 0; n < order.size(); ++n) {
    const std::size_t k = order[n];
    const auto region = owned[k];
    auto& r = work_[k];
    r.persons = &p;
    r.begin = pop.person_offset[k];
    r.end = pop.person_offset[k + 1];
    r.region = region;
    r.region_code = inputs_.regions[region].code;
    r.year = year;
    r.seed = config_.seed;
    r.index();
    auto mortality_multiplier = inputs_.mortality_multiplier[region];
    for (auto& m : mortality_multiplier) m *= policy_.mortality(region);
    kernels::mortality(r, death_coefficient_, mortality_multiplier);
    kernels::fertility(r, fertility_coefficient_, fertility_multiplier_[region] * policy_.fertility(region),
                       config_.model.foreign_fertility_ratio, config_.model.sex_ratio_at_birth);
    kernels::unions(r, marriage_, divorce_);
    kernels::householdTransitions(r, leave_, config_.model.elderly_join_child_rate);
    // Internal migration between regions (and ranks) takes its place here.
    kernels::internationalMigration(r, emigrants_[k], immigrants_[k]);
    kernels::naturalisation(r, config_.model.naturalisation_rate);
    kernels::placeOrphans(r);
    r.releaseIndex();
  }
  io::at(seconds_, io::Phase::Kernels) = watch.lap();

  rebuild();
  pop.year = static_cast<core::Year>(year);
  io::at(seconds_, io::Phase::Exchange) = rebalance_seconds + exchange_seconds_;
  io::at(seconds_, io::Phase::Rebuild) = watch.lap() - exchange_seconds_;
  account(true);
  io::at(seconds_, io::Phase::Accounting) = watch.lap();
  if (config_.model.checks) check(persons_before);
  io::at(seconds_, io::Phase::Checks) = watch.lap();
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
  owner_ = owner;
  work_.clear();
  plans_.clear();
}

void Projection::rebuild() {
  auto& pop = population_;
  auto& p = pop.persons;
  const auto& owned = pop.regions;
  plans_.resize(owned.size());
  auto& plans = plans_;
  std::vector<std::string> duplicated(owned.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t k = 0; k < owned.size(); ++k) {
    planRegion(work_[k], plans[k]);
    if (!config_.model.checks) continue;
    // No agent may be carried into the new state twice (ids are then unique: the old state's
    // were, and new ids are fresh).
    const auto& w = work_[k];
    thread_local std::vector<std::uint8_t> used;
    used.assign(w.size() + w.newborns.size() + w.immigrants.size(), 0);
    for (const auto src : plans[k].source) {
      const std::size_t slot = (src & kNewAgent) ? w.size() + (src & ~kNewAgent) : src;
      if (used[slot]++ != 0 && duplicated[k].empty())
        duplicated[k] = fmt::format("check 'no id twice' failed in year {}, region {} ({}): agent {} would be copied twice",
                                    pop.year + 1, inputs_.regions[owned[k]].code, inputs_.regions[owned[k]].name_en, src);
    }
  }
  for (const auto& d : duplicated)
    if (!d.empty()) throw std::runtime_error(d);

  // New ids: regions in table order take consecutive blocks, the same on any decomposition.
  std::vector<std::int64_t> local;
  for (std::size_t k = 0; k < owned.size(); ++k) {
    local.push_back(plans[k].kept_newborns + static_cast<std::int64_t>(work_[k].immigrants.size()));
    local.push_back(work_[k].new_households);
  }
  const auto all = parallel::allRegionRows(owned, local, regions_, 2, comm_);
  std::vector<core::PersonId> person_base(regions_ + 1, pop.next_person_id);
  std::vector<std::uint64_t> household_base(regions_ + 1, pop.next_household_id);
  for (std::size_t r = 0; r < regions_; ++r) {
    person_base[r + 1] = person_base[r] + static_cast<core::PersonId>(all[2 * r]);
    household_base[r + 1] = household_base[r] + static_cast<std::uint64_t>(all[2 * r + 1]);
  }
  if (household_base[regions_] >= kernels::kNewHousehold)
    throw std::runtime_error("household ids exhausted (2^31): the projection is too long for 32-bit household ids");

  const int year = pop.year + 1;
  auto translate = [&](std::size_t k, core::HouseholdId h) {
    return kernels::isNewHousehold(h) ? static_cast<core::HouseholdId>(household_base[owned[k]] + (h & ~kernels::kNewHousehold))
                                      : h;
  };
  auto newborn = [&](std::size_t k, std::uint32_t j) { return j < work_[k].newborns.size(); };
  auto newId = [&](std::size_t k, std::uint32_t j) -> core::PersonId {
    const auto& w = work_[k];
    const auto base = person_base[owned[k]];
    return j < w.newborns.size() ? base + plans[k].newborn_rank[j] : base + plans[k].kept_newborns + (j - w.newborns.size());
  };
  // The final values of a plan source of region k (a survivor or a new agent).
  auto recordOf = [&](std::size_t k, std::uint32_t src) {
    const auto& w = work_[k];
    if (!(src & kNewAgent)) {
      auto r = core::recordOf(p, pop.person_offset[k] + src);
      r.household = translate(k, r.household);
      return r;
    }
    const auto j = src & ~kNewAgent;
    core::PersonRecord r;
    r.id = newId(k, j);
    r.region = owned[k];
    if (newborn(k, j)) {
      const auto mother = w.at(w.newborns[j].mother);
      r.mother = p.id[mother];
      r.household = translate(k, p.household[mother]);
      r.birth_year = static_cast<core::Year>(year);
      r.sex = static_cast<std::uint8_t>(w.newborns[j].sex);
      r.flags = core::withNationality(core::kFlagLivesWithMother, w.newborns[j].nationality);
    } else {
      const auto& im = w.immigrants[j - w.newborns.size()];
      r.household = translate(k, im.household);
      r.birth_year = static_cast<core::Year>(year - im.age);
      r.sex = static_cast<std::uint8_t>(im.sex);
      r.flags = core::withNationality(core::kFlagNone, im.nationality);
    }
    return r;
  };
  auto householdOf = [&](std::size_t k, std::uint32_t src) {
    if (!(src & kNewAgent)) return translate(k, p.household[pop.person_offset[k] + src]);
    return recordOf(k, src).household;
  };

  // Internal migration: whole households (as they stand at the end of the year), decided by
  // their reference person (the first adult), leave for another region chosen with the
  // destination-choice model. Households bound for other ranks travel as person records
  // (parallel::exchange); arrivals are inserted by household id, in a canonical order.
  int ranks = 1;
  MPI_Comm_size(comm_, &ranks);
  const auto& provinces = inputs_.regions.provinces();
  const std::size_t n_provinces = provinces.size();
  auto provinceIndex = [&](core::RegionIndex r) { return *inputs_.regions.findProvince(inputs_.regions[r].province_code); };
  std::vector<std::vector<std::vector<core::PersonRecord>>> leaving(
      owned.size(), std::vector<std::vector<core::PersonRecord>>(static_cast<std::size_t>(ranks)));
  std::vector<std::vector<std::int64_t>> region_flows(owned.size(), std::vector<std::int64_t>(n_provinces * n_provinces, 0));
  migrants_out_.assign(owned.size(), {});
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t k = 0; k < owned.size(); ++k) {
    auto& src = plans[k].source;
    thread_local std::vector<std::uint32_t> kept;  // capacity kept between regions and years
    kept.clear();
    kept.reserve(src.size());
    for (std::size_t n = 0; n < src.size();) {
      const auto h = householdOf(k, src[n]);
      std::size_t e = n;
      while (e < src.size() && householdOf(k, src[e]) == h) ++e;
      // The reference person: the first adult (the first member if none).
      core::PersonId reference = 0;
      int age = 0;
      for (std::size_t m = n; m < e; ++m) {
        const bool old = !(src[m] & kNewAgent);
        const auto birth = old ? p.birth_year[pop.person_offset[k] + src[m]] : recordOf(k, src[m]).birth_year;
        if (m == n || (age < kernels::kAdultAge && year - 1 - birth >= kernels::kAdultAge)) {
          reference = old ? p.id[pop.person_offset[k] + src[m]] : recordOf(k, src[m]).id;
          age = year - 1 - birth;
        }
      }
      const auto stream = core::Stream(config_.seed, reference, year, core::Event::InternalMove);
      if (stream.uniform(0) < destinations_.leaveProbability(age) * policy_.outMigration(owned[k], age)) {
        const auto destination = destinations_.draw(owned[k], age, stream.uniform(1));
        for (std::size_t m = n; m < e; ++m) {
          auto r = recordOf(k, src[m]);
          r.region = destination;
          ++migrants_out_[k][static_cast<std::size_t>(std::clamp(year - r.birth_year, 0, 100))];
          leaving[k][static_cast<std::size_t>(owner_[destination])].push_back(r);
        }
        region_flows[k][provinceIndex(owned[k]) * n_provinces + provinceIndex(destination)] += static_cast<std::int64_t>(e - n);
      } else {
        kept.insert(kept.end(), src.begin() + static_cast<std::ptrdiff_t>(n), src.begin() + static_cast<std::ptrdiff_t>(e));
      }
      n = e;
    }
    src.swap(kept);
  }
  std::vector<std::vector<core::PersonRecord>> outgoing(static_cast<std::size_t>(ranks));
  for (std::size_t k = 0; k < owned.size(); ++k)
    for (std::size_t d = 0; d < outgoing.size(); ++d)
      outgoing[d].insert(outgoing[d].end(), leaving[k][d].begin(), leaving[k][d].end());
  flows_.assign(n_provinces * n_provinces, 0);
  for (const auto& f : region_flows)
    for (std::size_t x = 0; x < f.size(); ++x) flows_[x] += f[x];
  MPI_Allreduce(MPI_IN_PLACE, flows_.data(), static_cast<int>(flows_.size()), MPI_INT64_T, MPI_SUM, comm_);
  parallel::ExchangeStats exchange_stats;
  auto arrived = parallel::exchange(outgoing, comm_, exchange_stats);
  bytes_exchanged_ += exchange_stats.bytes_sent;
  exchange_seconds_ += exchange_stats.seconds;
  std::vector<int> local_of(regions_, -1);
  for (std::size_t k = 0; k < owned.size(); ++k) local_of[owned[k]] = static_cast<int>(k);
  arrivals_.assign(owned.size(), {});
  for (auto& r : arrived) {
    const int k = local_of[r.region];
    if (k < 0) throw std::runtime_error(fmt::format("a migrant for region {} arrived at a rank that does not own it", r.region));
    arrivals_[static_cast<std::size_t>(k)].push_back(r);
  }
  migrants_in_.assign(owned.size(), {});
  if (config_.model.checks) {
    // Migrants sent = migrants received, nationally.
    std::array<std::int64_t, 2> moved = {0, static_cast<std::int64_t>(arrived.size())};
    for (const auto& out : outgoing) moved[0] += static_cast<std::int64_t>(out.size());
    MPI_Allreduce(MPI_IN_PLACE, moved.data(), 2, MPI_INT64_T, MPI_SUM, comm_);
    if (moved[0] != moved[1])
      throw std::runtime_error(fmt::format("check 'migrants sent = received' failed in year {}: {} sent, {} received",
                                           year, moved[0], moved[1]));
  }
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t k = 0; k < owned.size(); ++k) {
    auto& arr = arrivals_[k];
    for (const auto& r : arr) ++migrants_in_[k][static_cast<std::size_t>(std::clamp(year - r.birth_year, 0, 100))];
    if (arr.empty()) continue;
    std::sort(arr.begin(), arr.end(), [](const core::PersonRecord& a, const core::PersonRecord& b) {
      return a.household != b.household ? a.household < b.household : a.id < b.id;
    });
    auto& src = plans[k].source;
    thread_local std::vector<std::uint32_t> merged;
    merged.clear();
    merged.reserve(src.size() + arr.size());
    std::size_t a = 0;
    for (const auto s : src) {
      const auto h = householdOf(k, s);
      while (a < arr.size() && arr[a].household < h) merged.push_back(kArrival | static_cast<std::uint32_t>(a++));
      merged.push_back(s);
    }
    while (a < arr.size()) merged.push_back(kArrival | static_cast<std::uint32_t>(a++));
    src.swap(merged);
  }

  std::vector<std::size_t> offset(owned.size() + 1, 0);
  for (std::size_t k = 0; k < owned.size(); ++k) offset[k + 1] = offset[k] + plans[k].source.size();
  const std::size_t total = offset.back();

  // Rebuilds one column: survivors keep (a function of) their value, new agents and arrivals get
  // theirs. The new values go to a spare buffer kept from year to year (no fresh pages to fault
  // in and zero), then back into the column, whose capacity is kept with some slack.
  if (spare_.size() < total) spare_.resize(total + total / 50);
  auto column = [&](auto& vec, auto old_value, auto field) {
    using T = typename std::decay_t<decltype(vec)>::value_type;
    static_assert(sizeof(T) <= sizeof(std::uint64_t));
    // Written as bytes (character access may alias any object), read back the same way.
    auto* bytes = reinterpret_cast<unsigned char*>(spare_.data());
#pragma omp parallel for schedule(dynamic, 1)
    for (std::size_t k = 0; k < owned.size(); ++k) {
      const auto& src = plans[k].source;
      const auto begin = pop.person_offset[k];
      for (std::size_t n = 0; n < src.size(); ++n) {
        const auto s = src[n];
        const T value = (s & kNewAgent) ? static_cast<T>(field(recordOf(k, s)))
                        : (s & kArrival) ? static_cast<T>(field(arrivals_[k][s & ~kArrival]))
                                         : old_value(k, begin + s);
        std::memcpy(bytes + (offset[k] + n) * sizeof(T), &value, sizeof(T));
      }
    }
    if constexpr (std::is_same_v<T, std::uint64_t>) {
      // 64-bit columns trade places with the spare buffer instead of being copied back.
      spare_.resize(total);
      vec.swap(spare_);
      if (spare_.size() < total) spare_.resize(total + total / 50);
    } else {
      if (vec.capacity() < total) vec.reserve(total + total / 50);
      vec.resize(total);
#pragma omp parallel for schedule(static)
      for (std::size_t k = 0; k < owned.size(); ++k)
        std::memcpy(vec.data() + offset[k], bytes + offset[k] * sizeof(T), (offset[k + 1] - offset[k]) * sizeof(T));
    }
  };

  // The mother and household columns read old ids and households (through recordOf), so they go
  // before the id and household columns are replaced.
  column(p.mother, [&](std::size_t, std::size_t i) { return p.mother[i]; }, [](const core::PersonRecord& r) { return r.mother; });
  column(p.household, [&](std::size_t k, std::size_t i) { return translate(k, p.household[i]); },
         [](const core::PersonRecord& r) { return r.household; });
  column(p.id, [&](std::size_t, std::size_t i) { return p.id[i]; }, [](const core::PersonRecord& r) { return r.id; });
  column(p.partner, [&](std::size_t, std::size_t i) { return p.partner[i]; },
         [](const core::PersonRecord& r) { return r.partner; });
  column(p.birth_year, [&](std::size_t, std::size_t i) { return p.birth_year[i]; },
         [](const core::PersonRecord& r) { return r.birth_year; });
  column(p.region, [&](std::size_t k, std::size_t) { return owned[k]; }, [](const core::PersonRecord& r) { return r.region; });
  column(p.sex, [&](std::size_t, std::size_t i) { return p.sex[i]; },
         [](const core::PersonRecord& r) { return static_cast<core::Sex>(r.sex); });
  column(p.parity, [&](std::size_t, std::size_t i) { return p.parity[i]; },
         [](const core::PersonRecord& r) { return r.parity; });
  column(p.flags, [&](std::size_t, std::size_t i) { return p.flags[i]; },
         [](const core::PersonRecord& r) { return r.flags; });
  pop.person_offset = offset;

  // Households: the runs of the new household column, region by region.
  std::vector<std::vector<core::HouseholdId>> ids(owned.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t k = 0; k < owned.size(); ++k)
    for (std::size_t i = offset[k]; i < offset[k + 1]; ++i)
      if (i == offset[k] || p.household[i] != p.household[i - 1]) ids[k].push_back(p.household[i]);
  pop.household_offset.assign(1, 0);
  for (const auto& v : ids) pop.household_offset.push_back(pop.household_offset.back() + v.size());
  pop.households.resize(pop.household_offset.back());
  for (std::size_t k = 0; k < owned.size(); ++k) {
    std::copy(ids[k].begin(), ids[k].end(), pop.households.id.begin() + static_cast<std::ptrdiff_t>(pop.household_offset[k]));
    std::fill_n(pop.households.region.begin() + static_cast<std::ptrdiff_t>(pop.household_offset[k]), ids[k].size(), owned[k]);
  }
  pop.next_person_id = person_base[regions_];
  pop.next_household_id = static_cast<core::HouseholdId>(household_base[regions_]);
}

void Projection::account(bool with_events) {
  const auto& pop = population_;
  const auto& p = pop.persons;
  records_.assign(pop.regions.size(), {});
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t k = 0; k < pop.regions.size(); ++k) {
    auto& rec = records_[k];
    const auto b = pop.person_offset[k];
    const auto e = pop.person_offset[k + 1];
    for (auto i = b; i < e; ++i) {
      const int s = static_cast<int>(p.sex[i]);
      const int a = core::ageClass(pop.year - p.birth_year[i]);
      ++rec.population[s][a];
      if (core::nationalityOf(p.flags[i]) == core::Nationality::National) ++rec.nationals[s][a];
    }
    for (auto i = b; i < e;) {
      auto j = i;
      bool couple = false;
      bool child_with_mother = false;
      while (j < e && p.household[j] == p.household[i]) {
        couple |= p.partner[j] != core::kNoPerson;
        child_with_mother |= (p.flags[j] & core::kFlagLivesWithMother) != 0;
        ++j;
      }
      const auto size = j - i;
      ++rec.household_size[std::min<std::size_t>(size, io::kHouseholdSizes) - 1];
      const int type = size == 1 ? 0 : couple ? (size == 2 ? 1 : 2) : child_with_mother ? 3 : 4;
      ++rec.household_type[type];
      i = j;
    }
    if (!with_events) continue;
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
    rec.elderly_moved = w.elderly_moved;
    rec.orphans_placed = w.orphans_placed;
  }
}

void Projection::check(const std::vector<std::int64_t>& persons_before) const {
  const auto& pop = population_;
  const auto& p = pop.persons;
  std::vector<std::string> failures(pop.regions.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t k = 0; k < pop.regions.size(); ++k) {
    const auto& rec = records_[k];
    const auto region = inputs_.regions[pop.regions[k]];
    auto fail = [&](const std::string& check, const std::string& detail) {
      if (failures[k].empty())
        failures[k] = fmt::format("check '{}' failed in year {}, region {} ({}): {}", check, pop.year, region.code,
                                  region.name_en, detail);
    };
    std::int64_t deaths = 0;
    for (const auto& s : rec.deaths) deaths += std::accumulate(s.begin(), s.end(), std::int64_t{0});
    const std::int64_t births = std::accumulate(rec.births.begin(), rec.births.end(), std::int64_t{0});
    const auto after = static_cast<std::int64_t>(pop.person_offset[k + 1] - pop.person_offset[k]);
    const auto expected =
        persons_before[k] + births - deaths + rec.immigrants - rec.emigrants + rec.migrants_in - rec.migrants_out;
    if (after != expected)
      fail("conservation", fmt::format("{} persons, expected {} = {} + {} births - {} deaths + {} immigrants - {} "
                                       "emigrants + {} in-migrants - {} out-migrants",
                                       after, expected, persons_before[k], births, deaths, rec.immigrants,
                                       rec.emigrants, rec.migrants_in, rec.migrants_out));
    const auto b = pop.person_offset[k];
    const auto e = pop.person_offset[k + 1];
    // Minors can only live with an adult where the region has one (a tiny sample may have none).
    bool region_has_adult = false;
    for (auto i = b; i < e && !region_has_adult; ++i) region_has_adult = pop.year - p.birth_year[i] >= kernels::kAdultAge;
    for (auto i = b; i < e && failures[k].empty();) {
      auto j = i;
      bool adult = false;
      while (j < e && p.household[j] == p.household[i]) adult |= pop.year - p.birth_year[j++] >= kernels::kAdultAge;
      if (j < e && p.household[j] < p.household[i])
        fail("one household per person", fmt::format("household {} is not contiguous", p.household[j]));
      if (!adult && region_has_adult)
        fail("an adult in every household", fmt::format("household {} has only minors", p.household[i]));
      for (auto x = i; x < j; ++x) {
        if (p.id[x] >= pop.next_person_id || p.id[x] == core::kNoPerson)
          fail("unique ids", fmt::format("id {} was never issued", p.id[x]));
        if (p.partner[x] == core::kNoPerson) continue;
        auto y = i;
        while (y < j && p.id[y] != p.partner[x]) ++y;
        if (y == j || p.partner[y] != p.id[x])
          fail("partners", fmt::format("person {} and partner {} are not a mutual couple in one household", p.id[x], p.partner[x]));
      }
      i = j;
    }
  }
  for (const auto& f : failures)
    if (!f.empty()) throw std::runtime_error(f);
}

}  // namespace popsim::model
