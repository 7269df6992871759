#include "parallel/exchange.hpp"

#include <chrono>
#include <limits>
#include <stdexcept>

namespace popsim::parallel {

std::vector<std::vector<char>> exchangeBytes(std::vector<std::vector<char>> outgoing, MPI_Comm comm,
                                             ExchangeStats& stats) {
  const auto start = std::chrono::steady_clock::now();
  int rank = 0;
  int ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  if (static_cast<int>(outgoing.size()) != ranks)
    throw std::invalid_argument("exchangeBytes: one outgoing buffer per rank is required");

  std::vector<int> send_counts(static_cast<std::size_t>(ranks)), recv_counts(static_cast<std::size_t>(ranks));
  std::vector<int> send_offsets(static_cast<std::size_t>(ranks)), recv_offsets(static_cast<std::size_t>(ranks));
  std::vector<char> send;
  for (int d = 0; d < ranks; ++d) {
    const auto& buffer = outgoing[static_cast<std::size_t>(d)];
    if (buffer.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
      throw std::length_error("exchangeBytes: more than 2 GiB for one rank in one exchange");
    send_offsets[static_cast<std::size_t>(d)] = static_cast<int>(send.size());
    send_counts[static_cast<std::size_t>(d)] = static_cast<int>(buffer.size());
    send.insert(send.end(), buffer.begin(), buffer.end());
    if (d != rank) stats.bytes_sent += buffer.size();
  }
  MPI_Alltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT, comm);
  std::size_t total = 0;
  for (int s = 0; s < ranks; ++s) {
    recv_offsets[static_cast<std::size_t>(s)] = static_cast<int>(total);
    total += static_cast<std::size_t>(recv_counts[static_cast<std::size_t>(s)]);
    if (s != rank) stats.bytes_received += static_cast<std::uint64_t>(recv_counts[static_cast<std::size_t>(s)]);
  }
  if (total > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw std::length_error("exchangeBytes: more than 2 GiB arriving at one rank in one exchange");
  std::vector<char> receive(total);
  MPI_Alltoallv(send.data(), send_counts.data(), send_offsets.data(), MPI_CHAR, receive.data(), recv_counts.data(),
                recv_offsets.data(), MPI_CHAR, comm);
  std::vector<std::vector<char>> incoming(static_cast<std::size_t>(ranks));
  for (int s = 0; s < ranks; ++s) {
    const auto begin = receive.begin() + recv_offsets[static_cast<std::size_t>(s)];
    incoming[static_cast<std::size_t>(s)].assign(begin, begin + recv_counts[static_cast<std::size_t>(s)]);
  }
  stats.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return incoming;
}

}  // namespace popsim::parallel
