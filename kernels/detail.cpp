#include "kernels/detail.hpp"

namespace popsim::kernels::detail {

void moveWithChildren(RegionYear& r, std::size_t i, core::HouseholdId h) {
  auto& p = r.p();
  const core::HouseholdId old = p.household[r.at(i)];
  const core::PersonId id = p.id[r.at(i)];
  r.moveTo(i, h);
  p.flags[r.at(i)] &= static_cast<std::uint8_t>(~(core::kFlagLivesWithMother | core::kFlagLivesWithChild));
  const bool woman = p.sex[r.at(i)] == core::Sex::Female;
  const auto hh = r.household_of[i];
  for (std::uint32_t k = r.household_start[hh]; k < r.household_start[hh + 1]; ++k) {
    const auto g = r.at(k);
    if (!r.alive(k) || p.household[g] != old || k == i) continue;
    if (woman) {
      if (p.mother[g] != id || !(p.flags[g] & core::kFlagLivesWithMother)) continue;
      if (r.ageAtStart(k) + 1 < kAdultAge) r.moveTo(k, h);
      else p.flags[g] &= static_cast<std::uint8_t>(~core::kFlagLivesWithMother);
    } else if (!(p.flags[g] & core::kFlagLivesWithMother) && r.ageAtStart(k) + 1 < kAdultAge &&
               r.ageAtStart(i) - r.ageAtStart(k) >= 15) {
      r.moveTo(k, h);  // a lone father's children (fathers are not linked) go with him
    }
  }
}

void sample(const std::vector<std::uint32_t>& from, std::uint32_t k, const core::Stream& stream, std::uint32_t& draw,
            std::vector<std::uint32_t>& out) {
  const auto n = static_cast<std::uint32_t>(from.size());
  if (k == 0 || n == 0) return;
  if (k >= n) {
    out.insert(out.end(), from.begin(), from.end());
    return;
  }
  thread_local std::vector<std::uint8_t> chosen;
  chosen.assign(n, 0);
  for (std::uint32_t j = n - k; j < n; ++j) {
    const auto t = static_cast<std::uint32_t>((stream.bits64(draw++) >> 32) * (j + 1) >> 32);
    chosen[chosen[t] ? j : t] = 1;
  }
  for (std::uint32_t m = 0; m < n; ++m)
    if (chosen[m]) out.push_back(from[m]);
}

void unlinkPartner(RegionYear& r, std::size_t i) {
  const auto j = r.partner[i];
  if (j < 0) return;
  r.p().partner[r.at(i)] = core::kNoPerson;
  r.p().partner[r.at(static_cast<std::size_t>(j))] = core::kNoPerson;
  r.partner[static_cast<std::size_t>(j)] = -1;
  r.partner[i] = -1;
}

}  // namespace popsim::kernels::detail
