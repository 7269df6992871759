#include "model/outlook.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "model/policy.hpp"

namespace popsim::model {
namespace {

const io::ResultsTable& table(const std::vector<io::ResultsTable>& results, const std::string& name) {
  for (const auto& t : results)
    if (t.name == name) return t;
  throw std::logic_error("outlook: results lack " + name);
}

// Median age of single-year counts 0..100 (linear within the year of age).
double medianAge(const std::array<double, 101>& n) {
  double total = 0.0;
  for (const auto x : n) total += x;
  if (total <= 0.0) return std::numeric_limits<double>::quiet_NaN();
  double cum = 0.0;
  for (std::size_t a = 0; a < n.size(); ++a) {
    if (cum + n[a] >= total / 2.0 && n[a] > 0.0) return static_cast<double>(a) + (total / 2.0 - cum) / n[a];
    cum += n[a];
  }
  return 100.0;
}

}  // namespace

std::vector<OutlookTable> outlook(const std::vector<io::ResultsTable>& results, std::uint64_t rows,
                                  const core::RegionTable& regions, double scale, double population_threshold) {
  // KEIS's index and the population threshold are of the registered population: nationals.
  const auto& pop = table(results, "nationals/population");  // [Y, R, 2, 101]
  const auto& everyone = table(results, "population");  // [Y, R, 2, 101], the aggregates' population
  const auto& births = table(results, "births");     // [Y, R, 35]
  const auto& in = table(results, "migration/in");   // [Y, R]
  const auto& out = table(results, "migration/out");
  const auto& years = table(results, "years");
  const std::size_t Y = pop.shape[0];
  const std::size_t R = regions.size();
  const std::size_t P = regions.provinces().size();
  if (pop.shape[1] != R) throw std::logic_error("outlook: region count differs");
  rows = std::min<std::uint64_t>(rows, pop.rows);
  auto age = [&](std::size_t t, std::size_t r, int s, int a) {
    return static_cast<double>(pop.values[((t * R + r) * 2 + static_cast<std::size_t>(s)) * 101 + static_cast<std::size_t>(a)]);
  };
  auto resident = [&](std::size_t t, std::size_t r, int s, int a) {
    return static_cast<double>(
        everyone.values[((t * R + r) * 2 + static_cast<std::size_t>(s)) * 101 + static_cast<std::size_t>(a)]);
  };
  auto yearOf = [&](std::size_t t) { return years.values[t]; };
  const double nan = std::numeric_limits<double>::quiet_NaN();

  std::vector<OutlookTable> out_tables;
  OutlookTable index{"extinction/index", {Y, R}, std::vector<double>(Y * R, nan), {}, "ratio",
                     "local extinction index (KEIS): national women aged 20-39 / nationals aged 65+ at the end of the year "
                     "(NaN: not simulated)",
                     "year,region"};
  OutlookTable klass{"extinction/class", {Y, R}, {}, std::vector<std::int64_t>(Y * R, -1), "class",
                     "extinction-risk class: 0 high risk (index < 0.2), 1 risk (0.2-0.5), 2 caution (0.5-1.0), "
                     "3 normal (1.0-1.5), 4 low risk (>= 1.5); -1 not simulated",
                     "year,region"};
  OutlookTable by_class{"extinction/regions_by_class", {Y, kExtinctionClasses}, {},
                        std::vector<std::int64_t>(Y * kExtinctionClasses, 0), "regions",
                        "number of regions in each extinction-risk class", "year,class"};
  OutlookTable first_in{"extinction/first_year_in_class", {R, kExtinctionClasses}, {},
                        std::vector<std::int64_t>(R * kExtinctionClasses, -1), "year",
                        "first year (of /years, the start state included) the region is in each class; -1 never",
                        "region,class"};
  OutlookTable first_below{"extinction/first_year_below", {R}, {}, std::vector<std::int64_t>(R, -1), "year",
                           fmt::format("first year the region's nationals (agents / scale) are below {} persons "
                                       "([outlook] population_threshold); -1 never", population_threshold),
                           "region"};
  for (std::size_t t = 0; t < rows; ++t)
    for (std::size_t r = 0; r < R; ++r) {
      double women = 0.0, old = 0.0, total = 0.0;
      for (int a = 20; a <= 39; ++a) women += age(t, r, 1, a);
      for (int s = 0; s < 2; ++s)
        for (int a = 0; a <= 100; ++a) {
          total += age(t, r, s, a);
          if (a >= 65) old += age(t, r, s, a);
        }
      const double x = extinctionIndex(women, old);
      const int c = extinctionClass(x);
      index.real[t * R + r] = x;
      klass.count[t * R + r] = c;
      ++by_class.count[t * kExtinctionClasses + static_cast<std::size_t>(c)];
      auto& first = first_in.count[r * kExtinctionClasses + static_cast<std::size_t>(c)];
      if (first < 0) first = yearOf(t);
      if (first_below.count[r] < 0 && total / scale < population_threshold) first_below.count[r] = yearOf(t);
    }
  out_tables.push_back(std::move(index));
  out_tables.push_back(std::move(klass));
  out_tables.push_back(std::move(by_class));
  out_tables.push_back(std::move(first_in));
  out_tables.push_back(std::move(first_below));

  // Aggregates over groups of regions (everyone resident): the 17 provinces, and the capital
  // region vs the rest.
  auto aggregate = [&](const std::string& group, std::size_t G, auto groupOf, const std::string& axis) {
    std::vector<double> population(Y * G, nan), share65(Y * G, nan), median(Y * G, nan), dependency(Y * G, nan),
        born(Y * G, nan), net(Y * G, nan);
    for (std::size_t t = 0; t < rows; ++t) {
      std::vector<std::array<double, 101>> n(G, std::array<double, 101>{});
      std::vector<double> b(G, 0.0), m(G, 0.0);
      for (std::size_t r = 0; r < R; ++r) {
        const auto g = groupOf(r);
        for (int s = 0; s < 2; ++s)
          for (int a = 0; a <= 100; ++a) n[g][static_cast<std::size_t>(a)] += resident(t, r, s, a);
        for (std::size_t k = 0; k < 35; ++k) b[g] += static_cast<double>(births.values[(t * R + r) * 35 + k]);
        m[g] += static_cast<double>(in.values[t * R + r] - out.values[t * R + r]);
      }
      for (std::size_t g = 0; g < G; ++g) {
        double total = 0.0, old = 0.0, working = 0.0;
        for (int a = 0; a <= 100; ++a) {
          const double x = n[g][static_cast<std::size_t>(a)];
          total += x;
          if (a >= 65) old += x;
          else if (a >= 15) working += x;
        }
        population[t * G + g] = total;
        share65[t * G + g] = total > 0.0 ? old / total : nan;
        median[t * G + g] = medianAge(n[g]);
        dependency[t * G + g] = working > 0.0 ? 100.0 * old / working : nan;
        born[t * G + g] = b[g];
        net[t * G + g] = m[g];
      }
    }
    const std::string axes = "year," + axis;
    const std::string prefix = "aggregates/" + group + "/";
    out_tables.push_back({prefix + "population", {Y, G}, population, {}, "persons", "persons at the end of the year (agents)", axes});
    out_tables.push_back({prefix + "share_65plus", {Y, G}, share65, {}, "fraction", "share of persons aged 65+", axes});
    out_tables.push_back({prefix + "median_age", {Y, G}, median, {}, "years", "median age (single years, interpolated)", axes});
    out_tables.push_back({prefix + "old_age_dependency", {Y, G}, dependency, {}, "per 100",
                          "persons aged 65+ per 100 persons aged 15-64", axes});
    out_tables.push_back({prefix + "births", {Y, G}, born, {}, "births", "live births during the year (agents)", axes});
    out_tables.push_back({prefix + "net_internal_migration", {Y, G}, net, {}, "persons",
                          "internal in-migrants - out-migrants during the year (agents; moves inside the group cancel)", axes});
  };
  std::vector<std::size_t> province_of(R);
  for (std::size_t r = 0; r < R; ++r)
    province_of[r] = *regions.findProvince(regions[static_cast<core::RegionIndex>(r)].province_code);
  aggregate("province", P, [&](std::size_t r) { return province_of[r]; }, "province");
  aggregate("capital", 2, [&](std::size_t r) { return regions[static_cast<core::RegionIndex>(r)].capital_region ? 0u : 1u; },
            "capital_or_rest");
  return out_tables;
}

}  // namespace popsim::model
