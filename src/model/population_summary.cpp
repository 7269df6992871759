#include "model/population_summary.hpp"

#include <algorithm>
#include <map>

#include "model/policy.hpp"

namespace popsim::model {
namespace {

double ratio(std::int64_t a, std::int64_t b) { return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b); }

}  // namespace

double AreaSummary::meanHouseholdSize() const { return ratio(persons, households); }
double AreaSummary::oneShare() const { return ratio(one_person, households); }
double AreaSummary::share65() const { return ratio(aged_65_plus, persons); }
double AreaSummary::extinctionIndex() const {
  return model::extinctionIndex(static_cast<double>(national_women_20_39), static_cast<double>(national_65_plus));
}

AreaSummary& AreaSummary::operator+=(const AreaSummary& o) {
  regions += o.regions;
  persons += o.persons;
  nationals += o.nationals;
  households += o.households;
  one_person += o.one_person;
  aged_65_plus += o.aged_65_plus;
  national_65_plus += o.national_65_plus;
  national_women_20_39 += o.national_women_20_39;
  return *this;
}

std::vector<AreaSummary> summarizeByProvince(const io::CheckpointIndex& index,
                                             const io::PersonSummaryColumns& columns, const std::string& nation) {
  const auto& regions = index.regions;
  const int year = index.meta.year;
  std::map<int, AreaSummary> by_province;
  for (std::size_t r = 0; r < regions.size(); ++r) {
    auto& t = by_province[regions[static_cast<core::RegionIndex>(r)].province_code];
    const auto p0 = index.person_offset[r];
    const auto p1 = index.person_offset[r + 1];
    // A region's household ids are consecutive from its smallest one.
    core::HouseholdId first = 0;
    if (p1 > p0)
      first = *std::min_element(columns.household.begin() + static_cast<std::ptrdiff_t>(p0),
                                columns.household.begin() + static_cast<std::ptrdiff_t>(p1));
    std::vector<std::uint32_t> size(index.household_offset[r + 1] - index.household_offset[r], 0);
    for (auto i = p0; i < p1; ++i) {
      const int age = year - columns.birth_year[i];
      const bool national = core::nationalityOf(columns.flags[i]) == core::Nationality::National;
      t.aged_65_plus += age >= 65;
      t.nationals += national;
      t.national_65_plus += national && age >= 65;
      t.national_women_20_39 += national && columns.sex[i] == 1 && age >= 20 && age <= 39;
      const auto k = columns.household[i] - first;
      if (k < size.size()) ++size[k];
    }
    t.regions += 1;
    t.persons += static_cast<std::int64_t>(p1 - p0);
    t.households += static_cast<std::int64_t>(size.size());
    t.one_person += std::count(size.begin(), size.end(), 1u);
  }
  std::vector<AreaSummary> out;
  AreaSummary total;
  total.name = nation;
  for (const auto& p : regions.provinces()) {
    auto t = by_province[p.code];
    t.code = p.code;
    t.name = p.name_en;
    total += t;
    out.push_back(std::move(t));
  }
  out.push_back(std::move(total));
  return out;
}

}  // namespace popsim::model
