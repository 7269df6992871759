#include <gtest/gtest.h>

#include "core/regions.hpp"

namespace popsim::core {

TEST(RegionTable, FindsRegionsAndProvincesByCode) {
  std::vector<Region> regions(2);
  regions[0].code = 1111000000;
  regions[0].province_code = 11;
  regions[1].code = 2611000000;
  regions[1].province_code = 26;
  std::vector<Province> provinces(2);
  provinces[0].code = 11;
  provinces[1].code = 26;
  const RegionTable table(regions, provinces);
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table.find(2611000000), RegionIndex{1});
  EXPECT_FALSE(table.find(123).has_value());
  EXPECT_EQ(table.findProvince(26), std::size_t{1});
  EXPECT_FALSE(table.findProvince(99).has_value());
}

}  // namespace popsim::core
