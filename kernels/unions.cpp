// Widowhood, divorces and the marriage market: kernel 3 of the year (kernels/demography.hpp).
#include "kernels/demography.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "kernels/detail.hpp"

namespace popsim::kernels {

using core::Event;
using detail::sexIndex;

void unions(RegionYear& r, const BySexAge& marriage, const BySexAge& divorce) {
  auto& p = r.p();
  // Widowhood: survivors of a partner who died this year are unpartnered. Divorce, decided once
  // per couple by the wife's age. One pass: a couple is only ever touched at its own members.
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (r.partner[i] < 0 || !r.alive(i)) continue;
    if (!r.alive(static_cast<std::size_t>(r.partner[i]))) {
      detail::unlinkPartner(r, i);
      continue;
    }
    if (p.sex[r.at(i)] != core::Sex::Female) continue;
    const int a = core::ageClass(r.ageAtStart(i));
    if (r.uniform(i, Draw::Divorce) >= divorce[1][a]) continue;
    const auto husband = static_cast<std::size_t>(r.partner[i]);
    detail::unlinkPartner(r, i);
    detail::moveWithChildren(r, husband, r.newHousehold());
    ++r.divorces;
  }
  // The marriage market. The region's number of marriages K is the mean over the two sexes of
  // the expected entrants (the sum of the age-sex probabilities over the unmarried adults),
  // rounded without bias, so that it does not depend on the sample size or on one sex's noise.
  // Each side's candidates enter with probability kOversample x rate, and K of them are kept
  // at random (the smallest u / (kOversample x rate), uniform given entry): inclusion stays
  // proportional to the rate. Each side is sorted by (age, id) and the two are paired by rank.
  constexpr double kOversample = 1.5;
  using Candidate = std::pair<double, std::size_t>;  // (key, local index)
  std::vector<Candidate> women, men;
  double expected = 0.0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    // Married persons living apart from their spouse are not in the market.
    if (!r.alive(i) || p.partner[r.at(i)] != core::kNoPerson || (p.flags[r.at(i)] & core::kFlagMarriedApart)) continue;
    const int a = r.ageAtStart(i);
    if (a < kAdultAge) continue;
    const int s = sexIndex(r, i);
    const double rate = marriage[s][core::ageClass(a)];
    if (rate <= 0.0) continue;
    expected += 0.5 * rate;
    const double threshold = std::min(1.0, kOversample * rate);
    const double u = r.uniform(i, Draw::MarriageEntry);
    if (u < threshold) (s == 1 ? women : men).emplace_back(u / threshold, i);
  }
  const double whole = std::floor(expected);
  const double u = core::Stream(r.seed, core::regionEntity(r.region_code), r.year, Event::MarriageCount).uniform(0);
  const auto pairs = std::min<std::size_t>({static_cast<std::size_t>(whole) + (u < expected - whole ? 1 : 0),
                                            women.size(), men.size()});
  auto chosen = [&](std::vector<Candidate>& side) {
    // The `pairs` smallest keys (ties by index), then by (age, id).
    std::partial_sort(side.begin(), side.begin() + static_cast<std::ptrdiff_t>(pairs), side.end());
    std::vector<std::tuple<int, core::PersonId, std::size_t>> picked;
    for (std::size_t k = 0; k < pairs; ++k)
      picked.emplace_back(r.ageAtStart(side[k].second), p.id[r.at(side[k].second)], side[k].second);
    std::sort(picked.begin(), picked.end());
    return picked;
  };
  const auto brides = chosen(women);
  const auto grooms = chosen(men);
  for (std::size_t k = 0; k < pairs; ++k) {
    const std::size_t w = std::get<2>(brides[k]);
    const std::size_t m = std::get<2>(grooms[k]);
    p.partner[r.at(w)] = p.id[r.at(m)];
    p.partner[r.at(m)] = p.id[r.at(w)];
    r.partner[w] = static_cast<std::int32_t>(m);
    r.partner[m] = static_cast<std::int32_t>(w);
    const auto h = r.newHousehold();
    detail::moveWithChildren(r, w, h);
    detail::moveWithChildren(r, m, h);
    ++r.marriages;
  }
}

}  // namespace popsim::kernels
