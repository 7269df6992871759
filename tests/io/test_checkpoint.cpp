// Checkpoints written collectively read back identically on another decomposition; damaged,
// truncated, foreign and wrong-version files are refused.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <fstream>

#include "core/error.hpp"
#include "io/checkpoint.hpp"
#include "io/detail/hdf5.hpp"
#include "model/initial_population.hpp"
#include "parallel/decomposition.hpp"
#include "support/population_checks.hpp"
#include "support/test_support.hpp"

namespace popsim::io {
namespace {

// Flips bits `mask` of the byte `at` bytes into dataset `dataset`'s data in file `path`.
void flipBit(const std::string& path, const std::string& dataset, std::uint64_t at, char mask) {
  haddr_t offset = HADDR_UNDEF;
  {
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    const hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
    offset = H5Dget_offset(d);
    H5Dclose(d);
    H5Fclose(f);
  }
  ASSERT_NE(offset, HADDR_UNDEF) << dataset;
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(static_cast<std::streamoff>(offset + at));
  char byte = 0;
  file.read(&byte, 1);
  byte = static_cast<char>(byte ^ mask);
  file.seekp(static_cast<std::streamoff>(offset + at));
  file.write(&byte, 1);
}

std::vector<core::RegionIndex> allRegions(std::size_t n) {
  std::vector<core::RegionIndex> v(n);
  for (std::size_t r = 0; r < n; ++r) v[r] = static_cast<core::RegionIndex>(r);
  return v;
}

class CheckpointTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir(MPI_COMM_WORLD);
    auto config = test::baseline();
    config.scale = 0.002;
    auto result = model::synthesizePopulation(config, test::baselineInputs(), MPI_COMM_WORLD);
    path_ = (dir_->path() / "ckpt-2023.h5").string();
    writeCheckpoint(path_, test::baselineInputs().regions, result.population, result.owner,
                    checkpointMeta(config, result.population), MPI_COMM_WORLD);
    // The reference: the same population built by rank 0 alone.
    if (test::rank() == 0) {
      reference_ = new core::Population(model::synthesizePopulation(config, test::baselineInputs(), MPI_COMM_SELF).population);
    }
  }
  static void TearDownTestSuite() {
    delete reference_;
    delete dir_;
  }
  static test::TempDir* dir_;
  static std::string path_;
  static core::Population* reference_;
};
test::TempDir* CheckpointTest::dir_ = nullptr;
std::string CheckpointTest::path_;
core::Population* CheckpointTest::reference_ = nullptr;

TEST_F(CheckpointTest, IsRenamedIntoPlaceWithNoPartialFileLeft) {
  EXPECT_TRUE(std::filesystem::exists(path_));
  EXPECT_FALSE(std::filesystem::exists(path_ + ".partial"));
}

TEST_F(CheckpointTest, ReadsBackOnAnotherDecompositionIdentically) {
  const auto index = readCheckpointIndex(path_);
  EXPECT_EQ(index.regions.size(), 229u);
  EXPECT_EQ(index.ranks_written, test::size());
  // Round-robin ownership: a different decomposition from the writer's.
  std::vector<int> owner(index.regions.size());
  for (std::size_t r = 0; r < owner.size(); ++r) owner[r] = static_cast<int>((r + 1) % static_cast<std::size_t>(test::size()));
  const auto mine = readCheckpoint(path_, index, parallel::ownedRegions(owner, test::rank()), MPI_COMM_WORLD);
  std::uint64_t persons = mine.persons.size();
  MPI_Allreduce(MPI_IN_PLACE, &persons, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_EQ(persons, index.person_offset.back());
  for (std::size_t k = 0; k < mine.regions.size(); ++k)
    for (auto i = mine.person_offset[k]; i < mine.person_offset[k + 1]; ++i) ASSERT_EQ(mine.persons.region[i], mine.regions[k]);

  if (test::rank() == 0) {
    const auto all = readCheckpoint(path_, index, allRegions(index.regions.size()), MPI_COMM_SELF);
    core::forEachPersonField([&](const auto& f) { EXPECT_EQ(all.persons.*f.column, reference_->persons.*f.column) << f.name; });
    EXPECT_EQ(all.households.id, reference_->households.id);
    EXPECT_EQ(all.households.region, reference_->households.region);
    EXPECT_EQ(all.next_person_id, reference_->next_person_id);
    test::expectHouseholdInvariants(all, 2023);
  }
}

// Damaged copies are checked by rank 0 alone.
class DamagedCheckpoint : public CheckpointTest {
 protected:
  std::string copy(const std::string& name) {
    const auto p = (dir_->path() / name).string();
    std::filesystem::copy_file(path_, p, std::filesystem::copy_options::overwrite_existing);
    return p;
  }
  static std::string refusal(const std::string& p) {
    try {
      const auto index = readCheckpointIndex(p);
      readCheckpoint(p, index, allRegions(index.regions.size()), MPI_COMM_SELF);
    } catch (const core::InputError& e) {
      return e.what();
    }
    return "accepted";
  }
};

TEST_F(DamagedCheckpoint, FlippedBitInPersonDataFailsTheChecksum) {
  if (test::rank() != 0) return;
  const auto p = copy("flipped.h5");
  flipBit(p, "/persons/birth_year", 1001, 0x10);
  EXPECT_NE(refusal(p).find("dataset birth_year fails its checksum"), std::string::npos) << refusal(p);
}

TEST_F(DamagedCheckpoint, TruncatedFileIsRefused) {
  if (test::rank() != 0) return;
  const auto p = copy("truncated.h5");
  std::filesystem::resize_file(p, std::filesystem::file_size(p) / 2);
  EXPECT_NE(refusal(p), "accepted");
}

TEST_F(DamagedCheckpoint, WrongSchemaVersionIsRefused) {
  if (test::rank() != 0) return;
  const auto p = copy("version.h5");
  {
    const hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    const hid_t a = H5Aopen(f, "schema_version", H5P_DEFAULT);
    const std::int64_t v = 99;
    H5Awrite(a, H5T_NATIVE_INT64, &v);
    H5Aclose(a);
    H5Fclose(f);
  }
  EXPECT_NE(refusal(p).find(fmt::format("checkpoint schema version 99 but this popsim reads versions {}..{}",
                                        kOldestReadableSchemaVersion, kCheckpointSchemaVersion)),
            std::string::npos)
      << refusal(p);
}

// A checkpoint of schema 3 (64-bit person ids) rewritten from this one: its ids as 64-bit
// datasets with their checksums (the same values give the same checksums), next_person_id set.
void downgradeToSchema3(const std::string& path, std::uint64_t next_person_id) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  const hid_t g = H5Gopen2(f, "persons", H5P_DEFAULT);
  for (const char* name : {"id", "partner", "mother"}) {
    std::vector<hsize_t> dims;
    const auto values = detail::readWhole<std::uint64_t>(g, name, dims, {detail::kAnyExtent});
    const hid_t old = H5Dopen2(g, name, H5P_DEFAULT);
    std::uint64_t checksum = 0;
    const hid_t c = H5Aopen(old, "checksum", H5P_DEFAULT);
    H5Aread(c, H5T_NATIVE_UINT64, &checksum);
    H5Aclose(c);
    H5Dclose(old);
    H5Ldelete(g, name, H5P_DEFAULT);
    const hid_t space = H5Screate_simple(1, dims.data(), nullptr);
    const hid_t d = H5Dcreate2(g, name, H5T_NATIVE_UINT64, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    detail::writeAttribute(d, "checksum", checksum);
    H5Dclose(d);
    H5Sclose(space);
  }
  H5Gclose(g);
  const hid_t a = H5Aopen(f, "schema_version", H5P_DEFAULT);
  const std::int64_t v = 3;
  H5Awrite(a, H5T_NATIVE_INT64, &v);
  H5Aclose(a);
  const hid_t n = H5Aopen(f, "next_person_id", H5P_DEFAULT);
  H5Awrite(n, H5T_NATIVE_UINT64, &next_person_id);
  H5Aclose(n);
  H5Fclose(f);
}

TEST_F(DamagedCheckpoint, SchemaThreeWithSixtyFourBitIdsIsStillRead) {
  if (test::rank() != 0) return;
  const auto p = copy("schema3.h5");
  downgradeToSchema3(p, reference_->next_person_id);
  ASSERT_EQ(refusal(p), "accepted");
  const auto index = readCheckpointIndex(p);
  EXPECT_EQ(index.meta.next_person_id, reference_->next_person_id);
  const auto all = readCheckpoint(p, index, allRegions(index.regions.size()), MPI_COMM_SELF);
  EXPECT_EQ(all.persons.id, reference_->persons.id);
  EXPECT_EQ(all.persons.partner, reference_->persons.partner);
  EXPECT_EQ(all.persons.mother, reference_->persons.mother);
}

TEST_F(DamagedCheckpoint, IdsBeyondThirtyTwoBitsAreRefused) {
  if (test::rank() != 0) return;
  const auto p = copy("wide_ids.h5");
  downgradeToSchema3(p, (std::uint64_t{1} << 32) + 5);
  EXPECT_NE(refusal(p).find("next_person_id and next_household_id are not valid ids"), std::string::npos) << refusal(p);
}

TEST_F(DamagedCheckpoint, ForeignFilesAreRefused) {
  if (test::rank() != 0) return;
  const auto text = (dir_->path() / "notes.h5").string();
  test::writeFile(text, "not hdf5\n");
  EXPECT_NE(refusal(text).find("not an HDF5 file"), std::string::npos);
  const auto foreign = (dir_->path() / "foreign.h5").string();
  H5Fclose(H5Fcreate(foreign.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  EXPECT_NE(refusal(foreign).find("not a popsim checkpoint"), std::string::npos);
}

// Rewrites a 1-D dataset with `values` and a matching checksum: damage no checksum can see.
template <typename T>
void rewrite(const std::string& path, const std::string& group, const std::string& name, const std::vector<T>& values) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  const hid_t g = H5Gopen2(f, group.c_str(), H5P_DEFAULT);
  H5Ldelete(g, name.c_str(), H5P_DEFAULT);
  hsize_t n = values.size();
  const hid_t space = H5Screate_simple(1, &n, nullptr);
  const hid_t d = H5Dcreate2(g, name.c_str(), io::detail::nativeType<T>(), space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (n > 0) H5Dwrite(d, io::detail::nativeType<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  io::detail::writeAttribute(d, "checksum", io::detail::localChecksum(values, {{0, values.size()}}));
  H5Dclose(d);
  H5Sclose(space);
  H5Gclose(g);
  H5Fclose(f);
}

TEST_F(DamagedCheckpoint, EmptyIndexArrayIsRefusedBeforeUse) {
  if (test::rank() != 0) return;
  const auto p = copy("empty-offsets.h5");
  rewrite(p, "regions", "person_offset", std::vector<std::uint64_t>{});
  EXPECT_NE(refusal(p).find("/regions/person_offset holds 0 values, expected 230 (regions + 1)"), std::string::npos)
      << refusal(p);
}

TEST_F(DamagedCheckpoint, DecreasingOffsetsAreRefused) {
  if (test::rank() != 0) return;
  const auto p = copy("bad-offsets.h5");
  auto offsets = readCheckpointIndex(path_).household_offset;
  offsets[5] = offsets[7];
  rewrite(p, "regions", "household_offset", offsets);
  EXPECT_NE(refusal(p).find("/regions/household_offset decreases at region"), std::string::npos) << refusal(p);
}

TEST_F(DamagedCheckpoint, PersonStoredUnderAnotherRegionIsRefused) {
  if (test::rank() != 0) return;
  const auto p = copy("moved.h5");
  const auto index = readCheckpointIndex(path_);
  std::vector<core::RegionIndex> regions(index.person_offset.back());
  for (std::size_t r = 0; r < index.regions.size(); ++r)
    for (auto i = index.person_offset[r]; i < index.person_offset[r + 1]; ++i) regions[i] = static_cast<core::RegionIndex>(r);
  regions[index.person_offset[3]] = 7;
  rewrite(p, "persons", "region", regions);
  EXPECT_NE(refusal(p).find("/persons/region at element"), std::string::npos) << refusal(p);
  EXPECT_NE(refusal(p).find("7 but stored with region 3"), std::string::npos) << refusal(p);
}

TEST_F(DamagedCheckpoint, ChangedMetadataFailsTheirChecksum) {
  if (test::rank() != 0) return;
  const auto p = copy("config.h5");
  {
    const hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    io::detail::writeAttribute(f, "config", std::string("[run]\nseed = 1\n"));
    H5Fclose(f);
  }
  EXPECT_NE(refusal(p).find("its metadata fail their checksum"), std::string::npos) << refusal(p);
}

// A run's checkpoint carries the results so far; they read back exactly and are checksummed.
std::vector<ResultsTable> someResults() {
  std::vector<ResultsTable> tables;
  ResultsTable a{"population", {4, 229, 2, 101}, 2, {}};
  a.values.resize(2 * 229 * 2 * 101);
  for (std::size_t i = 0; i < a.values.size(); ++i) a.values[i] = static_cast<std::int64_t>(i * 7919 % 1000003);
  ResultsTable b{"migration/flows", {4, 17, 17}, 2, std::vector<std::int64_t>(2 * 17 * 17, -3)};
  tables.push_back(a);
  tables.push_back(b);
  return tables;
}

TEST_F(CheckpointTest, CarriesTheResultsOfTheRunSoFar) {
  const auto p = (dir_->path() / "with-results.h5").string();
  const auto index = readCheckpointIndex(path_);
  std::vector<int> owner(index.regions.size());
  for (std::size_t r = 0; r < owner.size(); ++r) owner[r] = static_cast<int>(r % static_cast<std::size_t>(test::size()));
  const auto mine = readCheckpoint(path_, index, parallel::ownedRegions(owner, test::rank()), MPI_COMM_WORLD);
  // Only rank 0's values are written; the other ranks pass the shapes.
  auto tables = someResults();
  if (test::rank() != 0)
    for (auto& t : tables) std::fill(t.values.begin(), t.values.end(), 0);
  writeCheckpoint(p, index.regions, mine, owner, index.meta, MPI_COMM_WORLD, tables);
  if (test::rank() != 0) return;
  const auto back = readCheckpointResults(p);
  const auto expected = someResults();
  ASSERT_EQ(back.size(), expected.size());
  for (const auto& e : expected) {
    const auto it = std::find_if(back.begin(), back.end(), [&](const ResultsTable& t) { return t.name == e.name; });
    ASSERT_NE(it, back.end()) << e.name;
    EXPECT_EQ(it->shape, e.shape) << e.name;
    EXPECT_EQ(it->rows, e.rows) << e.name;
    EXPECT_EQ(it->values, e.values) << e.name;
  }
  EXPECT_TRUE(readCheckpointResults(path_).empty()) << "a synthesised population holds no results";

  // A flipped bit in the stored results is refused.
  const auto flipped = (dir_->path() / "results-flipped.h5").string();
  std::filesystem::copy_file(p, flipped, std::filesystem::copy_options::overwrite_existing);
  flipBit(flipped, "/results/population", 777, 0x04);
  try {
    readCheckpointResults(flipped);
    ADD_FAILURE() << "a damaged results table was accepted";
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("population fails its checksum"), std::string::npos) << e.what();
  }
}

TEST(CheckpointDirectory, ListsNewestFirstAndPrunesOldAndPartialFiles) {
  if (test::rank() != 0) return;
  test::TempDir dir(MPI_COMM_SELF);
  const auto d = dir.path().string();
  for (const int year : {2025, 2031, 2027, 2029}) test::writeFile(checkpointPath(d, year), "x");
  test::writeFile(d + "/ckpt-2033.h5.partial", "half");
  test::writeFile(d + "/results.h5", "other");
  test::writeFile(d + "/ckpt-20x1.h5", "not a year");
  const auto found = listCheckpoints(d);
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].first, 2031);
  EXPECT_EQ(found[3].first, 2025);
  EXPECT_EQ(found[0].second, checkpointPath(d, 2031));
  const auto removed = pruneCheckpoints(d, 2, 2031);
  EXPECT_EQ(removed.size(), 3u);
  const auto left = listCheckpoints(d);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].first, 2031);
  EXPECT_EQ(left[1].first, 2029);
  EXPECT_FALSE(std::filesystem::exists(d + "/ckpt-2033.h5.partial"));
  EXPECT_TRUE(std::filesystem::exists(d + "/results.h5"));
  EXPECT_TRUE(listCheckpoints(d + "/absent").empty());
  // A restart from an earlier year never deletes the later checkpoints, nor the one just written.
  test::writeFile(checkpointPath(d, 2027), "x");
  EXPECT_TRUE(pruneCheckpoints(d, 1, 2027).empty());
  EXPECT_EQ(listCheckpoints(d).size(), 3u);
}

}  // namespace
}  // namespace popsim::io
