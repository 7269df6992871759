#include "support/test_support.hpp"

#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace popsim::test {

std::filesystem::path koreaInputs() { return std::filesystem::path(POPSIM_SOURCE_DIR) / "inputs" / "korea"; }
std::filesystem::path baselineConfig() { return koreaInputs() / "baseline.toml"; }

const io::Config& baseline() {
  static const io::Config config = io::readConfig(baselineConfig().string());
  return config;
}

const io::CountryInputs& baselineInputs() {
  static const io::CountryInputs inputs = io::loadInputs(baseline());
  return inputs;
}

TempDir::TempDir(MPI_Comm comm) : comm_(comm) {
  std::string name;
  if (rank(comm) == 0) {
    auto base = std::filesystem::temp_directory_path() / "popsim-test-XXXXXX";
    std::string pattern = base.string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    name = pattern;
  }
  unsigned long length = name.size();
  MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG, 0, comm);
  name.resize(length);
  MPI_Bcast(name.data(), static_cast<int>(length), MPI_CHAR, 0, comm);
  path_ = name;
}

TempDir::~TempDir() {
  MPI_Barrier(comm_);
  if (rank(comm_) == 0) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
}

int rank(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}

int size(MPI_Comm comm) {
  int s = 0;
  MPI_Comm_size(comm, &s);
  return s;
}

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeFile(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

}  // namespace popsim::test
