// Emigration and immigration by nationality: kernel 5 of the year (kernels/demography.hpp).
#include "kernels/demography.hpp"

#include <algorithm>

#include "kernels/detail.hpp"

namespace popsim::kernels {

using core::Event;
using core::kAgeClasses;
using detail::sexIndex;

namespace {

constexpr int kCells = core::kSexes * kAgeClasses;

// The nationality-sex-age cell of person i at the end of the year.
int cellOf(const RegionYear& r, std::size_t i) {
  return static_cast<int>(r.nationality(i)) * kCells + sexIndex(r, i) * kAgeClasses + core::ageClass(r.ageAtStart(i) + 1);
}

// `k` distinct ranks out of [0, n), uniformly (Floyd's algorithm), ascending.
void sampleRanks(std::uint32_t k, std::uint32_t n, const core::Stream& stream, std::uint32_t& draw,
                 std::vector<std::uint32_t>& ranks) {
  ranks.clear();
  for (std::uint32_t j = n - k; j < n; ++j) {
    const auto t = static_cast<std::uint32_t>((stream.bits64(draw++) >> 32) * (j + 1) >> 32);
    ranks.push_back(std::find(ranks.begin(), ranks.end(), t) == ranks.end() ? t : j);
  }
  std::sort(ranks.begin(), ranks.end());
}

// Emigration: in each cell with a quota, a simple random sample of the cell's residents (by
// their order in the region) leaves; the sample is drawn from the region's stream, so no
// resident needs a draw of its own.
void emigrate(RegionYear& r, const ByNationalitySexAge& emigrants) {
  std::array<std::uint32_t, core::kNationalities * kCells> residents{};
  for (std::size_t i = 0; i < r.size(); ++i)
    if (r.alive(i)) ++residents[static_cast<std::size_t>(cellOf(r, i))];
  // The chosen ranks of every cell, concatenated; first[c] is where cell c's begin.
  thread_local std::vector<std::uint32_t> chosen, ranks;
  chosen.clear();
  std::array<std::uint32_t, core::kNationalities * kCells + 1> first{};
  const core::Stream stream(r.seed, core::regionEntity(r.region_code), r.year, Event::Emigration);
  std::uint32_t draw = 0;
  for (std::size_t c = 0; c < residents.size(); ++c) {
    first[c] = static_cast<std::uint32_t>(chosen.size());
    const auto quota = emigrants[c / kCells][c % kCells / kAgeClasses][c % kAgeClasses];
    const auto n = residents[c];
    if (quota <= 0 || n == 0) continue;
    if (static_cast<std::uint64_t>(quota) >= n) {
      for (std::uint32_t k = 0; k < n; ++k) chosen.push_back(k);
      continue;
    }
    sampleRanks(static_cast<std::uint32_t>(quota), n, stream, draw, ranks);
    chosen.insert(chosen.end(), ranks.begin(), ranks.end());
  }
  first.back() = static_cast<std::uint32_t>(chosen.size());
  if (chosen.empty()) return;
  std::array<std::uint32_t, core::kNationalities * kCells> seen{}, next{};
  for (std::size_t c = 0; c < next.size(); ++c) next[c] = first[c];
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (!r.alive(i)) continue;
    const auto c = static_cast<std::size_t>(cellOf(r, i));
    if (next[c] == first[c + 1] || chosen[next[c]] != seen[c]++) continue;
    ++next[c];
    r.removed[i] = Removal::Emigrated;
    ++r.emigrants[c % kCells / kAgeClasses][c % kAgeClasses];
    if (c / kCells == static_cast<std::size_t>(core::Nationality::National)) ++r.national_emigrants;
    detail::unlinkPartner(r, i);
  }
}

// The household an adult immigrant of nationality n joins: a foreign immigrant starts one of their
// own with probability `own_share`, otherwise joins the household of a foreign resident of the
// region drawn at random (family reunification, workers sharing), or, if none is found, of a
// foreign adult who arrived earlier this year. Nationals (returning Koreans) start their own.
core::HouseholdId arrivalHousehold(RegionYear& r, core::Nationality n, double own_share, const core::Stream& draw,
                                   std::uint32_t& d, const std::vector<std::size_t>& earlier) {
  if (n == core::Nationality::National || draw.uniform(d++) < own_share) return r.newHousehold();
  for (std::uint32_t tries = 0; tries < 64 && r.size() > 0; ++tries) {
    const auto k = static_cast<std::size_t>(draw.uniform(d++) * static_cast<double>(r.size()));
    if (r.alive(k) && r.nationality(k) == core::Nationality::Foreign) return r.p().household[r.at(k)];
  }
  if (!earlier.empty()) return r.immigrants[earlier[static_cast<std::size_t>(draw.uniform(d++) * static_cast<double>(earlier.size()))]].household;
  return r.newHousehold();
}

}  // namespace

void internationalMigration(RegionYear& r, const ByNationalitySexAge& emigrants, const ByNationalitySexAge& immigrants,
                            double foreign_own_household_share) {
  auto& p = r.p();
  emigrate(r, emigrants);
  // Adults arrive in a household of their own or join a foreign household (arrivalHousehold);
  // children arrive with an adult immigrant woman of parenting age and their nationality (any
  // adult immigrant of it if there is none), or join a resident woman's household.
  std::uint32_t hosted = 0;  // children placed with a resident, for their draws
  const core::Stream joining(r.seed, core::regionEntity(r.region_code), r.year, Event::ImmigrantHousehold);
  std::uint32_t joining_draw = 0;
  for (int n = 0; n < core::kNationalities; ++n) {
    const auto nationality = static_cast<core::Nationality>(n);
    std::vector<std::size_t> parents, adults, arrived;
    for (int s = 0; s < core::kSexes; ++s)
      for (int a = kAdultAge; a < kAgeClasses; ++a)
        for (std::int64_t k = 0; k < immigrants[n][s][a]; ++k) {
          const auto h = arrivalHousehold(r, nationality, foreign_own_household_share, joining, joining_draw, arrived);
          (s == 1 && a >= 20 && a <= 49 ? parents : adults).push_back(r.immigrants.size());
          arrived.push_back(r.immigrants.size());
          r.immigrants.push_back({static_cast<core::Sex>(s), static_cast<std::int16_t>(a), h, nationality});
        }
    if (parents.empty()) parents = adults;
    std::size_t next_parent = 0;
    for (int s = 0; s < core::kSexes; ++s)
      for (int a = 0; a < kAdultAge; ++a)
        for (std::int64_t k = 0; k < immigrants[n][s][a]; ++k) {
          core::HouseholdId h = 0;
          if (!parents.empty()) {
            h = r.immigrants[parents[next_parent++ % parents.size()]].household;
          } else {
            const auto draw = core::Stream(r.seed, core::regionEntity(r.region_code), r.year, Event::OrphanHost);
            for (std::uint32_t d = 0; d < 4096 && h == 0; ++d) {
              const auto i = static_cast<std::size_t>(draw.uniform(d + hosted * 4096u) * static_cast<double>(r.size()));
              const int age = r.ageAtStart(i) + 1;
              if (r.alive(i) && p.sex[r.at(i)] == core::Sex::Female && age >= 25 && age <= 60) h = p.household[r.at(i)];
            }
            ++hosted;
            if (h == 0) h = r.newHousehold();  // a region without a possible host: the check reports it
          }
          r.immigrants.push_back({static_cast<core::Sex>(s), static_cast<std::int16_t>(a), h, nationality});
        }
  }
}

}  // namespace popsim::kernels
