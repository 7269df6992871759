#include "kernels/demography.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace popsim::kernels {
namespace {

using core::Event;
using core::kAgeClasses;

int sexIndex(const RegionYear& r, std::size_t i) { return static_cast<int>(r.p().sex[r.at(i)]); }

// Moves person i to household h with her co-resident minor children; her adult children stay,
// no longer living with her. A man takes the minors of his household who live without their
// mother and are at least 15 years younger (his children: fathers are not linked).
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

void unlinkPartner(RegionYear& r, std::size_t i) {
  const auto j = r.partner[i];
  if (j < 0) return;
  r.p().partner[r.at(i)] = core::kNoPerson;
  r.p().partner[r.at(static_cast<std::size_t>(j))] = core::kNoPerson;
  r.partner[static_cast<std::size_t>(j)] = -1;
  r.partner[i] = -1;
}

}  // namespace

void mortality(RegionYear& r, const BySexAge& coefficient, const std::array<double, core::kSexes>& multiplier) {
  for (std::size_t i = 0; i < r.size(); ++i) {
    const int s = sexIndex(r, i);
    const int a = core::ageClass(r.ageAtStart(i));
    const double prob = coefficient[s][a] * multiplier[s];
    if (r.stream(i, Event::Death).uniform(0) < prob) {
      r.removed[i] = Removal::Died;
      ++r.deaths[s][a];
      if (r.nationality(i) == core::Nationality::National) ++r.national_deaths;
    }
  }
}

void fertility(RegionYear& r, const FertilityCoefficients& coefficient, double multiplier, double foreign_ratio,
               double sex_ratio_at_birth) {
  auto& p = r.p();
  const double p_boy = sex_ratio_at_birth / (1.0 + sex_ratio_at_birth);
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (!r.alive(i) || p.sex[r.at(i)] != core::Sex::Female) continue;
    const int a = r.ageAtStart(i);
    if (a < kFertileMin || a > kFertileMax) continue;
    const int parity = std::min<int>(p.parity[r.at(i)], kParityGroups - 1);
    const int married = r.partner[i] >= 0 ? 1 : 0;
    const double prob = coefficient[a - kFertileMin][parity][married] * multiplier *
                        (r.nationality(i) == core::Nationality::Foreign ? foreign_ratio : 1.0);
    const auto s = r.stream(i, Event::Birth);
    if (s.uniform(0) >= prob) continue;
    const bool national = r.nationality(i) == core::Nationality::National ||
                          (married && r.nationality(static_cast<std::size_t>(r.partner[i])) == core::Nationality::National);
    r.newborns.push_back({static_cast<std::uint32_t>(i), s.uniform(1) < p_boy ? core::Sex::Male : core::Sex::Female,
                          national ? core::Nationality::National : core::Nationality::Foreign});
    if (national) ++r.national_births;
    if (r.nationality(i) == core::Nationality::National) ++r.births_to_nationals[a - kFertileMin];
    if (p.parity[r.at(i)] < 255) ++p.parity[r.at(i)];
    ++r.births[a - kFertileMin];
  }
}

void unions(RegionYear& r, const BySexAge& marriage, const BySexAge& divorce) {
  auto& p = r.p();
  // Widowhood: survivors of a partner who died this year are unpartnered.
  for (std::size_t i = 0; i < r.size(); ++i)
    if (r.alive(i) && r.partner[i] >= 0 && !r.alive(static_cast<std::size_t>(r.partner[i]))) unlinkPartner(r, i);
  // Divorce, decided once per couple by the wife's age.
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (!r.alive(i) || p.sex[r.at(i)] != core::Sex::Female || r.partner[i] < 0) continue;
    const int a = core::ageClass(r.ageAtStart(i));
    if (r.stream(i, Event::Divorce).uniform(0) >= divorce[1][a]) continue;
    const auto husband = static_cast<std::size_t>(r.partner[i]);
    unlinkPartner(r, i);
    moveWithChildren(r, husband, r.newHousehold());
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
    if (!r.alive(i) || p.partner[r.at(i)] != core::kNoPerson) continue;
    const int a = r.ageAtStart(i);
    if (a < kAdultAge) continue;
    const int s = sexIndex(r, i);
    const double rate = marriage[s][core::ageClass(a)];
    if (rate <= 0.0) continue;
    expected += 0.5 * rate;
    const double threshold = std::min(1.0, kOversample * rate);
    const double u = r.stream(i, Event::MarriageEntry).uniform(0);
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
    moveWithChildren(r, w, h);
    moveWithChildren(r, m, h);
    ++r.marriages;
  }
}

void householdTransitions(RegionYear& r, const BySexAge& leave, double elderly_join_child_rate) {
  auto& p = r.p();
  // Unmarried adults living with a parent or guardian (someone at least 15 years older in the
  // household: the mother, a lone father, a grandmother who took them in) may leave.
  for (std::size_t hh = 0; hh + 1 < r.household_start.size(); ++hh) {
    const auto b = r.household_start[hh];
    const auto e = r.household_start[hh + 1];
    if (e - b < 2) continue;
    int oldest = 0;
    for (auto k = b; k < e; ++k)
      if (r.alive(k)) oldest = std::max(oldest, r.ageAtStart(k));
    for (auto i = b; i < e; ++i) {
      const auto g = r.at(i);
      const int a = r.ageAtStart(i);
      if (!r.alive(i) || a < kAdultAge || oldest - a < 15 || p.partner[g] != core::kNoPerson || r.moved[i] ||
          (p.flags[g] & core::kFlagLivesWithChild))
        continue;
      if (r.stream(i, Event::LeaveHome).uniform(0) >= leave[sexIndex(r, i)][core::ageClass(a)]) continue;
      moveWithChildren(r, i, r.newHousehold());
      ++r.left_home;
    }
  }

  // Women 75+ living alone who move to a child: first who moves, then one scan of the region
  // for their adult children (through the children's mother links), the first of each by index.
  std::vector<std::pair<core::PersonId, std::size_t>> movers;  // (id, local index)
  for (std::size_t i = 0; i < r.size(); ++i) {
    const auto g = r.at(i);
    const auto hh = r.household_of[i];
    if (!r.alive(i) || p.sex[g] != core::Sex::Female || r.ageAtStart(i) < 75 ||
        r.household_start[hh + 1] - r.household_start[hh] != 1 || r.moved[i])
      continue;
    if (r.stream(i, Event::ElderlyMove).uniform(0) < elderly_join_child_rate) movers.emplace_back(p.id[g], i);
  }
  if (movers.empty()) return;
  IdTable mover_of(movers.size());
  for (std::size_t m = 0; m < movers.size(); ++m) mover_of.insert(movers[m].first, m);
  std::vector<std::int64_t> child(movers.size(), -1);
  for (std::size_t k = 0; k < r.size(); ++k) {
    const auto mother = p.mother[r.at(k)];
    if (mother == core::kNoPerson || !r.alive(k) || r.ageAtStart(k) < kAdultAge) continue;
    const auto m = mover_of.find(mother);
    if (m >= 0 && child[static_cast<std::size_t>(m)] < 0) child[static_cast<std::size_t>(m)] = static_cast<std::int64_t>(k);
  }
  for (std::size_t m = 0; m < movers.size(); ++m) {
    const auto i = movers[m].second;
    if (child[m] < 0) {
      // No linked child in the region (links exist only for children known at the start): a
      // married woman 25-35 years younger, drawn at random, stands for a child's family.
      const auto s = r.stream(i, Event::ElderlyMove);
      for (std::uint32_t d = 1; d < 2048 && child[m] < 0; ++d) {
        const auto k = static_cast<std::size_t>(s.uniform(d) * static_cast<double>(r.size()));
        const int gap = r.ageAtStart(i) - r.ageAtStart(k);
        if (r.alive(k) && p.sex[r.at(k)] == core::Sex::Female && r.partner[k] >= 0 && gap >= 25 && gap <= 35)
          child[m] = static_cast<std::int64_t>(k);
      }
      if (child[m] < 0) continue;
    }
    r.moveTo(i, p.household[r.at(static_cast<std::size_t>(child[m]))]);
    p.flags[r.at(i)] |= core::kFlagLivesWithChild;
    ++r.elderly_moved;
  }
}

void internationalMigration(RegionYear& r, const ByNationalitySexAge& emigrants, const ByNationalitySexAge& immigrants) {
  auto& p = r.p();
  constexpr int kCells = core::kSexes * kAgeClasses;
  std::int64_t wanted = 0;
  for (const auto& by_sex : emigrants)
    for (const auto& by_age : by_sex)
      for (const auto e : by_age) wanted += e;
  if (wanted > 0) {
    // (cell, key, local index): in each nationality-sex-age cell, the smallest keys emigrate.
    std::vector<std::tuple<int, std::uint64_t, std::size_t>> candidates;
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (!r.alive(i)) continue;
      const int n = static_cast<int>(r.nationality(i));
      const int s = sexIndex(r, i);
      const int a = core::ageClass(r.ageAtStart(i) + 1);
      if (emigrants[n][s][a] > 0)
        candidates.emplace_back(n * kCells + s * kAgeClasses + a, r.stream(i, Event::Emigration).bits64(0), i);
    }
    std::sort(candidates.begin(), candidates.end());
    auto left = emigrants;
    for (const auto& [cell, key, i] : candidates) {
      const int n = cell / kCells;
      const int s = cell % kCells / kAgeClasses;
      const int a = cell % kAgeClasses;
      auto& quota = left[n][s][a];
      if (quota == 0) continue;
      --quota;
      r.removed[i] = Removal::Emigrated;
      ++r.emigrants[s][a];
      if (n == static_cast<int>(core::Nationality::National)) ++r.national_emigrants;
      unlinkPartner(r, i);
    }
  }
  // Adults arrive in households of their own; children arrive with an adult immigrant woman of
  // parenting age and their nationality (any adult immigrant of it if there is none), or join a
  // resident woman's household.
  std::uint32_t hosted = 0;  // children placed with a resident, for their draws
  for (int n = 0; n < core::kNationalities; ++n) {
    const auto nationality = static_cast<core::Nationality>(n);
    std::vector<std::size_t> parents, adults;
    for (int s = 0; s < core::kSexes; ++s)
      for (int a = kAdultAge; a < kAgeClasses; ++a)
        for (std::int64_t k = 0; k < immigrants[n][s][a]; ++k) {
          (s == 1 && a >= 20 && a <= 49 ? parents : adults).push_back(r.immigrants.size());
          r.immigrants.push_back({static_cast<core::Sex>(s), static_cast<std::int16_t>(a), r.newHousehold(), nationality});
        }
    if (parents.empty()) parents = adults;
    std::size_t next_parent = 0;
    for (int s = 0; s < core::kSexes; ++s)
      for (int a = 0; a < kAdultAge; ++a)
        for (std::int64_t k = 0; k < immigrants[n][s][a]; ++k) {
          core::HouseholdId h = 0;
          if (!parents.empty()) {
            h = r.immigrants[parents[next_parent++ % parents.size()]].household;
          } else {
            const auto draw = core::Stream(r.seed, core::regionEntity(r.region_code), r.year, Event::OrphanHost);
            for (std::uint32_t d = 0; d < 4096 && h == 0; ++d) {
              const auto i = static_cast<std::size_t>(draw.uniform(d + hosted * 4096u) * static_cast<double>(r.size()));
              const int age = r.ageAtStart(i) + 1;
              if (r.alive(i) && p.sex[r.at(i)] == core::Sex::Female && age >= 25 && age <= 60) h = p.household[r.at(i)];
            }
            ++hosted;
            if (h == 0) h = r.newHousehold();  // a region without a possible host: the check reports it
          }
          r.immigrants.push_back({static_cast<core::Sex>(s), static_cast<std::int16_t>(a), h, nationality});
        }
  }
}

namespace {

// The household of a woman of the region aged 35-75 other than h, drawn with `s`; failing that
// (a tiny sample), of any adult of the region, the first after a random start; 0 if the region
// has no adult outside h.
core::HouseholdId randomHost(const RegionYear& r, const core::Stream& s, core::HouseholdId h) {
  const auto& p = r.p();
  for (std::uint32_t draw = 0; draw < 4096; ++draw) {
    const auto k = static_cast<std::size_t>(s.uniform(draw) * static_cast<double>(r.size()));
    const int a = r.ageAtStart(k) + 1;
    if (r.alive(k) && p.sex[r.at(k)] == core::Sex::Female && a >= 35 && a <= 75 && p.household[r.at(k)] != h)
      return p.household[r.at(k)];
  }
  const auto start = static_cast<std::size_t>(s.uniform(4096) * static_cast<double>(r.size()));
  for (std::size_t n = 0; n < r.size(); ++n) {
    const auto k = (start + n) % r.size();
    if (r.alive(k) && r.ageAtStart(k) + 1 >= kAdultAge && p.household[r.at(k)] != h) return p.household[r.at(k)];
  }
  return 0;
}

void placeNewHouseholdOrphans(RegionYear& r) {
  auto& p = r.p();
  if (r.new_households == 0) return;
  std::vector<std::uint8_t> adult(r.new_households, 0);
  std::vector<std::int64_t> first_minor(r.new_households, -1);
  for (const auto& im : r.immigrants)
    if (isNewHousehold(im.household) && im.age >= kAdultAge) adult[im.household & ~kNewHousehold] = 1;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const auto h = p.household[r.at(i)];
    if (!r.alive(i) || !r.moved[i] || !isNewHousehold(h)) continue;
    const auto n = h & ~kNewHousehold;
    if (r.ageAtStart(i) + 1 >= kAdultAge) adult[n] = 1;
    else if (first_minor[n] < 0) first_minor[n] = static_cast<std::int64_t>(i);
  }
  for (std::uint32_t n = 0; n < r.new_households; ++n) {
    if (adult[n] || first_minor[n] < 0) continue;
    const core::HouseholdId h = kNewHousehold | n;
    const auto target = randomHost(r, r.stream(static_cast<std::size_t>(first_minor[n]), Event::OrphanHost), h);
    if (target == 0) continue;
    for (std::size_t i = static_cast<std::size_t>(first_minor[n]); i < r.size(); ++i)
      if (r.alive(i) && p.household[r.at(i)] == h) {
        r.moveTo(i, target);
        p.flags[r.at(i)] &= static_cast<std::uint8_t>(~core::kFlagLivesWithMother);
        ++r.orphans_placed;
      }
  }
}

}  // namespace

void placeOrphans(RegionYear& r) {
  auto& p = r.p();
  // Children whose mother died or emigrated no longer live with her.
  for (std::size_t hh = 0; hh + 1 < r.household_start.size(); ++hh)
    for (auto k = r.household_start[hh]; k < r.household_start[hh + 1]; ++k) {
      const auto g = r.at(k);
      if (!r.alive(k) || !(p.flags[g] & core::kFlagLivesWithMother)) continue;
      bool with_mother = false;
      for (auto m = r.household_start[hh]; m < r.household_start[hh + 1] && !with_mother; ++m)
        with_mother = p.id[r.at(m)] == p.mother[g] && r.alive(m) && p.household[r.at(m)] == p.household[g];
      if (!with_mother) p.flags[g] &= static_cast<std::uint8_t>(~core::kFlagLivesWithMother);
    }
  // Households that gained an adult this year (elderly moving in) still have one.
  std::vector<core::HouseholdId> gained_adult;
  for (std::size_t i = 0; i < r.size(); ++i)
    if (r.alive(i) && r.moved[i] && !isNewHousehold(p.household[r.at(i)]) && r.ageAtStart(i) + 1 >= kAdultAge)
      gained_adult.push_back(p.household[r.at(i)]);
  std::sort(gained_adult.begin(), gained_adult.end());

  // Orphan groups: start-of-year households whose remaining members are all minors.
  struct Orphans {
    std::size_t household;    // start-of-year household position
    std::size_t first_minor;  // local index
    std::int64_t mother = -1, grandmother = -1;
  };
  std::vector<Orphans> groups;
  const std::size_t households = r.household_start.size() - 1;
  for (std::size_t hh = 0; hh < households; ++hh) {
    const core::HouseholdId h = r.household_id[hh];
    bool minor = false;
    bool adult = std::binary_search(gained_adult.begin(), gained_adult.end(), h);
    std::size_t first_minor = 0;
    for (auto k = r.household_start[hh]; k < r.household_start[hh + 1] && !adult; ++k) {
      if (!r.alive(k) || p.household[r.at(k)] != h) continue;
      if (r.ageAtStart(k) + 1 >= kAdultAge) adult = true;
      else if (!minor) {
        minor = true;
        first_minor = k;
      }
    }
    if (!adult && minor) groups.push_back({hh, first_minor});
  }
  // Households created this year left without an adult (a mother who moved out with her
  // children and then emigrated) join the orphan groups through a separate pass below.
  placeNewHouseholdOrphans(r);
  if (groups.empty()) return;

  // Their grandmothers, through two scans of the region: the minors' mothers, then theirs.
  auto locate = [&](auto id_of, auto store) {
    std::vector<std::pair<core::PersonId, std::size_t>> wanted;  // (id, group), sorted
    for (std::size_t g = 0; g < groups.size(); ++g)
      if (const auto id = id_of(groups[g]); id != core::kNoPerson) wanted.emplace_back(id, g);
    if (wanted.empty()) return;
    std::sort(wanted.begin(), wanted.end());
    IdTable first(wanted.size());  // id -> first position in `wanted`
    for (std::size_t w = wanted.size(); w-- > 0;) first.insert(wanted[w].first, w);
    for (std::size_t k = 0; k < r.size(); ++k) {
      const auto id = p.id[r.at(k)];
      const auto w0 = first.find(id);
      if (w0 < 0) continue;
      for (auto w = static_cast<std::size_t>(w0); w < wanted.size() && wanted[w].first == id; ++w)
        store(groups[wanted[w].second], static_cast<std::int64_t>(k));
    }
  };
  locate([&](const Orphans& o) { return p.mother[r.at(o.first_minor)]; },
         [](Orphans& o, std::int64_t k) { o.mother = k; });
  locate([&](const Orphans& o) { return o.mother >= 0 ? p.mother[r.at(static_cast<std::size_t>(o.mother))] : core::kNoPerson; },
         [](Orphans& o, std::int64_t k) { o.grandmother = k; });

  for (const auto& o : groups) {
    const core::HouseholdId h = r.household_id[o.household];
    std::int64_t host = -1;
    if (o.grandmother >= 0 && r.alive(static_cast<std::size_t>(o.grandmother)) &&
        p.household[r.at(static_cast<std::size_t>(o.grandmother))] != h)
      host = o.grandmother;
    // Otherwise a woman of the region aged 35-75, drawn at random.
    const auto target = host >= 0 ? p.household[r.at(static_cast<std::size_t>(host))]
                                  : randomHost(r, r.stream(o.first_minor, Event::OrphanHost), h);
    if (target == 0) continue;  // no possible host: the minors stay (the yearly check reports it)
    for (auto k = r.household_start[o.household]; k < r.household_start[o.household + 1]; ++k)
      if (r.alive(k) && p.household[r.at(k)] == h) {
        r.moveTo(k, target);
        p.flags[r.at(k)] &= static_cast<std::uint8_t>(~core::kFlagLivesWithMother);
        ++r.orphans_placed;
      }
  }
}

}  // namespace popsim::kernels
