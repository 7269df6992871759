// The results file: the household indicators are written collectively in their documented layout
// (rows of every rank's regions, units, description, axes, the head-age groups), carried by the
// checkpoint tables, and read by `popsim info`'s summary, also from files that predate them.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <numeric>

#include "io/detail/hdf5.hpp"
#include "io/results.hpp"
#include "parallel/decomposition.hpp"
#include "support/test_support.hpp"

namespace popsim::io {
namespace {

constexpr int kYears = 2;  // time points 0..2

// A record whose every household indicator has a value of its own for region r at time point t.
RegionYearRecord recordOf(std::size_t r, int t) {
  const auto base = static_cast<std::int64_t>(r * 1000 + static_cast<std::size_t>(t) * 100000);
  RegionYearRecord rec;
  for (std::size_t s = 0; s < 2; ++s)
    for (std::size_t a = 0; a < 101; ++a) rec.living_alone[s][a] = base + static_cast<std::int64_t>(s * 101 + a);
  rec.alone_65plus = base + 1;
  rec.alone_80plus = base + 2;
  rec.with_child_under_6 = base + 3;
  rec.with_child_under_18 = base + 4;
  for (std::size_t g = 0; g < kHeadAgeGroups.size(); ++g) rec.by_head_age[g] = base + 10 + static_cast<std::int64_t>(g);
  rec.foreign_households = base + 5;
  rec.mixed_nationality = base + 6;
  rec.household_size[0] = base + 7;
  rec.household_size[3] = 11;
  return rec;
}

// The indicator datasets: name, shape after [Y, R], and region r's row at time point t.
struct Expected {
  std::string name;
  std::vector<hsize_t> inner;
  std::vector<std::int64_t> (*row)(const RegionYearRecord&);
};

const std::vector<Expected>& indicators() {
  static const std::vector<Expected> list = {
      {"households/living_alone", {2, 101},
       [](const RegionYearRecord& r) {
         std::vector<std::int64_t> v;
         for (const auto& s : r.living_alone) v.insert(v.end(), s.begin(), s.end());
         return v;
       }},
      {"households/alone_65plus", {}, [](const RegionYearRecord& r) { return std::vector<std::int64_t>{r.alone_65plus}; }},
      {"households/alone_80plus", {}, [](const RegionYearRecord& r) { return std::vector<std::int64_t>{r.alone_80plus}; }},
      {"households/with_child_under_6", {},
       [](const RegionYearRecord& r) { return std::vector<std::int64_t>{r.with_child_under_6}; }},
      {"households/with_child_under_18", {},
       [](const RegionYearRecord& r) { return std::vector<std::int64_t>{r.with_child_under_18}; }},
      {"households/by_head_age", {kHeadAgeGroups.size()},
       [](const RegionYearRecord& r) { return std::vector<std::int64_t>(r.by_head_age.begin(), r.by_head_age.end()); }},
      {"households/foreign", {}, [](const RegionYearRecord& r) { return std::vector<std::int64_t>{r.foreign_households}; }},
      {"households/mixed_nationality", {},
       [](const RegionYearRecord& r) { return std::vector<std::int64_t>{r.mixed_nationality}; }},
  };
  return list;
}

TEST(Results, HeadAgeGroupsAreTheDocumentedTenYearBands) {
  ASSERT_EQ(kHeadAgeGroups.size(), 7u);
  EXPECT_STREQ(kHeadAgeGroups.front(), "under 30");
  EXPECT_STREQ(kHeadAgeGroups.back(), "80+");
  for (const auto& [age, group] : std::vector<std::pair<int, std::size_t>>{
           {0, 0}, {17, 0}, {29, 0}, {30, 1}, {39, 1}, {40, 2}, {59, 3}, {60, 4}, {69, 4}, {70, 5}, {79, 5}, {80, 6}, {100, 6}, {120, 6}})
    EXPECT_EQ(headAgeGroup(age), group) << "age " << age;
}

class ResultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto& regions = test::baselineInputs().regions;
    std::vector<int> owner(regions.size());
    for (std::size_t r = 0; r < owner.size(); ++r) owner[r] = static_cast<int>(r % static_cast<std::size_t>(test::size()));
    owned_ = parallel::ownedRegions(owner, test::rank());
    path_ = (dir_.path() / "results.h5").string();
    RunMeta meta;
    meta.start_year = 2023;
    meta.years = kYears;
    meta.ranks = test::size();
    writer_ = std::make_unique<ResultsWriter>(path_, regions, meta, MPI_COMM_WORLD);
    for (int t = 0; t <= kYears; ++t) {
      std::vector<RegionYearRecord> records;
      for (const auto r : owned_) records.push_back(recordOf(r, t));
      writer_->writeYear(t, 2023 + t, owned_, records, {});
    }
  }
  test::TempDir dir_{MPI_COMM_WORLD};
  std::vector<core::RegionIndex> owned_;
  std::string path_;
  std::unique_ptr<ResultsWriter> writer_;
};

std::string stringAttribute(hid_t file, const std::string& dataset, const std::string& name) {
  detail::Handle d(H5Dopen2(file, dataset.c_str(), H5P_DEFAULT), H5Dclose, "opening " + dataset);
  return detail::readStringAttribute(d, name);
}

TEST_F(ResultsTest, WritesTheHouseholdIndicatorsOfEveryRegion) {
  writer_->finish(0.0);
  if (test::rank() != 0) return;
  const auto R = static_cast<hsize_t>(test::baselineInputs().regions.size());
  detail::Handle file(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "opening " + path_);
  for (const auto& e : indicators()) {
    std::vector<hsize_t> shape = {kYears + 1, R};
    shape.insert(shape.end(), e.inner.begin(), e.inner.end());
    std::vector<hsize_t> dims;
    const auto values = detail::readWhole<std::int64_t>(file, e.name, dims, shape);  // throws on another shape
    const std::size_t width = values.size() / ((kYears + 1) * R);
    for (int t = 0; t <= kYears; ++t)
      for (std::size_t r = 0; r < R; ++r) {
        const auto expected = e.row(recordOf(r, t));
        ASSERT_EQ(expected.size(), width) << e.name;
        const auto* row = values.data() + (static_cast<std::size_t>(t) * R + r) * width;
        ASSERT_TRUE(std::equal(expected.begin(), expected.end(), row)) << e.name << " time point " << t << " region " << r;
      }
    EXPECT_FALSE(stringAttribute(file, e.name, "units").empty()) << e.name;
    EXPECT_FALSE(stringAttribute(file, e.name, "description").empty()) << e.name;
    EXPECT_EQ(stringAttribute(file, e.name, "axes").rfind("year,region", 0), 0u) << e.name;
  }
  EXPECT_EQ(stringAttribute(file, "households/living_alone", "axes"), "year,region,sex,age");
  EXPECT_EQ(stringAttribute(file, "households/by_head_age", "groups"),
            "0: under 30; 1: 30-39; 2: 40-49; 3: 50-59; 4: 60-69; 5: 70-79; 6: 80+");
  EXPECT_NE(stringAttribute(file, "households/by_head_age", "description").find("reference person"), std::string::npos);
}

TEST_F(ResultsTest, CheckpointTablesCarryTheHouseholdIndicators) {
  const auto tables = writer_->tables(2);
  for (const auto& e : indicators()) {
    const auto it = std::find_if(tables.begin(), tables.end(), [&](const ResultsTable& t) { return t.name == e.name; });
    ASSERT_NE(it, tables.end()) << e.name << " is not carried by checkpoints";
    EXPECT_EQ(it->rows, 2u);
    const auto width = it->values.size() / (2 * test::baselineInputs().regions.size());
    const auto expected = e.row(recordOf(5, 1));
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), it->values.begin() + static_cast<std::ptrdiff_t>((test::baselineInputs().regions.size() + 5) * width)))
        << e.name;
  }
  // A checkpoint of an older popsim (no indicator tables): restored, with the missing ones named.
  std::vector<ResultsTable> older;
  for (const auto& t : tables)
    if (t.name.find("households/") != 0 || t.name == "households/size" || t.name == "households/type") older.push_back(t);
  const auto missing = writer_->restore(older);
  std::vector<std::string> names;
  for (const auto& e : indicators()) names.push_back(e.name);
  for (const auto* other : {"households/left_home", "households/returned_home", "households/elderly_moved",
                             "households/orphans_placed"}) names.emplace_back(other);
  std::sort(names.begin(), names.end());
  auto sorted = missing;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, names);
  EXPECT_TRUE(writer_->restore(tables).empty());
  writer_->finish(0.0);
}

TEST_F(ResultsTest, TheSummaryReadsTheIndicatorsAndFilesWithoutThem) {
  writer_->finish(0.0);
  if (test::rank() != 0) return;
  const std::size_t R = test::baselineInputs().regions.size();
  auto national = [&](int t, std::int64_t (*field)(const RegionYearRecord&)) {
    std::int64_t sum = 0;
    for (std::size_t r = 0; r < R; ++r) sum += field(recordOf(r, t));
    return sum;
  };
  const auto s = readResultsSummary(path_);
  ASSERT_EQ(s.alone_65plus.size(), kYears + 1u);
  ASSERT_EQ(s.alone_80plus.size(), kYears + 1u);
  ASSERT_EQ(s.with_child_under_6.size(), kYears + 1u);
  for (int t = 0; t <= kYears; ++t) {
    const auto k = static_cast<std::size_t>(t);
    EXPECT_EQ(s.alone_65plus[k], national(t, [](const RegionYearRecord& r) { return r.alone_65plus; }));
    EXPECT_EQ(s.alone_80plus[k], national(t, [](const RegionYearRecord& r) { return r.alone_80plus; }));
    EXPECT_EQ(s.with_child_under_6[k], national(t, [](const RegionYearRecord& r) { return r.with_child_under_6; }));
    EXPECT_EQ(s.one_person[k], national(t, [](const RegionYearRecord& r) { return r.household_size[0]; }));
    EXPECT_EQ(s.households[k], national(t, [](const RegionYearRecord& r) { return r.household_size[0] + r.household_size[3]; }));
  }
  // An older popsim's file: no indicators, the rest as before.
  {
    detail::Handle file(H5Fopen(path_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose, "opening " + path_);
    for (const auto& e : indicators()) ASSERT_GE(H5Ldelete(file, e.name.c_str(), H5P_DEFAULT), 0) << e.name;
  }
  const auto older = readResultsSummary(path_);
  EXPECT_TRUE(older.alone_65plus.empty());
  EXPECT_TRUE(older.alone_80plus.empty());
  EXPECT_TRUE(older.with_child_under_6.empty());
  EXPECT_EQ(older.households, s.households);
  EXPECT_EQ(older.one_person, s.one_person);
}

}  // namespace
}  // namespace popsim::io
