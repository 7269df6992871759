#include "io/results.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "core/error.hpp"
#include "core/types.hpp"
#include "io/files.hpp"
#include "io/output.hpp"

#include "popsim/version.hpp"

namespace popsim::io {
namespace {

using detail::Handle;

// An N-D int64 or double dataset [Y, ...] with units and a description, filled with zeros.
// `fill`: zeros at allocation (the time-indexed tables, whose rows are written year by year);
// without it nothing is written until the caller writes every element (in a parallel file a
// failed fill would leave the ranks in different collective calls).
void createDataset(hid_t file, const std::string& path, hid_t type, const std::vector<hsize_t>& dims,
                   const std::string& units, const std::string& description, const std::string& axes,
                   std::vector<std::string>& created, MPI_Comm comm, bool fill = true) {
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose, "creating a dataspace");
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "creating a dataset property list");
  detail::check(H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY), "early allocation");
  detail::check(H5Pset_fill_time(dcpl, fill ? H5D_FILL_TIME_ALLOC : H5D_FILL_TIME_NEVER), "fill time");
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "creating a link property list");
  detail::check(H5Pset_create_intermediate_group(lcpl, 1), "intermediate groups");
  // Early allocation writes the fill values: a full disk fails here, on some ranks only.
  const hid_t id = H5Dcreate2(file, path.c_str(), type, space, lcpl, dcpl, H5P_DEFAULT);
  if (id >= 0) H5Dclose(id);
  detail::checkAll(id < 0 ? -1 : 0, "creating " + path, file, comm);
  Handle d(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose, "opening " + path);
  if (!path.starts_with("performance/")) created.push_back(path);
  detail::writeAttribute(d, "units", units);
  detail::writeAttribute(d, "description", description);
  detail::writeAttribute(d, "axes", axes);
}

// Writes rows [t, index, ...] for each index in `rows` (ascending) from `data`, `inner` values
// per row, collectively. When `inner` covers all of a time point, `rows` = {0} writes [t, ...].
template <typename T>
void writeRows(hid_t file, const std::string& path, int t, const std::vector<std::size_t>& rows, std::size_t inner,
               const std::vector<T>& data, MPI_Comm comm) {
  Handle d(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose, "opening " + path);
  Handle space(H5Dget_space(d), H5Sclose, "getting a dataspace");
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  detail::check(H5Sselect_none(space), "clearing a selection");
  for (const auto row : rows) {
    std::vector<hsize_t> start(dims.size(), 0), count(dims);
    start[0] = static_cast<hsize_t>(t);
    count[0] = 1;
    std::size_t slice = 1;
    for (std::size_t axis = 1; axis < dims.size(); ++axis) slice *= dims[axis];
    if (dims.size() > 1 && inner != slice) {
      start[1] = row;
      count[1] = 1;
    }
    detail::check(H5Sselect_hyperslab(space, H5S_SELECT_OR, start.data(), nullptr, count.data(), nullptr),
                  "selecting rows of " + path);
  }
  hsize_t n = std::max<hsize_t>(rows.size() * inner, 1);
  Handle mem(H5Screate_simple(1, &n, nullptr), H5Sclose, "creating a memory space");
  if (rows.empty()) detail::check(H5Sselect_none(mem), "clearing a memory selection");
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose, "creating a transfer list");
  detail::check(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE), "collective I/O");
  detail::checkAll(H5Dwrite(d, detail::nativeType<T>(), mem, space, dxpl, data.empty() ? nullptr : data.data()),
                   "writing " + path, d, comm);
}

}  // namespace

ResultsWriter::ResultsWriter(const std::string& path, const core::RegionTable& regions, const RunMeta& meta,
                             MPI_Comm comm)
    : path_(path), comm_(comm), regions_(regions.size()), provinces_(regions.provinces().size()) {
  MPI_Comm_rank(comm, &rank_);
  MPI_Comm_size(comm, &ranks_);
  // A results file that cannot even be laid out (a full disk) is removed: it holds nothing.
  auto remove = [&] {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  };
  collectiveWrite(comm_, path_, [&] {
    if (rank_ == 0) create(regions, meta);
  }, remove);
  // Every rank learns the time-indexed datasets and opens the file for the run's collective writes.
  std::string names;
  for (const auto& t : tables_) names += (names.empty() ? "" : "\n") + t;
  unsigned long length = names.size();
  MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG, 0, comm_);
  names.resize(length);
  MPI_Bcast(names.data(), static_cast<int>(length), MPI_CHAR, 0, comm_);
  tables_.clear();
  for (std::size_t at = 0; at < names.size();) {
    const auto end = std::min(names.find('\n', at), names.size());
    tables_.push_back(names.substr(at, end - at));
    at = end + 1;
  }
  collectiveWrite(comm_, path_, [&] {
    Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "creating a file access list");
    detail::check(H5Pset_fapl_mpio(fapl, comm_, MPI_INFO_NULL), "selecting MPI-IO");
    const hid_t id = H5Fopen(path_.c_str(), H5F_ACC_RDWR, fapl);
    detail::checkAll(id < 0 ? -1 : 0, "opening " + path_, id < 0 ? H5I_INVALID_HID : id, comm_);
    file_ = Handle(id, H5Fclose, "opening " + path_);
  }, remove);
}

void ResultsWriter::create(const core::RegionTable& regions, const RunMeta& meta) {
  // Rank 0 alone, through the serial driver: a collective creation would leave the other ranks in
  // HDF5's collective fill of a dataset when rank 0's fill fails (a full disk).
  const MPI_Comm comm = MPI_COMM_SELF;
  Handle file(H5Fcreate(path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose, "creating " + path_);

  const auto Y = static_cast<hsize_t>(meta.years + 1);
  const auto R = static_cast<hsize_t>(regions.size());
  {
    auto m = detail::createGroup(file, "meta");
    detail::writeAttribute(m, "popsim_version", std::string(kVersion));
    detail::writeAttribute(m, "git_revision", std::string(kGitRevision));
    detail::writeAttribute(m, "config_path", meta.config_path);
    detail::writeAttribute(m, "config", meta.config_text);
    detail::writeAttribute(m, "scenario_name", meta.scenario_name);
    detail::writeAttribute(m, "scenario", meta.scenario_text);
    detail::writeAttribute(m, "seed", meta.seed);
    detail::writeAttribute(m, "scale", meta.scale);
    detail::writeAttribute(m, "ranks", std::int64_t{meta.ranks});
    detail::writeAttribute(m, "threads", std::int64_t{meta.threads});
    detail::writeAttribute(m, "start_year", std::int64_t{meta.start_year});
    detail::writeAttribute(m, "end_year", std::int64_t{meta.start_year + meta.years});
    detail::writeAttribute(m, "inputs", meta.input_fingerprints);
    // Unfinished until finish(): a stopped, killed or failed run says so, and up to which year.
    detail::writeAttribute(m, "complete", std::int64_t{0});
    detail::writeAttribute(m, "last_year", std::int64_t{meta.start_year - 1});
    detail::writeAttribute(m, "wall_seconds", 0.0);
    detail::writeAttribute(m, "counts",
                           std::string("counts are of simulated agents; divide by scale for national figures"));
  }
  detail::writeRegionTable(file, regions, comm);
  createDataset(file, "years", H5T_NATIVE_INT32, {Y}, "year",
                "calendar year at whose end states are recorded; entry 0 is the start state", "year", tables_, comm);
  createDataset(file, "population", H5T_NATIVE_INT64, {Y, R, 2, 101}, "persons",
                "persons at the end of the year by sex (0 male, 1 female) and age 0..100 (100 = 100+)",
                "year,region,sex,age", tables_, comm);
  createDataset(file, "nationals/population", H5T_NATIVE_INT64, {Y, R, 2, 101}, "persons",
                "nationals at the end of the year (the resident-registration population) by sex and age 0..100+",
                "year,region,sex,age", tables_, comm);
  createDataset(file, "nationals/births", H5T_NATIVE_INT64, {Y, R}, "births",
                "live births during the year of children who are nationals (a parent is a national)", "year,region",
                tables_, comm);
  createDataset(file, "nationals/births_by_mother_age", H5T_NATIVE_INT64, {Y, R, 35}, "births",
                "live births during the year to national mothers by the mother's age 15..49 at the start of the year "
                "(the nationals' TFR is their sum over the national women of each age)",
                "year,region,mother_age", tables_, comm);
  createDataset(file, "nationals/deaths", H5T_NATIVE_INT64, {Y, R}, "deaths", "deaths of nationals during the year",
                "year,region", tables_, comm);
  createDataset(file, "nationals/immigrants", H5T_NATIVE_INT64, {Y, R}, "persons",
                "nationals arriving from abroad during the year", "year,region", tables_, comm);
  createDataset(file, "nationals/emigrants", H5T_NATIVE_INT64, {Y, R}, "persons",
                "nationals leaving for abroad during the year", "year,region", tables_, comm);
  createDataset(file, "nationals/naturalisations", H5T_NATIVE_INT64, {Y, R}, "persons",
                "foreign residents who became nationals during the year", "year,region", tables_, comm);
  createDataset(file, "births", H5T_NATIVE_INT64, {Y, R, 35}, "births",
                "live births during the year by the mother's age 15..49 at the start of the year", "year,region,mother_age", tables_, comm);
  createDataset(file, "deaths", H5T_NATIVE_INT64, {Y, R, 2, 101}, "deaths",
                "deaths during the year by sex and age 0..100+ at the start of the year", "year,region,sex,age", tables_, comm);
  createDataset(file, "households/size", H5T_NATIVE_INT64, {Y, R, kHouseholdSizes}, "households",
                "households at the end of the year by size 1..7+", "year,region,size", tables_, comm);
  createDataset(file, "households/type", H5T_NATIVE_INT64, {Y, R, kHouseholdTypes.size()}, "households",
                "households at the end of the year by type (see attribute types)", "year,region,type", tables_, comm);
  {
    Handle d(H5Dopen2(file, "households/type", H5P_DEFAULT), H5Dclose, "opening households/type");
    std::string types;
    for (std::size_t k = 0; k < kHouseholdTypes.size(); ++k) types += fmt::format("{}{}: {}", k ? "; " : "", k, kHouseholdTypes[k]);
    detail::writeAttribute(d, "types", types);
  }
  createDataset(file, "households/living_alone", H5T_NATIVE_INT64, {Y, R, 2, 101}, "persons",
                "persons living alone (in one-person households) at the end of the year by sex (0 male, 1 female) "
                "and age 0..100 (100 = 100+)",
                "year,region,sex,age", tables_, comm);
  createDataset(file, "households/alone_65plus", H5T_NATIVE_INT64, {Y, R}, "persons",
                fmt::format("persons aged {}+ living alone at the end of the year (living_alone summed over sex and "
                            "those ages)", kAloneOlderAge),
                "year,region", tables_, comm);
  createDataset(file, "households/alone_80plus", H5T_NATIVE_INT64, {Y, R}, "persons",
                fmt::format("persons aged {}+ living alone at the end of the year (living_alone summed over sex and "
                            "those ages)", kAloneOldestAge),
                "year,region", tables_, comm);
  createDataset(file, "households/with_child_under_6", H5T_NATIVE_INT64, {Y, R}, "households",
                fmt::format("households with at least one member aged under {} at the end of the year", kYoungChildAge),
                "year,region", tables_, comm);
  createDataset(file, "households/with_child_under_18", H5T_NATIVE_INT64, {Y, R}, "households",
                fmt::format("households with at least one member aged under {} at the end of the year", core::kAdultAge),
                "year,region", tables_, comm);
  createDataset(file, "households/by_head_age", H5T_NATIVE_INT64, {Y, R, kHeadAgeGroups.size()}, "households",
                fmt::format("households at the end of the year by the age group of their reference person (the first "
                            "member aged {}+ in household order, else the first member: the member who decides the "
                            "household's internal migration; see attribute groups)", core::kAdultAge),
                "year,region,head_age_group", tables_, comm);
  {
    Handle d(H5Dopen2(file, "households/by_head_age", H5P_DEFAULT), H5Dclose, "opening households/by_head_age");
    std::string groups;
    for (std::size_t k = 0; k < kHeadAgeGroups.size(); ++k) groups += fmt::format("{}{}: {}", k ? "; " : "", k, kHeadAgeGroups[k]);
    detail::writeAttribute(d, "groups", groups);
  }
  createDataset(file, "households/foreign", H5T_NATIVE_INT64, {Y, R}, "households",
                "households at the end of the year all of whose members are foreign residents", "year,region", tables_, comm);
  createDataset(file, "households/mixed_nationality", H5T_NATIVE_INT64, {Y, R}, "households",
                "households at the end of the year with both nationals and foreign residents among their members",
                "year,region", tables_, comm);
  createDataset(file, "international/immigrants", H5T_NATIVE_INT64, {Y, R}, "persons",
                "immigrants from abroad during the year", "year,region", tables_, comm);
  createDataset(file, "international/emigrants", H5T_NATIVE_INT64, {Y, R}, "persons",
                "emigrants abroad during the year", "year,region", tables_, comm);
  createDataset(file, "unions/marriages", H5T_NATIVE_INT64, {Y, R}, "marriages", "marriages during the year",
                "year,region", tables_, comm);
  createDataset(file, "unions/divorces", H5T_NATIVE_INT64, {Y, R}, "divorces", "divorces during the year",
                "year,region", tables_, comm);
  createDataset(file, "migration/in", H5T_NATIVE_INT64, {Y, R}, "persons",
                "internal migrants arriving from other regions during the year", "year,region", tables_, comm);
  createDataset(file, "migration/out", H5T_NATIVE_INT64, {Y, R}, "persons",
                "internal migrants leaving for other regions during the year", "year,region", tables_, comm);
  createDataset(file, "migration/in_by_age", H5T_NATIVE_INT64, {Y, R, 101}, "persons",
                "internal migrants arriving from other regions during the year by age 0..100+ at the end of the year",
                "year,region,age", tables_, comm);
  createDataset(file, "migration/out_by_age", H5T_NATIVE_INT64, {Y, R, 101}, "persons",
                "internal migrants leaving for other regions during the year by age 0..100+ at the end of the year",
                "year,region,age", tables_, comm);
  const auto NP = static_cast<hsize_t>(provinces_);
  createDataset(file, "migration/flows", H5T_NATIVE_INT64, {Y, NP, NP}, "persons",
                "internal migrants during the year by origin and destination province (provinces in /provinces "
                "order; the diagonal counts moves between regions of one province)",
                "year,origin_province,destination_province", tables_, comm);
  createDataset(file, "households/left_home", H5T_NATIVE_INT64, {Y, R}, "persons",
                "unpartnered national adults who left a shared household to live alone during the year (young "
                "adults leaving the parental home, and others)", "year,region", tables_, comm);
  createDataset(file, "households/returned_home", H5T_NATIVE_INT64, {Y, R}, "persons",
                "national adults under 60 living alone who moved in with their mother or a household of their "
                "parents' generation during the year", "year,region", tables_, comm);
  createDataset(file, "households/elderly_moved", H5T_NATIVE_INT64, {Y, R}, "persons",
                "nationals 60+ living alone who moved in with a child's family (a linked child or a couple of "
                "their children's generation) during the year", "year,region", tables_, comm);
  createDataset(file, "households/orphans_placed", H5T_NATIVE_INT64, {Y, R}, "persons",
                "minors left without an adult who were placed with kin or a foster household", "year,region", tables_, comm);
  const auto P = static_cast<hsize_t>(ranks_);
  createDataset(file, "performance/seconds", H5T_NATIVE_DOUBLE, {Y, P, kPhases.size()}, "s",
                "wall seconds per phase of the year on each rank (see attribute phases)", "year,rank,phase", tables_, comm);
  {
    Handle d(H5Dopen2(file, "performance/seconds", H5P_DEFAULT), H5Dclose, "opening performance/seconds");
    std::string phases;
    for (std::size_t k = 0; k < kPhases.size(); ++k) phases += fmt::format("{}{}", k ? "," : "", kPhases[k]);
    detail::writeAttribute(d, "phases", phases);
  }
  createDataset(file, "performance/agents", H5T_NATIVE_INT64, {Y, P}, "persons",
                "agents on each rank at the end of the year", "year,rank", tables_, comm);
  createDataset(file, "performance/bytes_exchanged", H5T_NATIVE_INT64, {Y, P}, "bytes",
                "bytes each rank sent to other ranks during the year", "year,rank", tables_, comm);
  file.close("closing " + path_);
}

ResultsWriter::~ResultsWriter() = default;

void ResultsWriter::writeYear(int t, int year, const std::vector<core::RegionIndex>& owned,
                              const std::vector<RegionYearRecord>& records, const std::vector<std::int64_t>& flows) {
  collectiveWrite(comm_, path_, [&] { writeYearRows(t, year, owned, records, flows); });
}

void ResultsWriter::writeYearRows(int t, int year, const std::vector<core::RegionIndex>& owned,
                                  const std::vector<RegionYearRecord>& records, const std::vector<std::int64_t>& flows) {
  std::vector<std::size_t> rows(owned.begin(), owned.end());
  auto gather = [&](auto field, std::size_t inner) {
    std::vector<std::int64_t> v;
    v.reserve(rows.size() * inner);
    for (const auto& rec : records) field(rec, v);
    return v;
  };
  writeRows(file_, "population", t, rows, 202, gather([](const auto& r, auto& v) {
              for (const auto& s : r.population) v.insert(v.end(), s.begin(), s.end());
            }, 202), comm_);
  writeRows(file_, "nationals/population", t, rows, 202, gather([](const auto& r, auto& v) {
              for (const auto& s : r.nationals) v.insert(v.end(), s.begin(), s.end());
            }, 202), comm_);
  writeRows(file_, "nationals/births", t, rows, 1, gather([](const auto& r, auto& v) { v.push_back(r.national_births); }, 1), comm_);
  writeRows(file_, "nationals/births_by_mother_age", t, rows, 35, gather([](const auto& r, auto& v) {
              v.insert(v.end(), r.births_to_nationals.begin(), r.births_to_nationals.end());
            }, 35), comm_);
  writeRows(file_, "nationals/deaths", t, rows, 1, gather([](const auto& r, auto& v) { v.push_back(r.national_deaths); }, 1), comm_);
  writeRows(file_, "nationals/immigrants", t, rows, 1,
            gather([](const auto& r, auto& v) { v.push_back(r.national_immigrants); }, 1), comm_);
  writeRows(file_, "nationals/emigrants", t, rows, 1,
            gather([](const auto& r, auto& v) { v.push_back(r.national_emigrants); }, 1), comm_);
  writeRows(file_, "nationals/naturalisations", t, rows, 1,
            gather([](const auto& r, auto& v) { v.push_back(r.naturalisations); }, 1), comm_);
  writeRows(file_, "deaths", t, rows, 202, gather([](const auto& r, auto& v) {
              for (const auto& s : r.deaths) v.insert(v.end(), s.begin(), s.end());
            }, 202), comm_);
  writeRows(file_, "births", t, rows, 35,
            gather([](const auto& r, auto& v) { v.insert(v.end(), r.births.begin(), r.births.end()); }, 35), comm_);
  writeRows(file_, "households/size", t, rows, kHouseholdSizes, gather([](const auto& r, auto& v) {
              v.insert(v.end(), r.household_size.begin(), r.household_size.end());
            }, kHouseholdSizes), comm_);
  writeRows(file_, "households/type", t, rows, kHouseholdTypes.size(), gather([](const auto& r, auto& v) {
              v.insert(v.end(), r.household_type.begin(), r.household_type.end());
            }, kHouseholdTypes.size()), comm_);
  writeRows(file_, "households/living_alone", t, rows, 202, gather([](const auto& r, auto& v) {
              for (const auto& s : r.living_alone) v.insert(v.end(), s.begin(), s.end());
            }, 202), comm_);
  writeRows(file_, "households/alone_65plus", t, rows, 1, gather([](const auto& r, auto& v) { v.push_back(r.alone_65plus); }, 1), comm_);
  writeRows(file_, "households/alone_80plus", t, rows, 1, gather([](const auto& r, auto& v) { v.push_back(r.alone_80plus); }, 1), comm_);
  writeRows(file_, "households/with_child_under_6", t, rows, 1,
            gather([](const auto& r, auto& v) { v.push_back(r.with_child_under_6); }, 1), comm_);
  writeRows(file_, "households/with_child_under_18", t, rows, 1,
            gather([](const auto& r, auto& v) { v.push_back(r.with_child_under_18); }, 1), comm_);
  writeRows(file_, "households/by_head_age", t, rows, kHeadAgeGroups.size(), gather([](const auto& r, auto& v) {
              v.insert(v.end(), r.by_head_age.begin(), r.by_head_age.end());
            }, kHeadAgeGroups.size()), comm_);
  writeRows(file_, "households/foreign", t, rows, 1,
            gather([](const auto& r, auto& v) { v.push_back(r.foreign_households); }, 1), comm_);
  writeRows(file_, "households/mixed_nationality", t, rows, 1,
            gather([](const auto& r, auto& v) { v.push_back(r.mixed_nationality); }, 1), comm_);
  writeRows(file_, "international/immigrants", t, rows, 1,
            gather([](const auto& r, auto& v) { v.push_back(r.immigrants); }, 1), comm_);
  writeRows(file_, "international/emigrants", t, rows, 1,
            gather([](const auto& r, auto& v) { v.push_back(r.emigrants); }, 1), comm_);
  writeRows(file_, "unions/marriages", t, rows, 1, gather([](const auto& r, auto& v) { v.push_back(r.marriages); }, 1), comm_);
  writeRows(file_, "unions/divorces", t, rows, 1, gather([](const auto& r, auto& v) { v.push_back(r.divorces); }, 1), comm_);
  writeRows(file_, "migration/in", t, rows, 1, gather([](const auto& r, auto& v) { v.push_back(r.migrants_in); }, 1), comm_);
  writeRows(file_, "migration/out", t, rows, 1, gather([](const auto& r, auto& v) { v.push_back(r.migrants_out); }, 1), comm_);
  writeRows(file_, "migration/in_by_age", t, rows, 101, gather([](const auto& r, auto& v) {
              v.insert(v.end(), r.migrants_in_by_age.begin(), r.migrants_in_by_age.end());
            }, 101), comm_);
  writeRows(file_, "migration/out_by_age", t, rows, 101, gather([](const auto& r, auto& v) {
              v.insert(v.end(), r.migrants_out_by_age.begin(), r.migrants_out_by_age.end());
            }, 101), comm_);
  {
    // The flows are national (identical on every rank): rank 0 writes them.
    std::vector<std::int64_t> national = flows;
    national.resize(provinces_ * provinces_, 0);
    writeRows(file_, "migration/flows", t, rank_ == 0 ? std::vector<std::size_t>{0} : std::vector<std::size_t>{},
              provinces_ * provinces_, rank_ == 0 ? national : std::vector<std::int64_t>{}, comm_);
  }
  writeRows(file_, "households/left_home", t, rows, 1,
            gather([](const auto& r, auto& v) { v.push_back(r.left_home); }, 1), comm_);
  writeRows(file_, "households/returned_home", t, rows, 1,
            gather([](const auto& r, auto& v) { v.push_back(r.returned_home); }, 1), comm_);
  writeRows(file_, "households/elderly_moved", t, rows, 1,
            gather([](const auto& r, auto& v) { v.push_back(r.elderly_moved); }, 1), comm_);
  writeRows(file_, "households/orphans_placed", t, rows, 1,
            gather([](const auto& r, auto& v) { v.push_back(r.orphans_placed); }, 1), comm_);
  const std::vector<std::int32_t> y = {year};
  writeRows(file_, "years", t, rank_ == 0 ? std::vector<std::size_t>{0} : std::vector<std::size_t>{}, 1,
            rank_ == 0 ? y : std::vector<std::int32_t>{}, comm_);
  {
    Handle m(H5Gopen2(file_, "meta", H5P_DEFAULT), H5Gclose, "opening /meta");
    detail::writeAttribute(m, "last_year", std::int64_t{year});
  }
  detail::checkAll(H5Fflush(file_, H5F_SCOPE_GLOBAL), "flushing " + path_, file_, comm_);
}

void ResultsWriter::writePerformance(int t, const PhaseSeconds& seconds, std::uint64_t agents,
                                     std::uint64_t bytes_exchanged) {
  collectiveWrite(comm_, path_, [&] {
    const std::vector<std::size_t> row = {static_cast<std::size_t>(rank_)};
    writeRows(file_, "performance/seconds", t, row, kPhases.size(), std::vector<double>(seconds.begin(), seconds.end()), comm_);
    writeRows(file_, "performance/agents", t, row, 1, std::vector<std::int64_t>{static_cast<std::int64_t>(agents)}, comm_);
    writeRows(file_, "performance/bytes_exchanged", t, row, 1,
              std::vector<std::int64_t>{static_cast<std::int64_t>(bytes_exchanged)}, comm_);
  });
}

void ResultsWriter::finish(double wall_seconds, bool complete) {
  collectiveWrite(comm_, path_, [&] {
    {
      Handle m(H5Gopen2(file_, "meta", H5P_DEFAULT), H5Gclose, "opening /meta");
      detail::writeAttribute(m, "wall_seconds", wall_seconds);
      detail::writeAttribute(m, "complete", std::int64_t{complete ? 1 : 0});
    }
    // Flushed and agreed first: the close then has nothing left to write.
    detail::checkAll(H5Fflush(file_, H5F_SCOPE_GLOBAL), "flushing " + path_, file_, comm_);
    file_.close("closing " + path_);
  });
}

namespace {

template <typename T>
void writeWholeDataset(hid_t file, int rank, const std::string& name, const std::vector<std::uint64_t>& dims,
                       const std::vector<T>& values, const std::string& units, const std::string& description,
                       const std::string& axes, MPI_Comm comm) {
  std::vector<std::string> ignored;
  std::vector<hsize_t> h(dims.begin(), dims.end());
  hsize_t n = 1;
  for (const auto d : h) n *= d;
  if (n != values.size()) throw std::logic_error("writing " + name + ": the values do not fill the dimensions");
  if (!detail::linkExists(file, name))
    createDataset(file, name, detail::nativeType<T>(), h, units, description, axes, ignored, comm, false);
  Handle d(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose, "opening " + name);
  Handle space(H5Dget_space(d), H5Sclose, "getting a dataspace");
  if (rank != 0 || n == 0) detail::check(H5Sselect_none(space), "clearing a selection");
  hsize_t mem_n = std::max<hsize_t>(n, 1);
  Handle mem(H5Screate_simple(1, &mem_n, nullptr), H5Sclose, "creating a memory space");
  if (rank != 0 || n == 0) detail::check(H5Sselect_none(mem), "clearing a memory selection");
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose, "creating a transfer list");
  detail::check(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE), "collective I/O");
  detail::checkAll(H5Dwrite(d, detail::nativeType<T>(), mem, space, dxpl, values.data()), "writing " + name, d, comm);
}

}  // namespace

void ResultsWriter::writeWhole(const std::string& name, const std::vector<std::uint64_t>& dims,
                               const std::vector<double>& values, const std::string& units,
                               const std::string& description, const std::string& axes) {
  collectiveWrite(comm_, path_, [&] { writeWholeDataset(file_, rank_, name, dims, values, units, description, axes, comm_); });
}

void ResultsWriter::writeWhole(const std::string& name, const std::vector<std::uint64_t>& dims,
                               const std::vector<std::int64_t>& values, const std::string& units,
                               const std::string& description, const std::string& axes) {
  collectiveWrite(comm_, path_, [&] { writeWholeDataset(file_, rank_, name, dims, values, units, description, axes, comm_); });
}

std::vector<ResultsTable> ResultsWriter::tables(std::uint64_t rows) const {
  std::vector<ResultsTable> out;
  for (const auto& name : tables_) {
    Handle d(H5Dopen2(file_, name.c_str(), H5P_DEFAULT), H5Dclose, "opening " + name);
    Handle space(H5Dget_space(d), H5Sclose, "getting a dataspace");
    ResultsTable t;
    t.name = name;
    t.shape.assign(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space)), 0);
    std::vector<hsize_t> dims(t.shape.size());
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    std::copy(dims.begin(), dims.end(), t.shape.begin());
    t.rows = std::min<std::uint64_t>(rows, dims[0]);
    std::vector<hsize_t> start(dims.size(), 0), count(dims);
    count[0] = t.rows;
    hsize_t n = 1;
    for (const auto c : count) n *= c;
    t.values.resize(n);
    detail::check(H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
                  "selecting rows of " + name);
    hsize_t mem_n = std::max<hsize_t>(n, 1);
    Handle mem(H5Screate_simple(1, &mem_n, nullptr), H5Sclose, "creating a memory space");
    if (n == 0) detail::check(H5Sselect_none(mem), "clearing a memory selection");
    Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose, "creating a transfer list");
    detail::check(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE), "collective I/O");
    detail::check(H5Dread(d, H5T_NATIVE_INT64, mem, space, dxpl, t.values.data()), "reading " + name);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<std::string> ResultsWriter::restore(const std::vector<ResultsTable>& tables) {
  // The checkpoint's tables are checked before anything is written (a mismatch is the same on
  // every rank: each holds the same tables).
  for (const auto& t : tables)
    if (std::find(tables_.begin(), tables_.end(), t.name) == tables_.end())
      throw core::CollectiveInputError(fmt::format("restoring results: {} has no dataset {}", path_, t.name));
  std::vector<std::string> missing;
  collectiveWrite(comm_, path_, [&] { missing = restoreTables(tables); });
  return missing;
}

std::vector<std::string> ResultsWriter::restoreTables(const std::vector<ResultsTable>& tables) {
  for (const auto& t : tables) {
    Handle d(H5Dopen2(file_, t.name.c_str(), H5P_DEFAULT), H5Dclose, "opening " + t.name);
    Handle space(H5Dget_space(d), H5Sclose, "getting a dataspace");
    std::vector<hsize_t> dims(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space)));
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    if (dims.size() != t.shape.size() || !std::equal(dims.begin() + 1, dims.end(), t.shape.begin() + 1) ||
        t.rows > dims[0])
      throw core::CollectiveInputError(fmt::format("restoring results: {} in the checkpoint does not fit {}", t.name, path_));
    std::vector<hsize_t> start(dims.size(), 0), count(dims);
    count[0] = t.rows;
    hsize_t n = 1;
    for (const auto c : count) n *= c;
    if (n != t.values.size()) throw core::CollectiveInputError("restoring results: " + t.name + " in the checkpoint has the wrong size");
    // Rank 0 writes; the others take part in the collective call with empty selections.
    if (rank_ == 0 && n > 0)
      detail::check(H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
                    "selecting rows of " + t.name);
    else
      detail::check(H5Sselect_none(space), "clearing a selection");
    hsize_t mem_n = std::max<hsize_t>(n, 1);
    Handle mem(H5Screate_simple(1, &mem_n, nullptr), H5Sclose, "creating a memory space");
    if (rank_ != 0 || n == 0) detail::check(H5Sselect_none(mem), "clearing a memory selection");
    Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose, "creating a transfer list");
    detail::check(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE), "collective I/O");
    detail::checkAll(H5Dwrite(d, H5T_NATIVE_INT64, mem, space, dxpl, t.values.data()), "writing " + t.name, d, comm_);
  }
  if (!tables.empty()) {
    Handle m(H5Gopen2(file_, "meta", H5P_DEFAULT), H5Gclose, "opening /meta");
    const auto rows = static_cast<std::int64_t>(tables.front().rows);
    detail::writeAttribute(m, "last_year", detail::readIntAttribute(m, "start_year") + rows - 1);
  }
  detail::checkAll(H5Fflush(file_, H5F_SCOPE_GLOBAL), "flushing " + path_, file_, comm_);
  std::vector<std::string> missing;
  for (const auto& name : tables_)
    if (std::none_of(tables.begin(), tables.end(), [&](const ResultsTable& t) { return t.name == name; }))
      missing.push_back(name);
  return missing;
}

bool isResultsFile(const std::string& path) {
  bool yes = false;
  if (H5Fis_hdf5(path.c_str()) > 0) {
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) {
      yes = H5Lexists(f, "meta", H5P_DEFAULT) > 0 && H5Lexists(f, "population", H5P_DEFAULT) > 0;
      H5Fclose(f);
    }
  }
  return yes;
}

namespace {

// The national total per time point of a [Y, R, inner] int64 dataset (summed over regions and
// the inner axes); the shape is checked against the file's years and regions.
std::vector<std::int64_t> nationalTotals(hid_t file, const std::string& name, hsize_t years, hsize_t regions) {
  std::vector<hsize_t> dims;
  if (!detail::linkExists(file, name)) throw std::runtime_error("no dataset " + name);
  const auto rank = [&] {
    Handle d(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose, "opening " + name);
    Handle space(H5Dget_space(d), H5Sclose, "getting a dataspace");
    return H5Sget_simple_extent_ndims(space);
  }();
  std::vector<hsize_t> expected = {years, regions};
  for (int k = 2; k < rank; ++k) expected.push_back(detail::kAnyExtent);
  const auto v = detail::readWhole<std::int64_t>(file, name, dims, expected);
  std::vector<std::int64_t> out(years, 0);
  const std::size_t per_year = years == 0 ? 0 : v.size() / years;
  for (std::size_t t = 0; t < years; ++t)
    for (std::size_t k = 0; k < per_year; ++k) out[t] += v[t * per_year + k];
  return out;
}

ResultsSummary readSummary(const std::string& path) {
  ResultsSummary s;
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "opening " + path);
  {
    Handle m(H5Gopen2(file, "meta", H5P_DEFAULT), H5Gclose, "opening /meta");
    s.meta.config_path = detail::readStringAttribute(m, "config_path");
    s.meta.seed = detail::readUintAttribute(m, "seed");
    s.meta.scale = detail::readDoubleAttribute(m, "scale");
    const auto start = detail::readIntAttribute(m, "start_year");
    const auto end = detail::readIntAttribute(m, "end_year");
    if (start < 1000 || start > 10000 || end < start || end - start > 10000)
      throw std::runtime_error(fmt::format("/meta start_year {} and end_year {} are not a valid span of years", start, end));
    s.meta.start_year = static_cast<int>(start);
    s.meta.years = static_cast<int>(end - start);
    s.meta.ranks = static_cast<int>(std::clamp<std::int64_t>(detail::readIntAttribute(m, "ranks"), 0, 1 << 30));
    s.meta.threads = static_cast<int>(std::clamp<std::int64_t>(detail::readIntAttribute(m, "threads"), 0, 1 << 30));
    if (!(s.meta.scale > 0.0 && s.meta.scale <= 1.0))
      throw std::runtime_error(fmt::format("/meta scale {} is not in (0, 1]", s.meta.scale));
  }
  // Every dataset must agree with /meta's years and the region table.
  const auto Y = static_cast<hsize_t>(s.meta.years + 1);
  std::vector<hsize_t> dims;
  for (const auto y : detail::readWhole<std::int64_t>(file, "years", dims, {Y})) s.years.push_back(static_cast<int>(y));
  // The rows written: up to /meta last_year (files of an older popsim: the rows whose year is set;
  // a row never written holds year 0).
  std::size_t written = 0;
  while (written < s.years.size() && s.years[written] == s.meta.start_year + static_cast<int>(written)) ++written;
  {
    Handle m(H5Gopen2(file, "meta", H5P_DEFAULT), H5Gclose, "opening /meta");
    if (detail::hasAttribute(m, "last_year")) {
      const auto last = detail::readIntAttribute(m, "last_year");
      if (last < s.meta.start_year - 1 || last > s.meta.start_year + s.meta.years)
        throw std::runtime_error(fmt::format("/meta last_year {} is outside the run's years {}..{}", last,
                                             s.meta.start_year, s.meta.start_year + s.meta.years));
      written = std::min(written, static_cast<std::size_t>(last - s.meta.start_year + 1));
    }
    s.complete = detail::hasAttribute(m, "complete") ? detail::readIntAttribute(m, "complete") == 1 : written == Y;
    if (s.complete && written != Y)
      throw std::runtime_error(fmt::format("/meta says the run is complete but /years holds only {} of {} years",
                                           written, Y));
  }
  s.last_year = s.meta.start_year + static_cast<int>(written) - 1;
  Handle g(H5Gopen2(file, "regions", H5P_DEFAULT), H5Gclose, "opening /regions");
  const auto R = static_cast<hsize_t>(detail::readAll<std::int64_t>(g, "code").size());  // stored whole
  auto national = [&](const char* name) {
    const auto pop = detail::readWhole<std::int64_t>(file, name, dims, {Y, R, 2, 101});
    std::vector<std::array<std::array<std::int64_t, 101>, 2>> out(Y);
    for (std::size_t t = 0; t < Y; ++t)
      for (std::size_t r = 0; r < R; ++r)
        for (std::size_t x = 0; x < 2; ++x)
          for (std::size_t a = 0; a < 101; ++a) out[t][x][a] += pop[((t * R + r) * 2 + x) * 101 + a];
    return out;
  };
  s.population = national("population");
  s.nationals = national("nationals/population");
  s.births = nationalTotals(file, "births", Y, R);
  s.deaths = nationalTotals(file, "deaths", Y, R);
  s.immigrants = nationalTotals(file, "international/immigrants", Y, R);
  s.emigrants = nationalTotals(file, "international/emigrants", Y, R);
  s.households = nationalTotals(file, "households/size", Y, R);
  {
    const auto size = detail::readWhole<std::int64_t>(file, "households/size", dims, {Y, R, kHouseholdSizes});
    s.one_person.assign(Y, 0);
    for (std::size_t t = 0; t < Y; ++t)
      for (std::size_t r = 0; r < R; ++r) s.one_person[t] += size[(t * R + r) * kHouseholdSizes];
  }
  // Files of an older popsim lack the household indicators: the summary then leaves them empty.
  if (detail::linkExists(file, "households/alone_65plus")) {
    s.alone_65plus = nationalTotals(file, "households/alone_65plus", Y, R);
    s.alone_80plus = nationalTotals(file, "households/alone_80plus", Y, R);
    s.with_child_under_6 = nationalTotals(file, "households/with_child_under_6", Y, R);
  }
  // Nothing past the last year written.
  for (auto* series : {&s.births, &s.deaths, &s.immigrants, &s.emigrants, &s.households, &s.one_person,
                       &s.alone_65plus, &s.alone_80plus, &s.with_child_under_6})
    if (!series->empty()) series->resize(written);
  s.years.resize(written);
  s.population.resize(written);
  s.nationals.resize(written);
  return s;
}

}  // namespace

RunMeta readResultsMeta(const std::string& path) {
  requireRegularFile(path, "a popsim results file (HDF5)");
  if (!isResultsFile(path)) throw core::InputError(fmt::format("{}: not a popsim results file", path));
  try {
    RunMeta meta;
    Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "opening " + path);
    Handle m(H5Gopen2(file, "meta", H5P_DEFAULT), H5Gclose, "opening /meta");
    meta.config_path = detail::readStringAttribute(m, "config_path");
    meta.config_text = detail::readStringAttribute(m, "config");
    meta.scenario_text = detail::readStringAttribute(m, "scenario");
    meta.seed = detail::readUintAttribute(m, "seed");
    meta.scale = detail::readDoubleAttribute(m, "scale");
    const auto start = detail::readIntAttribute(m, "start_year");
    const auto end = detail::readIntAttribute(m, "end_year");
    if (start < 1000 || start > 10000 || end < start || end - start > 10000)
      throw std::runtime_error(fmt::format("/meta start_year {} and end_year {} are not a valid span of years", start, end));
    meta.start_year = static_cast<int>(start);
    meta.years = static_cast<int>(end - start);
    return meta;
  } catch (const std::runtime_error& e) {
    if (dynamic_cast<const core::InputError*>(&e)) throw;
    throw core::InputError(fmt::format("{}: not a valid popsim results file: {}", path, e.what()));
  }
}

ResultsSummary readResultsSummary(const std::string& path) {
  requireRegularFile(path, "a popsim results file (HDF5)");
  try {
    return readSummary(path);
  } catch (const std::runtime_error& e) {
    if (dynamic_cast<const core::InputError*>(&e)) throw;
    throw core::InputError(fmt::format("{}: not a valid popsim results file: {}", path, e.what()));
  }
}

}  // namespace popsim::io
