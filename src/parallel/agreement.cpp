#include "parallel/agreement.hpp"

namespace popsim::parallel::detail {

std::optional<std::string> lowestFailure(MPI_Comm comm, const std::optional<std::string>& failure) {
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int first = failure ? rank : size;
  MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == size) return std::nullopt;
  std::string message = rank == first ? *failure : std::string();
  unsigned long length = message.size();
  MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG, first, comm);
  message.resize(length);
  MPI_Bcast(message.data(), static_cast<int>(length), MPI_CHAR, first, comm);
  if (first != 0) message = "(rank " + std::to_string(first) + ") " + message;
  return message;
}

}  // namespace popsim::parallel::detail
