// Emigration and immigration by nationality: kernel 5 of the year (kernels/demography.hpp).
#include "kernels/demography.hpp"

#include <algorithm>
#include <tuple>

#include "kernels/detail.hpp"

namespace popsim::kernels {

using core::Event;
using core::kAgeClasses;
using detail::sexIndex;

void internationalMigration(RegionYear& r, const ByNationalitySexAge& emigrants, const ByNationalitySexAge& immigrants) {
  auto& p = r.p();
  constexpr int kCells = core::kSexes * kAgeClasses;
  std::int64_t wanted = 0;
  for (const auto& by_sex : emigrants)
    for (const auto& by_age : by_sex)
      for (const auto e : by_age) wanted += e;
  if (wanted > 0) {
    // (cell, key, local index): in each nationality-sex-age cell, the smallest keys emigrate.
    std::vector<std::tuple<int, std::uint64_t, std::size_t>> candidates;
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (!r.alive(i)) continue;
      const int n = static_cast<int>(r.nationality(i));
      const int s = sexIndex(r, i);
      const int a = core::ageClass(r.ageAtStart(i) + 1);
      if (emigrants[n][s][a] > 0)
        candidates.emplace_back(n * kCells + s * kAgeClasses + a, r.stream(i, Event::Emigration).bits64(0), i);
    }
    std::sort(candidates.begin(), candidates.end());
    auto left = emigrants;
    for (const auto& [cell, key, i] : candidates) {
      const int n = cell / kCells;
      const int s = cell % kCells / kAgeClasses;
      const int a = cell % kAgeClasses;
      auto& quota = left[n][s][a];
      if (quota == 0) continue;
      --quota;
      r.removed[i] = Removal::Emigrated;
      ++r.emigrants[s][a];
      if (n == static_cast<int>(core::Nationality::National)) ++r.national_emigrants;
      detail::unlinkPartner(r, i);
    }
  }
  // Adults arrive in households of their own; children arrive with an adult immigrant woman of
  // parenting age and their nationality (any adult immigrant of it if there is none), or join a
  // resident woman's household.
  std::uint32_t hosted = 0;  // children placed with a resident, for their draws
  for (int n = 0; n < core::kNationalities; ++n) {
    const auto nationality = static_cast<core::Nationality>(n);
    std::vector<std::size_t> parents, adults;
    for (int s = 0; s < core::kSexes; ++s)
      for (int a = kAdultAge; a < kAgeClasses; ++a)
        for (std::int64_t k = 0; k < immigrants[n][s][a]; ++k) {
          (s == 1 && a >= 20 && a <= 49 ? parents : adults).push_back(r.immigrants.size());
          r.immigrants.push_back({static_cast<core::Sex>(s), static_cast<std::int16_t>(a), r.newHousehold(), nationality});
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
