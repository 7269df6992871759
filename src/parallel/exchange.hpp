// Moving records between ranks: each rank hands over, per destination rank, the records it
// sends; the counts go with MPI_Alltoall and the payloads with MPI_Alltoallv. Records are
// serialised with Boost.Serialization (binary archives), so any type with a serialize()
// member can travel. Receivers get the records of source rank 0, then 1, ...; putting them in
// a canonical order (e.g. by id) is the caller's job, which keeps this module free of domain
// knowledge.
#pragma once

#include <mpi.h>

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/iostreams/device/array.hpp>
#include <boost/iostreams/device/back_inserter.hpp>
#include <boost/iostreams/stream.hpp>
#include <boost/serialization/vector.hpp>
#include <cstdint>
#include <vector>

namespace popsim::parallel {

struct ExchangeStats {
  std::uint64_t records_sent = 0;      // to other ranks
  std::uint64_t records_received = 0;  // from other ranks
  std::uint64_t bytes_sent = 0;        // payload bytes to other ranks
  std::uint64_t bytes_received = 0;
  double seconds = 0.0;
};

// The byte-level exchange on one contiguous buffer: `send` holds counts[0] bytes for rank 0,
// then counts[1] for rank 1, ...; what arrives is returned the same way (bytes from rank s at
// offsets[s]). Collective over comm.
struct ReceivedBytes {
  std::vector<char> bytes;
  std::vector<int> counts, offsets;
};
ReceivedBytes exchangeBytes(const std::vector<char>& send, const std::vector<int>& counts, MPI_Comm comm,
                            ExchangeStats& stats);

// Serialises outgoing[d] for each destination, exchanges, and deserialises what arrived, in
// source-rank order. Collective over comm.
template <typename Record>
std::vector<Record> exchange(const std::vector<std::vector<Record>>& outgoing, MPI_Comm comm, ExchangeStats& stats) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  // One contiguous send buffer, each destination's records serialised straight into it. Records
  // that stay on this rank are not serialised: they are copied into place.
  std::vector<char> send;
  std::vector<int> counts(outgoing.size(), 0);
  for (std::size_t d = 0; d < outgoing.size(); ++d) {
    if (static_cast<int>(d) == rank) continue;
    const std::size_t before = send.size();
    {
      boost::iostreams::back_insert_device<std::vector<char>> sink(send);
      boost::iostreams::stream<boost::iostreams::back_insert_device<std::vector<char>>> out(sink);
      {
        boost::archive::binary_oarchive archive(out, boost::archive::no_header);
        archive << outgoing[d];
      }
      out.flush();
    }
    counts[d] = static_cast<int>(send.size() - before);
    stats.records_sent += outgoing[d].size();
  }
  auto received = exchangeBytes(send, counts, comm, stats);
  std::vector<char>().swap(send);  // freed before the records are rebuilt
  std::vector<Record> arrived;
  for (std::size_t s = 0; s < outgoing.size(); ++s) {
    if (static_cast<int>(s) == rank) {
      arrived.insert(arrived.end(), outgoing[s].begin(), outgoing[s].end());
      continue;
    }
    boost::iostreams::stream<boost::iostreams::array_source> in(received.bytes.data() + received.offsets[s],
                                                                 static_cast<std::size_t>(received.counts[s]));
    boost::archive::binary_iarchive archive(in, boost::archive::no_header);
    if (arrived.empty()) {  // the first records: straight into place
      archive >> arrived;
      stats.records_received += arrived.size();
      continue;
    }
    std::vector<Record> part;
    archive >> part;
    stats.records_received += part.size();
    arrived.insert(arrived.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  return arrived;
}

}  // namespace popsim::parallel
