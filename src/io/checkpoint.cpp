#include "io/checkpoint.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <functional>
#include <filesystem>
#include <limits>
#include <set>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "io/files.hpp"
#include "io/output.hpp"
#include "io/detail/hdf5.hpp"
#include "popsim/version.hpp"

namespace popsim::io {
namespace {

using detail::Handle;
using detail::Range;

Handle openParallel(const std::string& path, MPI_Comm comm, bool create) {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "creating a file access list");
  detail::check(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL), "selecting MPI-IO");
  detail::check(H5Pset_all_coll_metadata_ops(fapl, true), "collective metadata reads");
  detail::check(H5Pset_coll_metadata_write(fapl, true), "collective metadata writes");
  if (create) return Handle(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose, "creating " + path);
  return Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl), H5Fclose, "opening " + path);
}

std::vector<Range> regionRanges(const std::vector<core::RegionIndex>& owned, const std::vector<std::uint64_t>& offset) {
  std::vector<Range> ranges;
  for (const auto r : owned) {
    const Range next{offset[r], offset[r + 1] - offset[r]};
    if (!ranges.empty() && ranges.back().first + ranges.back().count == next.first)
      ranges.back().count += next.count;
    else
      ranges.push_back(next);
  }
  return ranges;
}

std::vector<std::uint64_t> exclusiveOffsets(const std::vector<std::uint64_t>& counts) {
  std::vector<std::uint64_t> offset(counts.size() + 1, 0);
  for (std::size_t i = 0; i < counts.size(); ++i) offset[i + 1] = offset[i] + counts[i];
  return offset;
}

// Flushes a file or directory to disk; throws if that fails.
void fsyncPath(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw std::runtime_error(fmt::format("cannot open {} to flush it", path));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw std::runtime_error(fmt::format("flushing {} to disk failed", path));
}

// A checksum of everything in a checkpoint that is not a checksummed numeric column: the
// metadata attributes and the region and province names.
std::uint64_t metaChecksum(const CheckpointMeta& m, std::int64_t ranks, const core::RegionTable& regions) {
  core::Fingerprint f;
  f.add(std::string_view(kCheckpointFormat)).add(std::int64_t{m.year}).add(std::int64_t{m.base_year}).add(m.seed);
  f.add(m.scale).add(std::uint64_t{m.next_person_id}).add(std::uint64_t{m.next_household_id});
  f.add(m.config_path).add(m.config_text).add(m.scenario_text).add(m.input_fingerprints).add(m.git_revision);
  f.add(ranks);
  for (const auto& r : regions.regions()) f.add(r.name_ko).add(r.name_en);
  for (const auto& p : regions.provinces()) f.add(p.name_ko).add(p.name_en);
  return f.value();
}

// The checksum of a stored results table's shape attributes.
std::uint64_t shapeChecksum(const std::string& shape, std::uint64_t rows) {
  return core::Fingerprint().add(shape).add(rows).value();
}

}  // namespace

CheckpointMeta checkpointMeta(const Config& config, const core::Population& population) {
  CheckpointMeta meta;
  meta.year = population.year;
  meta.base_year = config.start_year;
  meta.seed = config.seed;
  meta.scale = config.scale;
  meta.next_person_id = population.next_person_id;
  meta.next_household_id = population.next_household_id;
  meta.config_path = config.path;
  meta.config_text = config.text;
  meta.scenario_text = config.scenario.text;
  meta.input_fingerprints = config.input_fingerprints;
  meta.git_revision = kGitRevision;
  return meta;
}

void writeCheckpoint(const std::string& path, const core::RegionTable& regions, const core::Population& population,
                     const std::vector<int>& owner, const CheckpointMeta& meta, MPI_Comm comm,
                     const std::vector<ResultsTable>& results) {
  int rank = 0;
  int ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const std::size_t n_regions = regions.size();

  // Global layout: regions in table order, each region's persons and households contiguous.
  std::vector<std::uint64_t> persons_per_region(n_regions, 0);
  std::vector<std::uint64_t> households_per_region(n_regions, 0);
  for (std::size_t k = 0; k < population.regions.size(); ++k) {
    const auto r = population.regions[k];
    persons_per_region[r] = population.person_offset[k + 1] - population.person_offset[k];
    households_per_region[r] = population.household_offset[k + 1] - population.household_offset[k];
  }
  MPI_Allreduce(MPI_IN_PLACE, persons_per_region.data(), static_cast<int>(n_regions), MPI_UINT64_T, MPI_SUM, comm);
  MPI_Allreduce(MPI_IN_PLACE, households_per_region.data(), static_cast<int>(n_regions), MPI_UINT64_T, MPI_SUM, comm);
  const auto person_offset = exclusiveOffsets(persons_per_region);
  const auto household_offset = exclusiveOffsets(households_per_region);
  const auto person_ranges = regionRanges(population.regions, person_offset);
  const auto household_ranges = regionRanges(population.regions, household_offset);

  // Written as PATH.partial and renamed once complete and on disk: a failure (a full disk, a quota,
  // the file size limit) leaves the earlier checkpoints as they were and no partial file.
  const std::string partial = path + ".partial";
  auto remove_partial = [&] {  // on every rank (a rank that gives up waiting removes it alone)
    std::error_code ec;
    std::filesystem::remove(partial, ec);
  };
  collectiveWrite(comm, partial, [&] {
    Handle file = openParallel(partial, comm, true);
    {  // every group and dataset is closed before the file (MPI-IO files close "semi")
      detail::writeAttribute(file, "format", std::string(kCheckpointFormat));
      detail::writeAttribute(file, "schema_version", kCheckpointSchemaVersion);
      detail::writeAttribute(file, "popsim_version", std::string(kVersion));
      detail::writeAttribute(file, "git_revision", std::string(kGitRevision));
      detail::writeAttribute(file, "year", std::int64_t{meta.year});
      detail::writeAttribute(file, "base_year", std::int64_t{meta.base_year});
      detail::writeAttribute(file, "seed", meta.seed);
      detail::writeAttribute(file, "scale", meta.scale);
      detail::writeAttribute(file, "next_person_id", std::uint64_t{meta.next_person_id});
      detail::writeAttribute(file, "next_household_id", std::uint64_t{meta.next_household_id});
      detail::writeAttribute(file, "config_path", meta.config_path);
      detail::writeAttribute(file, "config", meta.config_text);
      detail::writeAttribute(file, "scenario", meta.scenario_text);
      detail::writeAttribute(file, "ranks", std::int64_t{ranks});
      detail::writeAttribute(file, "inputs", meta.input_fingerprints);
      detail::writeAttribute(file, "meta_checksum", metaChecksum(meta, ranks, regions));

      auto g = detail::writeRegionTable(file, regions, comm);
      detail::writeReplicated(g, "rank", std::vector<std::int32_t>(owner.begin(), owner.end()), "",
                              "MPI rank that owned the region when the file was written", comm);
      detail::writeReplicated(g, "person_offset", person_offset, "",
                              "first index of the region's persons in /persons (size regions+1)", comm);
      detail::writeReplicated(g, "household_offset", household_offset, "",
                              "first index of the region's households in /households (size regions+1)", comm);

      const auto& p = population.persons;
      const std::uint64_t n_persons = person_offset.back();
      auto pp = detail::createGroup(file, "persons");
      core::forEachPersonField([&](const auto& f) {
        detail::writeDistributed(pp, f.name, p.*f.column, person_ranges, n_persons, f.units, f.description, comm);
      });

      const auto& h = population.households;
      const std::uint64_t n_households = household_offset.back();
      auto hg = detail::createGroup(file, "households");
      detail::writeDistributed(hg, "id", h.id, household_ranges, n_households, "", "household id, unique", comm);
      detail::writeDistributed(hg, "region", h.region, household_ranges, n_households, "",
                               "index into /regions of the household's region", comm);

      if (!results.empty()) {
        // Each results dataset flattened to 1-D (its name with '/' as '.'), rank 0 writing.
        auto rg = detail::createGroup(file, "results");
        // The list of tables, so that a deleted one is noticed (its checksum covers the list).
        std::string names;
        for (const auto& t : results) names += (names.empty() ? "" : ",") + t.name;
        detail::writeAttribute(rg, "tables", names);
        detail::writeAttribute(rg, "tables_checksum", core::Fingerprint().add(names).value());
        for (const auto& t : results) {
          std::string name = t.name;
          std::replace(name.begin(), name.end(), '/', '.');
          const std::vector<Range> ranges = rank == 0 ? std::vector<Range>{{0, t.values.size()}} : std::vector<Range>{};
          detail::writeDistributed(rg, name, rank == 0 ? t.values : std::vector<std::int64_t>{}, ranges, t.values.size(),
                                   "", "time points 0..rows-1 of results.h5 /" + t.name, comm);
          Handle d(H5Dopen2(rg, name.c_str(), H5P_DEFAULT), H5Dclose, "opening results/" + name);
          std::string shape;
          for (const auto x : t.shape) shape += fmt::format("{}{}", shape.empty() ? "" : ",", x);
          detail::writeAttribute(d, "shape", shape);
          detail::writeAttribute(d, "rows", std::uint64_t{t.rows});
          detail::writeAttribute(d, "shape_checksum", shapeChecksum(shape, t.rows));
        }
      }
    }
    detail::checkAll(H5Fflush(file, H5F_SCOPE_GLOBAL), "flushing " + partial, file, comm);
    file.close("closing " + partial);
  }, remove_partial);
  collectiveWrite(comm, path, [&] {
    if (rank != 0) return;
    fsyncPath(partial);
    std::filesystem::rename(partial, path);
    const auto dir = std::filesystem::path(path).parent_path();
    fsyncPath(dir.empty() ? std::string(".") : dir.string());
  }, remove_partial);
}

namespace {

// Throws core::InputError "PATH: MESSAGE" unless `ok`.
void require(bool ok, const std::string& path, const std::string& message) {
  if (!ok) throw core::InputError(fmt::format("{}: {}", path, message));
}

// Offsets into a column: size regions + 1, from 0, never decreasing.
void requireOffsets(const std::vector<std::uint64_t>& offset, std::size_t regions, const std::string& path,
                    const char* name) {
  require(offset.size() == regions + 1, path,
          fmt::format("/regions/{} holds {} values, expected {} (regions + 1)", name, offset.size(), regions + 1));
  require(offset.front() == 0, path, fmt::format("/regions/{} does not start at 0", name));
  for (std::size_t r = 0; r < regions; ++r)
    require(offset[r] <= offset[r + 1], path, fmt::format("/regions/{} decreases at region {}", name, r));
}

CheckpointIndex readIndex(const std::string& path, hid_t file) {
  CheckpointIndex index;
  require(detail::hasAttribute(file, "format") && detail::readStringAttribute(file, "format") == kCheckpointFormat, path,
          fmt::format("not a popsim checkpoint (attribute format != {})", kCheckpointFormat));
  const auto version = detail::readIntAttribute(file, "schema_version");
  require(version >= kOldestReadableSchemaVersion && version <= kCheckpointSchemaVersion, path,
          fmt::format("checkpoint schema version {} but this popsim reads versions {}..{}", version,
                      kOldestReadableSchemaVersion, kCheckpointSchemaVersion));
  index.schema_version = version;
  auto& m = index.meta;
  const auto year = detail::readIntAttribute(file, "year");
  const auto base_year = detail::readIntAttribute(file, "base_year");
  require(base_year >= 1900 && base_year <= 2200 && year >= base_year && year <= base_year + 1000, path,
          fmt::format("attributes year {} and base_year {} are not a valid state (base year in 1900..2200, year at "
                      "most 1000 later)", year, base_year));
  m.year = static_cast<int>(year);
  m.base_year = static_cast<int>(base_year);
  m.seed = detail::readUintAttribute(file, "seed");
  m.scale = detail::readDoubleAttribute(file, "scale");
  require(m.scale >= kMinScale && m.scale <= 1.0, path, fmt::format("attribute scale {} is not in [{}, 1]", m.scale, kMinScale));
  const auto next_person = detail::readUintAttribute(file, "next_person_id");
  const auto next_household = detail::readUintAttribute(file, "next_household_id");
  require(next_person >= 1 && next_person <= core::kMaxPersonId + 1 && next_household >= 1 &&
              next_household <= std::numeric_limits<core::HouseholdId>::max(),
          path, "attributes next_person_id and next_household_id are not valid ids");
  m.next_person_id = static_cast<core::PersonId>(next_person);
  m.next_household_id = static_cast<core::HouseholdId>(next_household);
  m.config_path = detail::readStringAttribute(file, "config_path");
  m.config_text = detail::readStringAttribute(file, "config");
  if (detail::hasAttribute(file, "scenario")) m.scenario_text = detail::readStringAttribute(file, "scenario");
  if (detail::hasAttribute(file, "git_revision")) m.git_revision = detail::readStringAttribute(file, "git_revision");
  const auto ranks = detail::readIntAttribute(file, "ranks");
  require(ranks >= 1 && ranks <= (std::int64_t{1} << 24), path, fmt::format("attribute ranks {} is not valid", ranks));
  index.ranks_written = static_cast<int>(ranks);
  if (version >= 3) m.input_fingerprints = detail::readStringAttribute(file, "inputs");

  Handle g(H5Gopen2(file, "regions", H5P_DEFAULT), H5Gclose, "opening /regions");
  const auto code = detail::readAll<std::int64_t>(g, "code");
  const std::size_t R = code.size();
  require(R >= 1 && R <= std::numeric_limits<core::RegionIndex>::max(), path,
          fmt::format("/regions/code holds {} regions, expected 1..{}", R, std::numeric_limits<core::RegionIndex>::max()));
  const auto name_ko = detail::readAllStrings(g, "name_ko");
  const auto name_en = detail::readAllStrings(g, "name_en");
  const auto province = detail::readAll<std::int32_t>(g, "province");
  const auto capital = detail::readAll<std::uint8_t>(g, "capital_region");
  const auto declining = detail::readAll<std::uint8_t>(g, "declining_area");
  const auto lon = detail::readAll<double>(g, "centroid_lon");
  const auto lat = detail::readAll<double>(g, "centroid_lat");
  const auto area = detail::readAll<double>(g, "area");
  for (const auto size : {name_ko.size(), name_en.size(), province.size(), capital.size(), declining.size(), lon.size(),
                          lat.size(), area.size()})
    require(size == R, path, fmt::format("the /regions datasets disagree on the number of regions ({} codes)", R));
  index.person_offset = detail::readAll<std::uint64_t>(g, "person_offset");
  index.household_offset = detail::readAll<std::uint64_t>(g, "household_offset");
  requireOffsets(index.person_offset, R, path, "person_offset");
  requireOffsets(index.household_offset, R, path, "household_offset");

  Handle pg(H5Gopen2(file, "provinces", H5P_DEFAULT), H5Gclose, "opening /provinces");
  const auto pcode = detail::readAll<std::int32_t>(pg, "code");
  const auto pko = detail::readAllStrings(pg, "name_ko");
  const auto pen = detail::readAllStrings(pg, "name_en");
  const auto pcap = detail::readAll<std::uint8_t>(pg, "capital_region");
  const auto ptfr = detail::readAll<double>(pg, "tfr_base");
  for (const auto size : {pko.size(), pen.size(), pcap.size(), ptfr.size()})
    require(size == pcode.size(), path, "the /provinces datasets disagree on the number of provinces");
  std::vector<core::Province> provinces(pcode.size());
  std::set<std::int32_t> province_codes;
  for (std::size_t i = 0; i < pcode.size(); ++i) {
    provinces[i] = {pcode[i], pko[i], pen[i], pcap[i] != 0, ptfr[i]};
    require(province_codes.insert(pcode[i]).second, path, fmt::format("province code {} appears twice", pcode[i]));
  }
  std::vector<core::Region> regions(R);
  std::set<std::int64_t> region_codes;
  for (std::size_t i = 0; i < R; ++i) {
    regions[i] = {code[i], name_ko[i], name_en[i], province[i], capital[i] != 0, declining[i] != 0, lon[i], lat[i], area[i]};
    require(region_codes.insert(code[i]).second, path, fmt::format("region code {} appears twice", code[i]));
    require(province_codes.contains(province[i]), path,
            fmt::format("region {} is in province {}, which is not in /provinces", code[i], province[i]));
  }
  index.regions = core::RegionTable(std::move(regions), std::move(provinces));
  if (version >= 3)
    require(detail::readUintAttribute(file, "meta_checksum") == metaChecksum(m, ranks, index.regions), path,
            "its metadata fail their checksum (attributes or region names changed): the file is damaged");

  // The columns' lengths are checked here, serially, so that the collective read cannot fail on
  // one rank only.
  Handle pp(H5Gopen2(file, "persons", H5P_DEFAULT), H5Gclose, "opening /persons");
  Handle hh(H5Gopen2(file, "households", H5P_DEFAULT), H5Gclose, "opening /households");
  core::forEachPersonField([&](const auto& f) {
    require(detail::datasetSize(pp, f.name) == index.person_offset.back(), path,
            fmt::format("/persons/{} does not hold the {} persons of the region offsets", f.name, index.person_offset.back()));
  });
  for (const char* column : {"id", "region"})
    require(detail::datasetSize(hh, column) == index.household_offset.back(), path,
            fmt::format("/households/{} does not hold the {} households of the region offsets", column,
                        index.household_offset.back()));
  return index;
}

}  // namespace

CheckpointIndex readCheckpointIndex(const std::string& path) {
  requireRegularFile(path, "a popsim checkpoint (HDF5)");
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw core::InputError(fmt::format("{}: not an HDF5 file (damaged, truncated or not a popsim file)", path));
  try {
    Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "opening " + path);
    return readIndex(path, file);
  } catch (const core::InputError&) {
    throw;
  } catch (const std::runtime_error& e) {
    throw core::InputError(fmt::format("{}: not a valid popsim checkpoint: {}", path, e.what()));
  }
}

namespace {

// Checks that the state read from `path` is one the projection can continue: every person and
// household in the region it is stored under, households in ascending id order with their
// members contiguous, every person's household among the region's households, partners mutual
// within a household, ids issued, sex and ages possible. Throws core::InputError.
void validateState(const std::string& path, const CheckpointIndex& index, const core::Population& pop) {
  const auto& p = pop.persons;
  const auto& h = pop.households;
  const int year = index.meta.year;
  auto fail = [&](const std::string& what, std::size_t at, const std::string& message) {
    throw core::InputError(fmt::format("{}: {} at element {}: {} (the file is damaged or not written by popsim)", path,
                                       what, at, message));
  };
  for (std::size_t k = 0; k < pop.regions.size(); ++k) {
    const auto r = pop.regions[k];
    const auto hb = pop.household_offset[k], he = pop.household_offset[k + 1];
    for (auto j = hb; j < he; ++j) {
      if (h.region[j] != r) fail("/households/region", j, fmt::format("{} but stored with region {}", h.region[j], r));
      if (h.id[j] == 0 || h.id[j] >= pop.next_household_id) fail("/households/id", j, "an id never issued");
      if (j > hb && h.id[j] <= h.id[j - 1]) fail("/households/id", j, "ids of a region are not ascending");
    }
    auto next_household = hb;
    const auto b = pop.person_offset[k], e = pop.person_offset[k + 1];
    for (auto i = b; i < e;) {
      auto j = i;
      while (j < e && p.household[j] == p.household[i]) ++j;
      while (next_household < he && h.id[next_household] < p.household[i]) ++next_household;
      if (next_household == he || h.id[next_household] != p.household[i])
        fail("/persons/household", i, fmt::format("household {} is not a household of its region (or its members are "
                                                  "not contiguous)", p.household[i]));
      ++next_household;
      for (auto x = i; x < j; ++x) {
        if (p.region[x] != r) fail("/persons/region", x, fmt::format("{} but stored with region {}", p.region[x], r));
        if (p.id[x] == core::kNoPerson || p.id[x] >= pop.next_person_id) fail("/persons/id", x, "an id never issued");
        if (p.partner[x] >= pop.next_person_id) fail("/persons/partner", x, "an id never issued");
        if (p.mother[x] >= pop.next_person_id) fail("/persons/mother", x, "an id never issued");
        if (static_cast<unsigned>(p.sex[x]) > 1) fail("/persons/sex", x, "expected 0 or 1");
        if (p.birth_year[x] > year || year - p.birth_year[x] > 150)
          fail("/persons/birth_year", x, fmt::format("{} is not a possible birth year at the end of {}", p.birth_year[x], year));
        if ((p.flags[x] & ~core::kKnownFlags) != 0)
          fail("/persons/flags", x, "unknown flag bits");
        if (p.partner[x] == core::kNoPerson) continue;
        auto y = i;
        while (y < j && p.id[y] != p.partner[x]) ++y;
        if (y == j || p.partner[y] != p.id[x] || y == x)
          fail("/persons/partner", x, "the partner is not a mutual partner in the same household");
      }
      i = j;
    }
  }
}

}  // namespace

core::Population readCheckpoint(const std::string& path, const CheckpointIndex& index,
                                const std::vector<core::RegionIndex>& owned, MPI_Comm comm) {
  core::Population population;
  population.year = static_cast<core::Year>(index.meta.year);
  population.next_person_id = index.meta.next_person_id;
  population.next_household_id = index.meta.next_household_id;
  population.regions = owned;
  population.person_offset.assign(1, 0);
  population.household_offset.assign(1, 0);
  for (const auto r : owned) {
    population.person_offset.push_back(population.person_offset.back() + index.person_offset[r + 1] -
                                       index.person_offset[r]);
    population.household_offset.push_back(population.household_offset.back() + index.household_offset[r + 1] -
                                          index.household_offset[r]);
  }
  const auto person_ranges = regionRanges(owned, index.person_offset);
  const auto household_ranges = regionRanges(owned, index.household_offset);
  try {
    Handle file = openParallel(path, comm, false);
    Handle pp(H5Gopen2(file, "persons", H5P_DEFAULT), H5Gclose, "opening /persons");
    auto& p = population.persons;
    core::forEachPersonField([&](const auto& f) {
      using T = typename std::decay_t<decltype(f)>::Type;
      p.*f.column = detail::readDistributed<T>(pp, f.name, person_ranges, comm);
    });
    Handle hg(H5Gopen2(file, "households", H5P_DEFAULT), H5Gclose, "opening /households");
    population.households.id = detail::readDistributed<core::HouseholdId>(hg, "id", household_ranges, comm);
    population.households.region = detail::readDistributed<core::RegionIndex>(hg, "region", household_ranges, comm);
  } catch (const std::runtime_error& e) {
    throw core::InputError(fmt::format("{}: {}", path, e.what()));
  }
  validateState(path, index, population);
  return population;
}

std::string checkpointPath(const std::string& dir, int year) {
  return (std::filesystem::path(dir) / fmt::format("ckpt-{}.h5", year)).string();
}

std::vector<std::pair<int, std::string>> listCheckpoints(const std::string& dir) {
  std::vector<std::pair<int, std::string>> found;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return found;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (!name.starts_with("ckpt-") || !name.ends_with(".h5") || !entry.is_regular_file()) continue;
    const auto digits = name.substr(5, name.size() - 8);
    int year = 0;
    const auto [ptr, err] = std::from_chars(digits.data(), digits.data() + digits.size(), year);
    if (err == std::errc() && ptr == digits.data() + digits.size() && !digits.empty())
      found.emplace_back(year, entry.path().string());
  }
  std::sort(found.begin(), found.end(), std::greater<>());
  return found;
}

std::vector<std::string> pruneCheckpoints(const std::string& dir, int keep, int up_to_year) {
  std::vector<std::string> removed;
  int kept = 0;
  for (const auto& [year, path] : listCheckpoints(dir)) {
    if (year > up_to_year) continue;
    if (kept < keep) {
      ++kept;
      continue;
    }
    std::filesystem::remove(path);
    removed.push_back(path);
  }
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec))
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      const auto name = entry.path().filename().string();
      if (name.starts_with("ckpt-") && name.ends_with(".h5.partial")) {
        std::filesystem::remove(entry.path());
        removed.push_back(entry.path().string());
      }
    }
  return removed;
}

std::vector<ResultsTable> readCheckpointResults(const std::string& path) {
  std::vector<ResultsTable> tables;
  try {
    Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "opening " + path);
    const auto version = detail::readIntAttribute(file, "schema_version");
    if (!detail::linkExists(file, "results")) return tables;
    Handle rg(H5Gopen2(file, "results", H5P_DEFAULT), H5Gclose, "opening /results");
    std::set<std::string> listed;
    if (version >= 3) {
      const auto names = detail::readStringAttribute(rg, "tables");
      if (detail::readUintAttribute(rg, "tables_checksum") != core::Fingerprint().add(names).value())
        throw std::runtime_error("/results: its list of tables fails its checksum");
      for (std::size_t p = 0; p < names.size();) {
        const auto q = std::min(names.find(',', p), names.size());
        listed.insert(names.substr(p, q - p));
        p = q + 1;
      }
    }
    H5G_info_t info;
    detail::check(H5Gget_info(rg, &info), "listing /results");
    for (hsize_t i = 0; i < info.nlinks; ++i) {
      const auto size = H5Lget_name_by_idx(rg, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
      if (size <= 0 || size > 1024) throw std::runtime_error("listing /results");
      std::string name(static_cast<std::size_t>(size), '\0');
      H5Lget_name_by_idx(rg, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size() + 1, H5P_DEFAULT);
      ResultsTable t;
      t.values = detail::readAll<std::int64_t>(rg, name);
      Handle d(H5Dopen2(rg, name.c_str(), H5P_DEFAULT), H5Dclose, "opening results/" + name);
      t.rows = detail::readUintAttribute(d, "rows");
      const auto shape = detail::readStringAttribute(d, "shape");
      if (version >= 3 && detail::readUintAttribute(d, "shape_checksum") != shapeChecksum(shape, t.rows))
        throw std::runtime_error(fmt::format("results/{}: its shape attributes fail their checksum", name));
      for (std::size_t p = 0; p < shape.size();) {
        const auto q = std::min(shape.find(',', p), shape.size());
        std::uint64_t extent = 0;
        const auto [end, err] = std::from_chars(shape.data() + p, shape.data() + q, extent);
        if (err != std::errc() || end != shape.data() + q || extent == 0 || extent > detail::kMaxWholeElements)
          throw std::runtime_error(fmt::format("results/{}: attribute shape \"{}\" is not a list of extents", name, shape));
        t.shape.push_back(extent);
        p = q + 1;
      }
      std::uint64_t inner = 1;
      for (std::size_t a = 1; a < t.shape.size(); ++a) {
        if (inner > detail::kMaxWholeElements / t.shape[a])
          throw std::runtime_error(fmt::format("results/{}: attribute shape \"{}\" is implausibly large", name, shape));
        inner *= t.shape[a];
      }
      if (t.shape.empty() || inner > detail::kMaxWholeElements / t.shape[0] || t.rows > t.shape[0] ||
          t.rows * inner != t.values.size())
        throw std::runtime_error(fmt::format("results/{}: shape {} and rows {} do not match its {} values", name, shape,
                                             t.rows, t.values.size()));
      std::replace(name.begin(), name.end(), '.', '/');
      t.name = name;
      if (version >= 3 && !listed.erase(name))
        throw std::runtime_error(fmt::format("/results/{} is not in the list of stored tables", name));
      tables.push_back(std::move(t));
    }
    if (!listed.empty())
      throw std::runtime_error(fmt::format("/results lacks the stored table {}", *listed.begin()));
  } catch (const std::runtime_error& e) {
    if (dynamic_cast<const core::InputError*>(&e)) throw;
    throw core::InputError(fmt::format("{}: {}", path, e.what()));
  }
  return tables;
}

PersonSummaryColumns readPersonSummaryColumns(const std::string& path) {
  PersonSummaryColumns c;
  try {
    Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "opening " + path);
    Handle pp(H5Gopen2(file, "persons", H5P_DEFAULT), H5Gclose, "opening /persons");
    c.birth_year = detail::readAll<core::Year>(pp, "birth_year");
    c.sex = detail::readAll<std::uint8_t>(pp, "sex");
    c.household = detail::readAll<core::HouseholdId>(pp, "household");
    c.flags = detail::readAll<std::uint8_t>(pp, "flags");
  } catch (const std::runtime_error& e) {
    throw core::InputError(fmt::format("{}: {}", path, e.what()));
  }
  return c;
}

}  // namespace popsim::io
