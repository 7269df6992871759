#include "parallel/exchange.hpp"

#include <chrono>
#include <limits>
#include <stdexcept>

namespace popsim::parallel {

ReceivedBytes exchangeBytes(const std::vector<char>& send, const std::vector<int>& counts, MPI_Comm comm,
                            ExchangeStats& stats) {
  const auto start = std::chrono::steady_clock::now();
  int rank = 0;
  int ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const auto n = static_cast<std::size_t>(ranks);
  if (counts.size() != n) throw std::invalid_argument("exchangeBytes: one count per rank is required");
  if (send.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw std::length_error("exchangeBytes: more than 2 GiB to send in one exchange");
  std::vector<int> send_offsets(n, 0);
  std::size_t sent = 0;
  for (std::size_t d = 0; d < n; ++d) {
    send_offsets[d] = static_cast<int>(sent);
    sent += static_cast<std::size_t>(counts[d]);
    if (static_cast<int>(d) != rank) stats.bytes_sent += static_cast<std::uint64_t>(counts[d]);
  }
  if (sent != send.size()) throw std::invalid_argument("exchangeBytes: the counts do not add up to the send buffer");
  ReceivedBytes received;
  received.counts.assign(n, 0);
  received.offsets.assign(n, 0);
  MPI_Alltoall(counts.data(), 1, MPI_INT, received.counts.data(), 1, MPI_INT, comm);
  std::size_t total = 0;
  for (std::size_t s = 0; s < n; ++s) {
    received.offsets[s] = static_cast<int>(total);
    total += static_cast<std::size_t>(received.counts[s]);
    if (static_cast<int>(s) != rank) stats.bytes_received += static_cast<std::uint64_t>(received.counts[s]);
    if (total > static_cast<std::size_t>(std::numeric_limits<int>::max()))
      throw std::length_error("exchangeBytes: more than 2 GiB arriving at one rank in one exchange");
  }
  received.bytes.resize(total);
  MPI_Alltoallv(send.data(), counts.data(), send_offsets.data(), MPI_CHAR, received.bytes.data(), received.counts.data(),
                received.offsets.data(), MPI_CHAR, comm);
  stats.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return received;
}

}  // namespace popsim::parallel
