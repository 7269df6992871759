// The region table: the simulation's spatial units (si/gun/gu for Korea) and their provinces.
// Nothing here is specific to one level: a finer level only means a longer table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/types.hpp"

namespace popsim::core {

struct Province {
  int code = 0;
  std::string name_ko;
  std::string name_en;
  bool capital_region = false;
  double tfr_base = 0.0;  // total fertility rate in the base year
};

struct Region {
  std::int64_t code = 0;  // administrative code, e.g. MOIS 10-digit
  std::string name_ko;
  std::string name_en;
  int province_code = 0;
  bool capital_region = false;
  bool declining_area = false;
  double centroid_lon = 0.0;
  double centroid_lat = 0.0;
  double area_km2 = 0.0;
};

class RegionTable {
 public:
  RegionTable() = default;
  RegionTable(std::vector<Region> regions, std::vector<Province> provinces);

  std::size_t size() const { return regions_.size(); }
  const Region& operator[](RegionIndex index) const { return regions_[index]; }
  const std::vector<Region>& regions() const { return regions_; }
  const std::vector<Province>& provinces() const { return provinces_; }
  std::optional<RegionIndex> find(std::int64_t code) const;
  std::optional<std::size_t> findProvince(int code) const;
  // The file the table was read from (named in messages about other tables that must match it).
  const std::string& source() const { return source_; }
  void setSource(std::string source) { source_ = std::move(source); }

 private:
  std::string source_;
  std::vector<Region> regions_;
  std::vector<Province> provinces_;
  std::unordered_map<std::int64_t, RegionIndex> index_of_code_;
  std::unordered_map<int, std::size_t> index_of_province_;
};

}  // namespace popsim::core
