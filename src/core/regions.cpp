#include "core/regions.hpp"

namespace popsim::core {

RegionTable::RegionTable(std::vector<Region> regions, std::vector<Province> provinces)
    : regions_(std::move(regions)), provinces_(std::move(provinces)) {
  for (std::size_t i = 0; i < regions_.size(); ++i)
    index_of_code_.emplace(regions_[i].code, static_cast<RegionIndex>(i));
  for (std::size_t i = 0; i < provinces_.size(); ++i)
    index_of_province_.emplace(provinces_[i].code, i);
}

std::optional<RegionIndex> RegionTable::find(std::int64_t code) const {
  auto it = index_of_code_.find(code);
  if (it == index_of_code_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::size_t> RegionTable::findProvince(int code) const {
  auto it = index_of_province_.find(code);
  if (it == index_of_province_.end()) return std::nullopt;
  return it->second;
}

}  // namespace popsim::core
