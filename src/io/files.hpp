// The checks every reader makes before it opens a path, and every writer before it writes one:
// an input is a regular, readable file of a sane size; an output never replaces a file that
// already holds data unless asked to, and is never one of the inputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace popsim::io {

// The largest text input read (configuration, scenario, CSV tables): far above any real table.
inline constexpr std::uintmax_t kMaxTextFileBytes = std::uintmax_t{1} << 30;

// Throws core::InputError naming `path` and `what` ("the configuration file") unless `path` is an
// existing regular file (not a directory, device or pipe) that can be opened for reading.
void requireRegularFile(const std::string& path, const std::string& what);

// The whole content of a regular file of at most kMaxTextFileBytes; throws core::InputError.
std::string readTextFile(const std::string& path, const std::string& what);

// A fingerprint of a file's content as 16 hex digits; throws core::InputError.
std::string fileFingerprint(const std::string& path, const std::string& what);

// Checks an output file named by `option` ("--out") before anything is written: its directory
// exists and is writable, it is not a directory, it is none of `inputs`, and it does not exist
// unless `overwrite`. Throws core::InputError.
void requireOutputFile(const std::string& path, const std::string& option, bool overwrite,
                       const std::vector<std::string>& inputs = {});

// Creates the output directory named by `option` (and its parents) if missing and checks that
// it is a writable directory. Throws core::InputError.
void prepareOutputDirectory(const std::string& dir, const std::string& option);

}  // namespace popsim::io
