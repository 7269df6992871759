#include "io/files.hpp"

#include <fmt/format.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/hash.hpp"

namespace popsim::io {
namespace fs = std::filesystem;

void requireRegularFile(const std::string& path, const std::string& what) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status))
    throw core::InputError(fmt::format("{}: no such file (expected {})", path, what));
  if (fs::is_directory(status))
    throw core::InputError(fmt::format("{}: is a directory, expected {}", path, what));
  if (!fs::is_regular_file(status))
    throw core::InputError(fmt::format("{}: not a regular file (a device, pipe or socket), expected {}", path, what));
  if (::access(path.c_str(), R_OK) != 0)
    throw core::InputError(fmt::format("{}: cannot be read (permission denied), expected {}", path, what));
}

std::string readTextFile(const std::string& path, const std::string& what) {
  requireRegularFile(path, what);
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) throw core::InputError(fmt::format("{}: cannot determine the size of {}", path, what));
  if (size > kMaxTextFileBytes)
    throw core::InputError(fmt::format("{}: {} bytes, larger than any valid {} ({} bytes at most)", path, size, what,
                                       kMaxTextFileBytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw core::InputError(fmt::format("{}: cannot open {}", path, what));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw core::InputError(fmt::format("{}: reading {} failed", path, what));
  return buffer.str();
}

std::string fileFingerprint(const std::string& path, const std::string& what) {
  return fmt::format("{:016x}", core::Fingerprint().add(readTextFile(path, what)).value());
}

namespace {

// Whether errno `error` is the file system's refusal to store data (exit 1: a write failure)
// rather than a wrong place to write (exit 2: permissions, a missing directory).
bool systemWriteFailure(int error) {
  return error == EROFS || error == ENOSPC || error == EDQUOT || error == EFBIG || error == EIO;
}

// Throws "writing TARGET: REASON" as core::OutputError for a system write failure, else
// "WHAT: cannot create files in DIR: REASON" as core::InputError.
[[noreturn]] void cannotWrite(const std::string& what, const std::string& dir, const std::string& target, int error) {
  if (systemWriteFailure(error)) throw core::OutputError(fmt::format("writing {}: {}", target, std::strerror(error)));
  throw core::InputError(fmt::format("{}: cannot create files in {}: {}", what, dir, std::strerror(error)));
}

// Creates and deletes a probe file in `dir`, where `target` is to be written: the only test of
// writability that holds for root, read-only mounts and pseudo file systems alike. Throws
// core::InputError naming `what`, or core::OutputError naming `target` for a read-only, full or
// failing file system.
void requireCreatable(const fs::path& dir, const std::string& what, const std::string& target) {
  const auto probe = (dir / fmt::format(".popsim-probe-{}", ::getpid())).string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) cannotWrite(what, dir.string(), target, errno);
  ::close(fd);
  ::unlink(probe.c_str());
}

bool sameFile(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::equivalent(a, b, ec)) return true;
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec) && !ec;
}

}  // namespace

void requireOutputFile(const std::string& path, const std::string& option, bool overwrite,
                       const std::vector<std::string>& inputs) {
  if (path.empty()) throw core::InputError(fmt::format("{}: an empty file name", option));
  for (const auto& input : inputs)
    if (sameFile(path, input))
      throw core::InputError(fmt::format("{} {}: the output is also an input; write it to another file", option, path));
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (fs::exists(status)) {
    if (fs::is_directory(status))
      throw core::InputError(fmt::format("{} {}: is a directory, expected a file name", option, path));
    if (!fs::is_regular_file(status))
      throw core::InputError(fmt::format("{} {}: not a regular file (a device or pipe); expected a file name", option, path));
    if (!overwrite)
      throw core::InputError(fmt::format("{} {}: the file exists; give --overwrite to replace it (it is replaced only "
                                         "once the new one is complete)", option, path));
  }
  const auto parent = fs::path(path).parent_path();
  const auto dir = parent.empty() ? fs::path(".") : parent;
  if (!fs::is_directory(dir, ec))
    throw core::InputError(fmt::format("{} {}: the directory {} does not exist", option, path, dir.string()));
  requireCreatable(dir, fmt::format("{} {}", option, path), path);
}

void prepareOutputDirectory(const std::string& dir, const std::string& option) {
  if (dir.empty()) throw core::InputError(fmt::format("{}: an empty directory name", option));
  std::error_code ec;
  const auto status = fs::status(dir, ec);
  if (fs::exists(status) && !fs::is_directory(status))
    throw core::InputError(fmt::format("{} {}: exists and is not a directory", option, dir));
  fs::create_directories(dir, ec);
  if (ec && ec.category() == std::generic_category() && systemWriteFailure(ec.value()))
    throw core::OutputError(fmt::format("writing {}: {}", dir, ec.message()));
  if (ec) throw core::InputError(fmt::format("{} {}: cannot create the directory: {}", option, dir, ec.message()));
  requireCreatable(dir, fmt::format("{} {}", option, dir), dir);
}

}  // namespace popsim::io
