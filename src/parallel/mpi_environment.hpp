// MPI start-up and shutdown for the command line, and the per-rank logger.
#pragma once

#include <mpi.h>

namespace popsim::parallel {

// Initialises MPI (thread level FUNNELED: only the main thread calls MPI) and the logger whose
// lines name the rank; finalises MPI on destruction.
class MpiEnvironment {
 public:
  MpiEnvironment(int& argc, char**& argv);
  ~MpiEnvironment();
  MpiEnvironment(const MpiEnvironment&) = delete;
  MpiEnvironment& operator=(const MpiEnvironment&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }

 private:
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace popsim::parallel
