// Shared helpers for the test suite: the shipped inputs, temporary directories, MPI queries.
#pragma once

#include <mpi.h>

#include <filesystem>
#include <string>

#include "io/config.hpp"
#include "io/inputs.hpp"

namespace popsim::test {

// The source tree's inputs/korea folder and its baseline configuration.
std::filesystem::path koreaInputs();
std::filesystem::path baselineConfig();

// The baseline configuration and inputs, read once per process.
const io::Config& baseline();
const io::CountryInputs& baselineInputs();

// A fresh directory, removed when the object goes away. In MPI tests rank 0 creates it and
// every rank gets the same path.
class TempDir {
 public:
  explicit TempDir(MPI_Comm comm = MPI_COMM_SELF);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  MPI_Comm comm_;
};

int rank(MPI_Comm comm = MPI_COMM_WORLD);
int size(MPI_Comm comm = MPI_COMM_WORLD);

std::string readFile(const std::filesystem::path& p);
void writeFile(const std::filesystem::path& p, const std::string& text);

}  // namespace popsim::test
