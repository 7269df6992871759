#include "io/detail/hdf5.hpp"

#include "core/hash.hpp"
#include "io/output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <exception>
#include <stdexcept>
#include <type_traits>

namespace popsim::io::detail {

Handle::Handle(hid_t id, Closer closer, const std::string& what) : id_(id), closer_(closer) {
  if (id < 0) throw std::runtime_error(fmt::format("HDF5: {} failed", what));
}

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    closer_ = o.closer_;
    o.id_ = -1;
  }
  return *this;
}

void Handle::reset() {
  // A file left by an exception is not closed: closing flushes it collectively, and after a
  // failed write the ranks would flush along different paths and wait for each other forever.
  // The ranks agree on the failure instead (io::collectiveWrite) and end without closing it.
  const bool abandoned = closer_ == &H5Fclose && std::uncaught_exceptions() > 0;
  if (id_ >= 0 && closer_ != nullptr && !abandoned) closer_(id_);
  id_ = -1;
}

void Handle::close(const std::string& what) {
  const hid_t id = id_;
  id_ = -1;
  if (id >= 0 && closer_ != nullptr && closer_(id) < 0) throw std::runtime_error(fmt::format("HDF5: {} failed", what));
}

void check(herr_t status, const std::string& what) {
  if (status < 0) throw std::runtime_error(fmt::format("HDF5: {} failed", what));
}

void checkAll(herr_t status, const std::string& what, hid_t object, MPI_Comm comm) {
  const auto failure = [&] {
    char name[4096] = {};
    H5Fget_name(object, name, sizeof name - 1);
    return writeFailureMessage(name, fmt::format("HDF5: {} failed", what));
  };
  if (!allRanksSucceeded(comm, status >= 0, failure)) throw std::runtime_error(fmt::format("HDF5: {} failed", what));
}

bool linkExists(hid_t loc, const std::string& path) {
  for (std::size_t end = path.find('/'); ; end = path.find('/', end + 1)) {
    const std::string prefix = path.substr(0, end);
    if (H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (end == std::string::npos) return true;
  }
}

Handle createGroup(hid_t parent, const std::string& name) {
  return Handle(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                "creating group " + name);
}

namespace {

Handle stringType(std::size_t size) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose, "copying the string type");
  check(H5Tset_size(type, std::max<std::size_t>(size, 1)), "setting a string size");
  check(H5Tset_cset(type, H5T_CSET_UTF8), "setting UTF-8");
  check(H5Tset_strpad(type, H5T_STR_NULLPAD), "setting string padding");
  return type;
}

template <typename T>
void writeScalarAttribute(hid_t object, const std::string& name, hid_t type, const T& value) {
  if (H5Aexists(object, name.c_str()) > 0) check(H5Adelete(object, name.c_str()), "deleting attribute " + name);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose, "creating a scalar space");
  Handle attr(H5Acreate2(object, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
              "creating attribute " + name);
  check(H5Awrite(attr, type, &value), "writing attribute " + name);
}

// Throws unless the attribute is a single value (scalar or one element) of a numeric class.
void requireSingleNumber(hid_t attr, const std::string& name) {
  Handle space(H5Aget_space(attr), H5Sclose, "getting the space of attribute " + name);
  Handle type(H5Aget_type(attr), H5Tclose, "getting the type of attribute " + name);
  const auto cls = H5Tget_class(type);
  if (H5Sget_simple_extent_npoints(space) != 1 || (cls != H5T_INTEGER && cls != H5T_FLOAT))
    throw std::runtime_error("attribute " + name + " is not a single number");
}

template <typename T>
T readScalarAttribute(hid_t object, const std::string& name, hid_t type) {
  Handle attr(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose, "opening attribute " + name);
  requireSingleNumber(attr, name);
  T value{};
  check(H5Aread(attr, type, &value), "reading attribute " + name);
  return value;
}

using core::mix64;

template <typename T>
std::uint64_t bitsOf(const T& v) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  return bits;
}

Handle selection(hid_t dataset, const std::vector<Range>& ranges, std::uint64_t& local_count) {
  Handle space(H5Dget_space(dataset), H5Sclose, "getting a dataspace");
  check(H5Sselect_none(space), "clearing a selection");
  local_count = 0;
  for (const auto& r : ranges) {
    if (r.count == 0) continue;
    hsize_t start = r.first;
    hsize_t count = r.count;
    check(H5Sselect_hyperslab(space, H5S_SELECT_OR, &start, nullptr, &count, nullptr), "selecting a hyperslab");
    local_count += r.count;
  }
  return space;
}

// The path of an object in its file ("/population"), for messages; `fallback` if unknown.
std::string objectPath(hid_t object, const std::string& fallback) {
  char path[1024] = {};
  return H5Iget_name(object, path, sizeof path) > 0 ? std::string(path) : fallback;
}

// Throws unless the file stores every byte that `dataset` declares (its extent times the size of
// its type in the file): popsim writes its datasets whole and uncompressed, so a dataset that
// declares more than the file holds is damaged or forged, and reading it would allocate what it
// declares (a 3 MB file can declare 16 GB). Checked before anything is allocated.
void requireStored(hid_t dataset, const std::string& relative_name) {
  const auto name = objectPath(dataset, relative_name);
  Handle space(H5Dget_space(dataset), H5Sclose, "getting the space of " + name);
  Handle type(H5Dget_type(dataset), H5Tclose, "getting the type of " + name);
  const auto points = H5Sget_simple_extent_npoints(space);
  const auto width = H5Tget_size(type);
  if (points < 0 || width == 0) throw std::runtime_error(fmt::format("dataset {} has no valid extent or type", name));
  const auto n = static_cast<std::uint64_t>(points);
  if (n > kMaxWholeElements || (n != 0 && width > std::numeric_limits<std::uint64_t>::max() / n))
    throw std::runtime_error(fmt::format("dataset {} is implausibly large ({} elements)", name, n));
  const std::uint64_t declared = n * width;
  const std::uint64_t stored = H5Dget_storage_size(dataset);
  if (stored < declared)
    throw std::runtime_error(fmt::format("dataset {} declares {} elements ({} bytes) but the file stores {} bytes of "
                                         "it: the file is damaged", name, n, declared, stored));
}

// Throws unless `dataset` is a 1-D dataset of numbers of T's kind (integers for an integer T,
// floating point for double) with at least `min_size` elements.
template <typename T>
void requireNumericColumn(hid_t dataset, const std::string& name, std::uint64_t min_size) {
  Handle space(H5Dget_space(dataset), H5Sclose, "getting the space of " + name);
  Handle type(H5Dget_type(dataset), H5Tclose, "getting the type of " + name);
  constexpr bool integral = std::is_integral_v<T> || std::is_enum_v<T>;
  const auto expected = integral ? H5T_INTEGER : H5T_FLOAT;
  if (H5Tget_class(type) != expected)
    throw std::runtime_error(fmt::format("dataset {} does not hold {}", name, integral ? "integers" : "floating-point numbers"));
  if (H5Sget_simple_extent_ndims(space) != 1) throw std::runtime_error("dataset " + name + " is not one-dimensional");
  const auto n = H5Sget_simple_extent_npoints(space);
  if (n < 0 || static_cast<std::uint64_t>(n) < min_size)
    throw std::runtime_error(fmt::format("dataset {} holds {} elements, expected at least {}", name, n, min_size));
}

bool isParallelFile(hid_t object) {
  Handle file(H5Iget_file_id(object), H5Fclose, "getting the file of an object");
  Handle fapl(H5Fget_access_plist(file), H5Pclose, "getting the file access list");
  return H5Pget_driver(fapl) == H5FD_MPIO;
}

Handle collectiveTransfer() {
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose, "creating a transfer property list");
  check(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE), "requesting collective I/O");
  return dxpl;
}

// Collective transfers for files opened with MPI-IO, the default for serial files (a results
// file is laid out by rank 0 alone).
Handle writeTransfer(hid_t object) {
  if (isParallelFile(object)) return collectiveTransfer();
  return Handle(H5Pcreate(H5P_DATASET_XFER), H5Pclose, "creating a transfer property list");
}


}  // namespace

void writeAttribute(hid_t object, const std::string& name, const std::string& value) {
  auto type = stringType(value.size());
  if (H5Aexists(object, name.c_str()) > 0) check(H5Adelete(object, name.c_str()), "deleting attribute " + name);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose, "creating a scalar space");
  Handle attr(H5Acreate2(object, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
              "creating attribute " + name);
  std::string buffer = value;
  if (buffer.empty()) buffer.push_back('\0');
  check(H5Awrite(attr, type, buffer.data()), "writing attribute " + name);
}
void writeAttribute(hid_t object, const std::string& name, std::int64_t value) {
  writeScalarAttribute(object, name, H5T_NATIVE_INT64, value);
}
void writeAttribute(hid_t object, const std::string& name, std::uint64_t value) {
  writeScalarAttribute(object, name, H5T_NATIVE_UINT64, value);
}
void writeAttribute(hid_t object, const std::string& name, double value) {
  writeScalarAttribute(object, name, H5T_NATIVE_DOUBLE, value);
}

bool hasAttribute(hid_t object, const std::string& name) { return H5Aexists(object, name.c_str()) > 0; }

std::string readStringAttribute(hid_t object, const std::string& name) {
  Handle attr(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose, "opening attribute " + name);
  Handle type(H5Aget_type(attr), H5Tclose, "getting the type of attribute " + name);
  if (H5Tget_class(type) != H5T_STRING || H5Tis_variable_str(type) > 0)
    throw std::runtime_error("attribute " + name + " is not a fixed-length string");
  Handle space(H5Aget_space(attr), H5Sclose, "getting the space of attribute " + name);
  if (H5Sget_simple_extent_npoints(space) != 1 || H5Tget_size(type) > kMaxStringBytes ||
      H5Aget_storage_size(attr) < H5Tget_size(type))
    throw std::runtime_error("attribute " + name + " is not a single string of a valid size");
  std::string value(H5Tget_size(type), '\0');
  check(H5Aread(attr, type, value.data()), "reading attribute " + name);
  value.resize(std::strlen(value.c_str()));
  return value;
}
std::int64_t readIntAttribute(hid_t object, const std::string& name) {
  return readScalarAttribute<std::int64_t>(object, name, H5T_NATIVE_INT64);
}
std::uint64_t readUintAttribute(hid_t object, const std::string& name) {
  return readScalarAttribute<std::uint64_t>(object, name, H5T_NATIVE_UINT64);
}
double readDoubleAttribute(hid_t object, const std::string& name) {
  return readScalarAttribute<double>(object, name, H5T_NATIVE_DOUBLE);
}

template <typename T>
std::uint64_t localChecksum(const std::vector<T>& local, const std::vector<Range>& ranges) {
  // A sum mod 2^64: the same for any split over threads (OpenMP reduction) or ranks.
  std::uint64_t sum = 0;
  std::size_t k = 0;
  for (const auto& r : ranges) {
    const T* values = local.data() + k;
    const auto count = static_cast<std::int64_t>(r.count);
#pragma omp parallel for reduction(+ : sum) schedule(static) if (count > 65536)
    for (std::int64_t i = 0; i < count; ++i)
      sum += mix64(mix64(r.first + static_cast<std::uint64_t>(i)) ^ bitsOf(values[i]));
    k += r.count;
  }
  return sum;
}

template <typename T>
void writeDistributed(hid_t parent, const std::string& name, const std::vector<T>& local,
                      const std::vector<Range>& ranges, std::uint64_t global_size, const std::string& units,
                      const std::string& description, MPI_Comm comm) {
  hsize_t dims = global_size;
  Handle file_space(H5Screate_simple(1, &dims, nullptr), H5Sclose, "creating a dataspace");
  // Every element is written below: no fill values (parallel HDF5 would otherwise write the
  // whole dataset twice, once with zeros at allocation).
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "creating a dataset property list");
  check(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), "no fill values");
  Handle dataset(H5Dcreate2(parent, name.c_str(), nativeType<T>(), file_space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                 H5Dclose, "creating dataset " + name);
  std::uint64_t local_count = 0;
  auto selected = selection(dataset, ranges, local_count);
  if (local_count != local.size())
    throw std::logic_error(fmt::format("writing {}: {} local elements for {} selected", name, local.size(), local_count));
  hsize_t mem_dims = std::max<std::uint64_t>(local_count, 1);
  Handle mem_space(H5Screate_simple(1, &mem_dims, nullptr), H5Sclose, "creating a memory space");
  if (local_count == 0) check(H5Sselect_none(mem_space), "clearing a memory selection");
  auto dxpl = writeTransfer(dataset);
  checkAll(H5Dwrite(dataset, nativeType<T>(), mem_space, selected, dxpl, local.empty() ? nullptr : local.data()),
           "writing dataset " + name, dataset, comm);
  std::uint64_t checksum = localChecksum(local, ranges);
  MPI_Allreduce(MPI_IN_PLACE, &checksum, 1, MPI_UINT64_T, MPI_SUM, comm);
  writeAttribute(dataset, "checksum", checksum);
  writeAttribute(dataset, "units", units);
  writeAttribute(dataset, "description", description);
}

template <typename T>
std::vector<T> readDistributed(hid_t parent, const std::string& name, const std::vector<Range>& ranges, MPI_Comm comm,
                               bool verify_checksum) {
  Handle dataset(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose, "opening dataset " + name);
  std::uint64_t end = 0;
  for (const auto& r : ranges) end = std::max(end, r.first + r.count);
  requireNumericColumn<T>(dataset, name, end);
  requireStored(dataset, name);
  std::uint64_t local_count = 0;
  auto selected = selection(dataset, ranges, local_count);
  std::vector<T> local(local_count);
  hsize_t mem_dims = std::max<std::uint64_t>(local_count, 1);
  Handle mem_space(H5Screate_simple(1, &mem_dims, nullptr), H5Sclose, "creating a memory space");
  if (local_count == 0) check(H5Sselect_none(mem_space), "clearing a memory selection");
  if (isParallelFile(dataset)) {
    auto dxpl = collectiveTransfer();
    check(H5Dread(dataset, nativeType<T>(), mem_space, selected, dxpl, local.empty() ? nullptr : local.data()),
          "reading dataset " + name);
  } else {
    check(H5Dread(dataset, nativeType<T>(), mem_space, selected, H5P_DEFAULT, local.empty() ? nullptr : local.data()),
          "reading dataset " + name);
  }
  if (verify_checksum) {
    std::uint64_t checksum = localChecksum(local, ranges);
    if (comm != MPI_COMM_NULL) MPI_Allreduce(MPI_IN_PLACE, &checksum, 1, MPI_UINT64_T, MPI_SUM, comm);
    if (checksum != readUintAttribute(dataset, "checksum"))
      throw std::runtime_error(fmt::format("dataset {} fails its checksum: the file is damaged", name));
  }
  return local;
}

template <typename T>
void writeReplicated(hid_t parent, const std::string& name, const std::vector<T>& values, const std::string& units,
                     const std::string& description, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::vector<Range> ranges;
  if (rank == 0) ranges.push_back({0, values.size()});
  writeDistributed(parent, name, rank == 0 ? values : std::vector<T>{}, ranges, values.size(), units, description, comm);
}

void writeReplicatedStrings(hid_t parent, const std::string& name, const std::vector<std::string>& values,
                            const std::string& description, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size());
  auto type = stringType(width);
  hsize_t dims = values.size();
  Handle space(H5Screate_simple(1, &dims, nullptr), H5Sclose, "creating a dataspace");
  Handle dataset(H5Dcreate2(parent, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose,
                 "creating dataset " + name);
  std::vector<char> buffer(values.size() * width, '\0');
  for (std::size_t i = 0; i < values.size(); ++i) std::memcpy(&buffer[i * width], values[i].data(), values[i].size());
  Handle file_space(H5Dget_space(dataset), H5Sclose, "getting a dataspace");
  if (rank != 0) check(H5Sselect_none(file_space), "clearing a selection");
  Handle mem_space(H5Screate_simple(1, &dims, nullptr), H5Sclose, "creating a memory space");
  if (rank != 0) check(H5Sselect_none(mem_space), "clearing a selection");
  auto dxpl = writeTransfer(dataset);
  checkAll(H5Dwrite(dataset, type, mem_space, file_space, dxpl, buffer.data()), "writing dataset " + name, dataset, comm);
  writeAttribute(dataset, "description", description);
}

std::uint64_t datasetSize(hid_t parent, const std::string& name) {
  Handle dataset(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose, "opening dataset " + name);
  Handle space(H5Dget_space(dataset), H5Sclose, "getting a dataspace");
  const auto n = H5Sget_simple_extent_npoints(space);
  if (n < 0) throw std::runtime_error("HDF5: cannot size dataset " + name);
  return static_cast<std::uint64_t>(n);
}

template <typename T>
std::vector<T> readAll(hid_t parent, const std::string& name) {
  const auto n = datasetSize(parent, name);
  if (n > kMaxWholeElements) throw std::runtime_error(fmt::format("dataset {} is implausibly large ({} elements)", name, n));
  return readDistributed<T>(parent, name, {Range{0, n}}, MPI_COMM_NULL, true);
}

std::vector<std::string> readAllStrings(hid_t parent, const std::string& name) {
  Handle dataset(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose, "opening dataset " + name);
  Handle type(H5Dget_type(dataset), H5Tclose, "getting a dataset type");
  if (H5Tget_class(type) != H5T_STRING || H5Tis_variable_str(type) > 0)
    throw std::runtime_error("dataset " + name + " is not of fixed-length strings");
  const std::size_t width = H5Tget_size(type);
  const auto n = datasetSize(parent, name);
  if (width == 0 || width > kMaxStringBytes || n > kMaxStringBytes / width)
    throw std::runtime_error("dataset " + name + " has an implausible size");
  requireStored(dataset, name);
  std::vector<char> buffer(n * width + 1, '\0');
  check(H5Dread(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()), "reading dataset " + name);
  std::vector<std::string> values(n);
  for (std::size_t i = 0; i < n; ++i) {
    const char* s = &buffer[i * width];
    values[i].assign(s, strnlen(s, width));
  }
  return values;
}

namespace {

template <typename T, typename F>
std::vector<T> column(const std::vector<core::Region>& regions, F field) {
  std::vector<T> v;
  v.reserve(regions.size());
  for (const auto& r : regions) v.push_back(static_cast<T>(field(r)));
  return v;
}

}  // namespace

Handle writeRegionTable(hid_t file, const core::RegionTable& regions, MPI_Comm comm) {
  const auto& rs = regions.regions();
  auto g = createGroup(file, "regions");
  writeReplicated(g, "code", column<std::int64_t>(rs, [](auto& r) { return r.code; }), "",
                  "administrative code (MOIS 10-digit for Korea)", comm);
  writeReplicatedStrings(g, "name_ko", column<std::string>(rs, [](auto& r) { return r.name_ko; }),
                         "name in Korean (UTF-8)", comm);
  writeReplicatedStrings(g, "name_en", column<std::string>(rs, [](auto& r) { return r.name_en; }), "romanised name",
                         comm);
  writeReplicated(g, "province", column<std::int32_t>(rs, [](auto& r) { return r.province_code; }), "",
                  "province (sido) code", comm);
  writeReplicated(g, "capital_region", column<std::uint8_t>(rs, [](auto& r) { return r.capital_region; }), "",
                  "1 if in the capital region (Seoul, Incheon, Gyeonggi)", comm);
  writeReplicated(g, "declining_area", column<std::uint8_t>(rs, [](auto& r) { return r.declining_area; }), "",
                  "1 if a designated population-declining area (2021)", comm);
  writeReplicated(g, "centroid_lon", column<double>(rs, [](auto& r) { return r.centroid_lon; }), "degrees",
                  "centroid longitude (WGS84)", comm);
  writeReplicated(g, "centroid_lat", column<double>(rs, [](auto& r) { return r.centroid_lat; }), "degrees",
                  "centroid latitude (WGS84)", comm);
  writeReplicated(g, "area", column<double>(rs, [](auto& r) { return r.area_km2; }), "km2", "land area (approximate)",
                  comm);

  auto pg = createGroup(file, "provinces");
  std::vector<std::int32_t> code;
  std::vector<std::string> name_ko, name_en;
  std::vector<std::uint8_t> capital;
  std::vector<double> tfr;
  for (const auto& p : regions.provinces()) {
    code.push_back(p.code);
    name_ko.push_back(p.name_ko);
    name_en.push_back(p.name_en);
    capital.push_back(p.capital_region);
    tfr.push_back(p.tfr_base);
  }
  writeReplicated(pg, "code", code, "", "province (sido) code", comm);
  writeReplicatedStrings(pg, "name_ko", name_ko, "name in Korean (UTF-8)", comm);
  writeReplicatedStrings(pg, "name_en", name_en, "romanised name", comm);
  writeReplicated(pg, "capital_region", capital, "", "1 if in the capital region", comm);
  writeReplicated(pg, "tfr_base", tfr, "children per woman", "total fertility rate in the base year", comm);
  return g;
}

template <typename T>
std::vector<T> readWhole(hid_t parent, const std::string& relative_name, std::vector<hsize_t>& dims,
                         const std::vector<hsize_t>& expected) {
  if (!linkExists(parent, relative_name)) throw std::runtime_error("no dataset " + relative_name);
  Handle d(H5Dopen2(parent, relative_name.c_str(), H5P_DEFAULT), H5Dclose, "opening " + relative_name);
  const auto name = objectPath(d, relative_name);
  Handle space(H5Dget_space(d), H5Sclose, "getting a dataspace");
  Handle type(H5Dget_type(d), H5Tclose, "getting the type of " + name);
  if (H5Tget_class(type) != H5T_INTEGER && H5Tget_class(type) != H5T_FLOAT)
    throw std::runtime_error("dataset " + name + " does not hold numbers");
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0 || static_cast<std::size_t>(rank) != expected.size())
    throw std::runtime_error(fmt::format("dataset {} has {} dimensions, expected {}", name, rank, expected.size()));
  dims.assign(expected.size(), 0);
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  std::uint64_t n = 1;
  for (std::size_t k = 0; k < dims.size(); ++k) {
    if (expected[k] != kAnyExtent && dims[k] != expected[k])
      throw std::runtime_error(fmt::format("dataset {} has extent {} on axis {}, expected {}", name, dims[k], k,
                                           expected[k]));
    if (dims[k] != 0 && n > kMaxWholeElements / dims[k])
      throw std::runtime_error(fmt::format("dataset {} is implausibly large", name));
    n *= dims[k];
  }
  requireStored(d, name);
  std::vector<T> v(n);
  if (n == 0) return v;
  check(H5Dread(d, nativeType<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), "reading " + name);
  return v;
}

#define POPSIM_INSTANTIATE(T)                                                                                  \
  template void writeDistributed<T>(hid_t, const std::string&, const std::vector<T>&, const std::vector<Range>&, \
                                    std::uint64_t, const std::string&, const std::string&, MPI_Comm);          \
  template std::vector<T> readDistributed<T>(hid_t, const std::string&, const std::vector<Range>&, MPI_Comm, bool); \
  template void writeReplicated<T>(hid_t, const std::string&, const std::vector<T>&, const std::string&,      \
                                   const std::string&, MPI_Comm);                                             \
  template std::vector<T> readAll<T>(hid_t, const std::string&);                                              \
  template std::vector<T> readWhole<T>(hid_t, const std::string&, std::vector<hsize_t>&,                      \
                                       const std::vector<hsize_t>&);                                          \
  template std::uint64_t localChecksum<T>(const std::vector<T>&, const std::vector<Range>&);

POPSIM_INSTANTIATE(std::uint8_t)
POPSIM_INSTANTIATE(core::Sex)
POPSIM_INSTANTIATE(std::int16_t)
POPSIM_INSTANTIATE(std::uint16_t)
POPSIM_INSTANTIATE(std::int32_t)
POPSIM_INSTANTIATE(std::uint32_t)
POPSIM_INSTANTIATE(std::int64_t)
POPSIM_INSTANTIATE(std::uint64_t)
POPSIM_INSTANTIATE(double)
#undef POPSIM_INSTANTIATE

}  // namespace popsim::io::detail
