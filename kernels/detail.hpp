// Helpers shared by the kernels: household moves, partner links and an id lookup table. Internal
// to kernels/ (namespace detail).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/region_year.hpp"

namespace popsim::kernels::detail {

inline int sexIndex(const RegionYear& r, std::size_t i) { return static_cast<int>(r.p().sex[r.at(i)]); }

// Moves person i to household h with her co-resident minor children; her adult children stay,
// no longer living with her. A man takes the minors of his household who live without their
// mother and are at least 15 years younger (his children: fathers are not linked).
void moveWithChildren(RegionYear& r, std::size_t i, core::HouseholdId h);

// Appends to `out` a simple random sample of `k` of `from` (all of them if k >= its size), in
// the order of `from`: Floyd's algorithm with a mark per element, draws `draw`, `draw` + 1, ...
// of `stream`.
void sample(const std::vector<std::uint32_t>& from, std::uint32_t k, const core::Stream& stream, std::uint32_t& draw,
            std::vector<std::uint32_t>& out);

// Ends i's union (both partners' links), if any.
void unlinkPartner(RegionYear& r, std::size_t i);

// A small open-addressing table from person ids to values (linear probing, power-of-two size),
// for scans of a whole region that look up every person's mother among a few candidates.
class IdTable {
 public:
  explicit IdTable(std::size_t expected) {
    std::size_t n = 16;
    while (n < 2 * expected) n *= 2;
    keys_.assign(n, core::kNoPerson);
    values_.resize(n);
    mask_ = n - 1;
  }
  void insert(core::PersonId id, std::size_t value) {
    auto k = slot(id);
    while (keys_[k] != core::kNoPerson && keys_[k] != id) k = (k + 1) & mask_;
    keys_[k] = id;
    values_[k] = value;
  }
  // The value stored for `id`, or -1.
  std::int64_t find(core::PersonId id) const {
    for (auto k = slot(id); keys_[k] != core::kNoPerson; k = (k + 1) & mask_)
      if (keys_[k] == id) return static_cast<std::int64_t>(values_[k]);
    return -1;
  }

 private:
  std::size_t slot(core::PersonId id) const { return static_cast<std::size_t>((id * 0x9E3779B97F4A7C15ull) >> 17) & mask_; }
  std::vector<core::PersonId> keys_;
  std::vector<std::size_t> values_;
  std::size_t mask_ = 0;
};

}  // namespace popsim::kernels::detail
