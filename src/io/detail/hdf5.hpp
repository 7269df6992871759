// Thin RAII and error-checking helpers over the HDF5 C API (internal to io/).
#pragma once

#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/regions.hpp"
#include "core/types.hpp"

namespace popsim::io::detail {

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer, const std::string& what);
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept;
  ~Handle() { reset(); }
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }
  void reset();
  // Closes now and throws std::runtime_error naming `what` if closing fails (for files, whose
  // close is where the data reach the disk).
  void close(const std::string& what);

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// Throws std::runtime_error naming `what` when an HDF5 call returns a negative status.
void check(herr_t status, const std::string& what);
// The same for a collective call on `object`'s file on every rank of `comm`: if it failed on any
// rank, every rank throws, at the same point (the next collective call would otherwise wait for a
// rank that gave up). A failing rank that the others do not join reports and aborts the job
// (io::allRanksSucceeded).
void checkAll(herr_t status, const std::string& what, hid_t object, MPI_Comm comm);

template <typename T> hid_t nativeType();
template <> inline hid_t nativeType<std::uint8_t>() { return H5T_NATIVE_UINT8; }
template <> inline hid_t nativeType<core::Sex>() { return H5T_NATIVE_UINT8; }
template <> inline hid_t nativeType<std::int16_t>() { return H5T_NATIVE_INT16; }
template <> inline hid_t nativeType<std::uint16_t>() { return H5T_NATIVE_UINT16; }
template <> inline hid_t nativeType<std::int32_t>() { return H5T_NATIVE_INT32; }
template <> inline hid_t nativeType<std::uint32_t>() { return H5T_NATIVE_UINT32; }
template <> inline hid_t nativeType<std::int64_t>() { return H5T_NATIVE_INT64; }
template <> inline hid_t nativeType<std::uint64_t>() { return H5T_NATIVE_UINT64; }
template <> inline hid_t nativeType<double>() { return H5T_NATIVE_DOUBLE; }

Handle createGroup(hid_t parent, const std::string& name);
// Whether the link `path` ("a/b/c") exists below `loc`, checking each component in turn so that
// HDF5 never reports a missing intermediate group as an error.
bool linkExists(hid_t loc, const std::string& path);

// The longest string read from a file (attribute or string dataset), far above any valid one.
inline constexpr std::size_t kMaxStringBytes = std::size_t{1} << 28;

// Attributes (collective in parallel files: every rank passes the same value).
void writeAttribute(hid_t object, const std::string& name, const std::string& value);
void writeAttribute(hid_t object, const std::string& name, std::int64_t value);
void writeAttribute(hid_t object, const std::string& name, std::uint64_t value);
void writeAttribute(hid_t object, const std::string& name, double value);
bool hasAttribute(hid_t object, const std::string& name);
std::string readStringAttribute(hid_t object, const std::string& name);
std::int64_t readIntAttribute(hid_t object, const std::string& name);
std::uint64_t readUintAttribute(hid_t object, const std::string& name);
double readDoubleAttribute(hid_t object, const std::string& name);

// A 1-D dataset written by every rank: each rank passes its elements and the global ranges
// [first, first + count) they go to (concatenated in `local` in range order).
struct Range {
  std::uint64_t first = 0;
  std::uint64_t count = 0;
};

template <typename T>
void writeDistributed(hid_t file_or_group, const std::string& name, const std::vector<T>& local,
                      const std::vector<Range>& ranges, std::uint64_t global_size, const std::string& units,
                      const std::string& description, MPI_Comm comm);

template <typename T>
std::vector<T> readDistributed(hid_t file_or_group, const std::string& name, const std::vector<Range>& ranges,
                               MPI_Comm comm, bool verify_checksum = true);

// Small datasets that every rank holds in full; rank 0 writes, every rank reads.
template <typename T>
void writeReplicated(hid_t file_or_group, const std::string& name, const std::vector<T>& values,
                     const std::string& units, const std::string& description, MPI_Comm comm);
void writeReplicatedStrings(hid_t file_or_group, const std::string& name, const std::vector<std::string>& values,
                            const std::string& description, MPI_Comm comm);
template <typename T>
std::vector<T> readAll(hid_t file_or_group, const std::string& name);
std::vector<std::string> readAllStrings(hid_t file_or_group, const std::string& name);
// A whole N-D dataset of numbers (serial, no checksum: results tables), converted to T; `dims`
// gets its shape, which must match `expected` (one entry per axis; kAnyExtent accepts any).
// Throws std::runtime_error naming the dataset otherwise.
inline constexpr hsize_t kAnyExtent = ~hsize_t{0};
inline constexpr std::uint64_t kMaxWholeElements = std::uint64_t{1} << 32;
template <typename T>
std::vector<T> readWhole(hid_t file_or_group, const std::string& name, std::vector<hsize_t>& dims,
                         const std::vector<hsize_t>& expected);
std::uint64_t datasetSize(hid_t file_or_group, const std::string& name);

// Writes the region table to group /regions (code, names, province, flags, centroid, area) and
// the province table to /provinces; returns the open /regions group. Collective.
Handle writeRegionTable(hid_t file, const core::RegionTable& regions, MPI_Comm comm);

// Order-independent content checksum of a distributed column: sum over elements of a mix of
// (global index, value bits), reduced over ranks; identical for any decomposition.
template <typename T>
std::uint64_t localChecksum(const std::vector<T>& local, const std::vector<Range>& ranges);

}  // namespace popsim::io::detail
