// Errors that carry where they come from, so that a user can fix the input that caused them.
#pragma once

#include <stdexcept>
#include <string>

namespace popsim::core {

// A problem with an input file. The message names the file, the line and field when known,
// and what was expected.
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

// An InputError that every rank of a communicator throws together (parallel::agreeing): one
// rank reports it and every rank exits with code 2. A plain InputError may be one rank's alone.
class CollectiveInputError : public InputError {
 public:
  using InputError::InputError;
};

// The file system refused to write an output (read-only, full, over quota, past the file size
// limit, an I/O error), seen by one rank: io::files turns such errno values into this, the
// others into InputError. parallel::agreeing makes it every rank's CollectiveOutputError.
class OutputError : public std::runtime_error {
 public:
  explicit OutputError(const std::string& message) : std::runtime_error(message) {}
};

// Writing an output failed (a full disk, an exceeded quota, the file size limit, an I/O error, a
// read-only file system), on every rank of a communicator together (io::collectiveWrite): one
// rank reports it and every rank exits with code 1. The message names the file and the reason.
class CollectiveOutputError : public std::runtime_error {
 public:
  explicit CollectiveOutputError(const std::string& message) : std::runtime_error(message) {}
};

// Formats "FILE:LINE:COL: column 'NAME': MESSAGE" (the form editors and compilers use);
// "FILE:LINE: MESSAGE" without a column, "FILE: MESSAGE" without a line (line <= 0).
std::string locate(const std::string& file, long line, const std::string& column, int column_number,
                   const std::string& message);

}  // namespace popsim::core
