#include "model/synthesis.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "core/random.hpp"

namespace popsim::model {
namespace {

using core::Event;
using core::kAgeClasses;
using core::kOpenAge;
using core::Sex;
using core::Stream;

constexpr int kAdultAge = 18;
constexpr int kElderAge = 75;
constexpr int kMaxSpouseSearch = 15;  // years from the wanted spouse age
constexpr int kMaxMotherSearch = 5;   // years from the wanted parent age
constexpr int kMaxFatherAgeAtBirth = 65;
constexpr int kMaxOldestAge = 110;

enum class Role : std::uint8_t { Independent, Married, Child, ElderWithRelative };

std::int64_t roundUnbiased(double x, double u) {
  const double f = std::floor(x);
  return static_cast<std::int64_t>(f) + (u < x - f ? 1 : 0);
}

std::int64_t cellTotal(const io::AgeSexCounts& c) {
  std::int64_t n = 0;
  for (const auto& by_age : c) n += std::accumulate(by_age.begin(), by_age.end(), std::int64_t{0});
  return n;
}

// Standard normal deviate from two uniforms (Box-Muller).
double normal(const Stream& s, std::uint32_t index) {
  const auto w = s.words(index);
  const double u1 = (static_cast<double>(w[0]) + 1.0) * 0x1.0p-32;  // (0, 1]
  const double u2 = static_cast<double>(w[1]) * 0x1.0p-32;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

// Draws the mother's age at a child's birth from the base-year fertility schedule, shifted
// younger for earlier birth cohorts (mothers were younger when fertility was higher).
class MotherAgeDistribution {
 public:
  MotherAgeDistribution(const io::FertilitySchedule& f, const io::SynthesisParameters& p)
      : trend_(p.mother_age_trend_years_per_year), cap_(p.mother_age_trend_cap_years) {
    double sum = 0.0;
    for (int i = 0; i < io::FertilitySchedule::kAges; ++i) cdf_[i] = sum += f.asfr[i];
    for (auto& c : cdf_) c /= sum;
  }
  int draw(int child_age, double u) const {
    const int i = static_cast<int>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
    const double shift = std::min(trend_ * child_age, cap_);
    const int age_at_birth = static_cast<int>(std::lround(io::FertilitySchedule::kMinAge + std::min(i, io::FertilitySchedule::kAges - 1) - shift));
    return std::clamp(age_at_birth, io::FertilitySchedule::kMinAge, io::FertilitySchedule::kMaxAge);
  }

 private:
  std::array<double, io::FertilitySchedule::kAges> cdf_{};
  double trend_;
  double cap_;
};

// The working state of one region while it is being built; indices are region-local.
class RegionBuilder {
 public:
  RegionBuilder(const RegionSynthesisInput& in)
      : in_(in),
        p_(*in.parameters),
        living_(in.inputs->living),
        code_(static_cast<std::uint64_t>(in.inputs->regions[in.region].code)),
        mother_age_(in.inputs->fertility, *in.parameters) {}

  SynthesisStats build(core::Persons& out, std::size_t begin) {
    createPersons();
    planRoles();
    matchCouples();
    indexAdults();
    placeChildren();
    placeElders();
    calibrateHouseholds();
    const auto households = assignHouseholds();
    write(out, begin, households);
    return stats_;
  }

 private:
  core::PersonId id(std::size_t i) const { return in_.first_person_id + i; }
  int ageIndex(std::size_t i) const { return core::ageClass(age_[i]); }
  bool female(std::size_t i) const { return sex_[i] == Sex::Female; }

  void createPersons() {
    const auto n = static_cast<std::size_t>(cellTotal(in_.counts));
    age_.resize(n);
    sex_.resize(n);
    role_.assign(n, Role::Independent);
    partner_.assign(n, kNone);
    mother_.assign(n, kNone);
    host_.assign(n, kNone);
    children_.assign(n, 0);
    std::size_t i = 0;
    for (int s = 0; s < core::kSexes; ++s)
      for (int a = 0; a < kAgeClasses; ++a) {
        cell_start_[s][a] = i;
        for (std::int64_t k = 0; k < in_.counts[s][a]; ++k, ++i) {
          sex_[i] = static_cast<Sex>(s);
          age_[i] = static_cast<std::int16_t>(a == kOpenAge ? oldestOldAge(i) : a);
        }
      }
  }

  // The open class 100+ is spread over single ages with a constant yearly survival ratio.
  int oldestOldAge(std::size_t i) const {
    const double u = Stream(in_.seed, id(i), in_.base_year, Event::OldestOldAge).uniform(0);
    const double s = p_.oldest_old_yearly_survival;
    if (s <= 0.0) return kOpenAge;
    const int extra = static_cast<int>(std::floor(std::log1p(-u) / std::log(s)));
    return std::min(kOpenAge + extra, kMaxOldestAge);
  }

  // Within a cell persons are exchangeable, so roles are given in order: married first, then
  // children living with a parent, the rest independent. The national married shares give a
  // region unequal numbers of married men and women where its sex ratio is unusual (barracks,
  // industrial towns); both sexes' shares are scaled to their mean so that spouses can pair up.
  void planRoles() {
    std::array<double, core::kSexes> planned{};
    for (int s = 0; s < core::kSexes; ++s)
      for (int a = kAdultAge; a < kAgeClasses; ++a)
        planned[s] += static_cast<double>(in_.counts[s][a]) * living_.married_share[s][a];
    const double couples = 0.5 * (planned[0] + planned[1]);
    const Stream rounding(in_.seed, code_, in_.base_year, Event::ScaleRounding);
    for (int s = 0; s < core::kSexes; ++s) {
      const double balance = planned[s] > 0.0 ? couples / planned[s] : 0.0;
      for (int a = 0; a < kAgeClasses; ++a) {
        const std::int64_t c = in_.counts[s][a];
        const double share = std::min(1.0, living_.married_share[s][a] * balance);
        const auto cell = static_cast<std::uint32_t>(1000 + s * kAgeClasses + a);
        const std::int64_t married =
            a < kAdultAge ? 0 : std::min(c, roundUnbiased(static_cast<double>(c) * share, rounding.uniform(cell)));
        const std::int64_t children =
            a < kAdultAge ? c
                          : std::min(c - married, roundUnbiased(static_cast<double>(c) * living_.with_parent_share[s][a],
                                                                rounding.uniform(cell + 5000)));
        const std::size_t start = cell_start_[s][a];
        for (std::int64_t k = 0; k < married; ++k) role_[start + k] = Role::Married;
        for (std::int64_t k = 0; k < children; ++k) role_[start + married + k] = Role::Child;
      }
    }
  }

  // Wives, in a random order, take a husband of the nearest available age to their own age plus
  // a drawn age gap. Whoever is left without a spouse becomes independent.
  void matchCouples() {
    std::array<std::size_t, kAgeClasses> next{};
    std::array<std::size_t, kAgeClasses> end{};
    for (int a = 0; a < kAgeClasses; ++a) {
      next[a] = cell_start_[0][a];
      end[a] = next[a];
      while (end[a] < age_.size() && sex_[end[a]] == Sex::Male && ageIndex(end[a]) == a && role_[end[a]] == Role::Married) ++end[a];
    }
    std::vector<std::size_t> wives;
    for (std::size_t i = 0; i < age_.size(); ++i)
      if (female(i) && role_[i] == Role::Married) wives.push_back(i);
    shuffle(wives, Event::ShuffleWomen);
    for (const auto w : wives) {
      const Stream s(in_.seed, id(w), in_.base_year, Event::SpouseAge);
      const int wanted = static_cast<int>(std::lround(ageIndex(w) + p_.spouse_age_gap_mean_years + p_.spouse_age_gap_sd_years * normal(s, 0)));
      const int target = std::clamp(wanted, kAdultAge, kOpenAge);
      std::size_t husband = kNone;
      for (int d = 0; d <= kMaxSpouseSearch && husband == kNone; ++d)
        for (const int a : {target + d, target - d})
          if (a >= kAdultAge && a <= kOpenAge && next[a] < end[a]) {
            husband = next[a]++;
            break;
          }
      if (husband == kNone) {
        role_[w] = Role::Independent;
        ++stats_.unmatched_married;
        continue;
      }
      partner_[w] = husband;
      partner_[husband] = w;
    }
    for (int a = 0; a < kAgeClasses; ++a)
      for (std::size_t m = next[a]; m < end[a]; ++m) {
        role_[m] = Role::Independent;
        ++stats_.unmatched_married;
      }
  }

  // Sorts by a per-person random key: a canonical order that owes nothing to the input order.
  void shuffle(std::vector<std::size_t>& v, Event event) const {
    std::vector<std::pair<std::uint64_t, std::size_t>> keyed(v.size());
    for (std::size_t k = 0; k < v.size(); ++k)
      keyed[k] = {Stream(in_.seed, id(v[k]), in_.base_year, event).bits64(0), v[k]};
    std::sort(keyed.begin(), keyed.end());
    for (std::size_t k = 0; k < v.size(); ++k) v[k] = keyed[k].second;
  }

  // Pools of possible parents by age: women from 15, and unpartnered men from 18 (lone fathers).
  void indexAdults() {
    for (std::size_t i = 0; i < age_.size(); ++i) {
      if (female(i) && age_[i] >= io::FertilitySchedule::kMinAge)
        (role_[i] == Role::Married ? married_women_ : unpartnered_women_)[ageIndex(i)].push_back(i);
      else if (!female(i) && age_[i] >= kAdultAge && role_[i] != Role::Married)
        unpartnered_men_[ageIndex(i)].push_back(i);
    }
  }

  // Picks a woman aged near `age`, within [min_age, max_age], from `pool` with the uniform u;
  // kNone if there is none.
  static std::size_t pickAdult(const std::array<std::vector<std::size_t>, kAgeClasses>& pool, int age, int min_age,
                               int max_age, double u, std::size_t exclude) {
    for (int d = 0; d <= kMaxMotherSearch; ++d)
      for (const int a : {age + d, age - d}) {
        if (a < std::max(min_age, 0) || a > std::min(max_age, kOpenAge) || pool[a].empty()) continue;
        auto k = static_cast<std::size_t>(u * static_cast<double>(pool[a].size()));
        if (pool[a][k] == exclude) k = (k + 1) % pool[a].size();
        if (pool[a][k] != exclude) return pool[a][k];
        if (d == 0) break;
      }
    return kNone;
  }

  // Finds a parent for child i: with probability lone_father_share an unpartnered father
  // (a household link, no mother link); otherwise a mother, married with probability
  // 1 - lone_mother_share or without a partner, the other kind when the first has nobody of a
  // plausible age.
  bool assignParent(std::size_t i) {
    const Stream s(in_.seed, id(i), in_.base_year, Event::MotherChoice);
    const int mother_age = ageIndex(i) + mother_age_.draw(ageIndex(i), Stream(in_.seed, id(i), in_.base_year, Event::MotherAge).uniform(0));
    if (s.uniform(4) < p_.lone_father_share) {
      const int father_age = mother_age + static_cast<int>(std::lround(p_.spouse_age_gap_mean_years));
      const std::size_t f = pickAdult(unpartnered_men_, father_age, ageIndex(i) + kAdultAge - 1,
                                      ageIndex(i) + kMaxFatherAgeAtBirth, s.uniform(5), i);
      if (f != kNone && role_[f] != Role::ElderWithRelative) {
        host_[i] = f;
        ++children_[f];
        return true;
      }
    }
    const bool lone = s.uniform(0) < p_.lone_mother_share;
    // A mother was 15..49 at the birth (the open age class excepted).
    const int min_age = ageIndex(i) + io::FertilitySchedule::kMinAge;
    const int max_age = ageIndex(i) + io::FertilitySchedule::kMaxAge;
    std::size_t m = pickAdult(lone ? unpartnered_women_ : married_women_, mother_age, min_age, max_age, s.uniform(1), i);
    if (m == kNone)
      m = pickAdult(lone ? married_women_ : unpartnered_women_, mother_age, min_age, max_age, s.uniform(1), i);
    if (m == kNone || role_[m] == Role::ElderWithRelative) return false;
    mother_[i] = m;
    ++children_[m];
    return true;
  }

  void placeChildren() {
    for (std::size_t i = 0; i < age_.size(); ++i) {
      if (role_[i] != Role::Child) continue;
      if (assignParent(i)) continue;
      if (age_[i] >= kAdultAge) {
        role_[i] = Role::Independent;
        continue;
      }
      placeWithKin(i);
    }
  }

  // A minor without a mother of plausible age lives with the woman of the region closest to
  // 30 years older (a grandmother, aunt or foster parent); no mother link is recorded.
  void placeWithKin(std::size_t i) {
    const Stream s(in_.seed, id(i), in_.base_year, Event::MotherChoice);
    for (int d = 0; d <= kOpenAge; ++d)
      for (const int a : {ageIndex(i) + 30 + d, ageIndex(i) + 30 - d}) {
        if (a < kAdultAge || a > kOpenAge) continue;
        for (const auto* pool : {&married_women_[a], &unpartnered_women_[a]}) {
          if (pool->empty()) continue;
          const auto k = static_cast<std::size_t>(s.uniform(2) * static_cast<double>(pool->size()));
          host_[i] = (*pool)[k];
          ++stats_.kin_placements;
          return;
        }
      }
    role_[i] = Role::Independent;  // a region without any adult woman
  }

  // Unpartnered persons 75+ living with a younger married woman of the age of their children.
  void placeElders() {
    const Stream rounding(in_.seed, code_, in_.base_year, Event::ElderChoice);
    for (int s = 0; s < core::kSexes; ++s)
      for (int a = kElderAge; a < kAgeClasses; ++a) {
        std::vector<std::size_t> alone;
        const std::size_t start = cell_start_[s][a];
        for (std::int64_t k = 0; k < in_.counts[s][a]; ++k)
          if (role_[start + k] == Role::Independent && children_[start + k] == 0) alone.push_back(start + k);
        const auto cell = static_cast<std::uint32_t>(s * kAgeClasses + a);
        const auto moving = std::min<std::int64_t>(static_cast<std::int64_t>(alone.size()),
            roundUnbiased(static_cast<double>(alone.size()) * p_.elderly_with_child_share, rounding.uniform(cell)));
        for (std::int64_t k = 0; k < moving; ++k) attachElder(alone[k]);
      }
  }

  bool attachElder(std::size_t i) {
    const Stream s(in_.seed, id(i), in_.base_year, Event::ElderChoice);
    const int child_age = ageIndex(i) - mother_age_.draw(0, s.uniform(0)) - static_cast<int>(std::lround(p_.mother_age_trend_cap_years));
    const std::size_t host = pickAdult(married_women_, std::max(child_age, kAdultAge), kAdultAge, kOpenAge, s.uniform(1), i);
    if (host == kNone) return false;
    role_[i] = Role::ElderWithRelative;
    host_[i] = host;
    ++stats_.elders_with_relative;
    return true;
  }

  std::int64_t householdCount() const {
    std::int64_t n = 0;
    for (std::size_t i = 0; i < age_.size(); ++i) n += isHead(i) ? 1 : 0;
    return n;
  }
  bool isHead(std::size_t i) const {
    return role_[i] == Role::Independent || (role_[i] == Role::Married && female(i)) ||
           (role_[i] == Role::Child && mother_[i] == kNone && host_[i] == kNone);
  }

  // Brings the number of households to the registered count: too many, and young adults living
  // alone return to a parent's home (chosen by their age-specific propensity to live with a
  // parent); too few, and adult children leave home (by the complementary propensity).
  void calibrateHouseholds() {
    std::int64_t excess = householdCount() - in_.target_households;
    if (excess == 0) return;
    std::vector<std::pair<double, std::size_t>> candidates;
    for (std::size_t i = 0; i < age_.size(); ++i) {
      const int a = ageIndex(i);
      const int s = static_cast<int>(sex_[i]);
      double weight = 0.0;
      if (excess > 0 && role_[i] == Role::Independent && children_[i] == 0 && a >= kAdultAge && a < 50)
        weight = living_.with_parent_share[s][a];
      else if (excess < 0 && role_[i] == Role::Child && a >= kAdultAge && mother_[i] != kNone)
        weight = 1.0 - living_.with_parent_share[s][a];
      if (weight <= 0.0) continue;
      // Weighted sampling without replacement (Efraimidis & Spirakis): largest key first.
      const double u = Stream(in_.seed, id(i), in_.base_year, Event::MotherChoice).uniform(3);
      candidates.emplace_back(std::log1p(-u) / weight, i);
    }
    std::sort(candidates.begin(), candidates.end(), [](const auto& x, const auto& y) {
      return x.first != y.first ? x.first > y.first : x.second < y.second;
    });
    for (const auto& [key, i] : candidates) {
      if (excess == 0) break;
      if (excess > 0) {
        role_[i] = Role::Child;
        if (!assignParent(i)) {
          role_[i] = Role::Independent;
          continue;
        }
        --excess;
      } else {
        --children_[mother_[i]];
        mother_[i] = kNone;
        role_[i] = Role::Independent;
        ++excess;
      }
    }
  }

  // Numbers households 1..h in person order of their heads and gives every person the number of
  // the household they live in. Heads come first; partners, elders, then children by descending
  // age so that a child's mother is always resolved before the child.
  std::uint32_t assignHouseholds() {
    household_.assign(age_.size(), 0);
    std::uint32_t h = 0;
    for (std::size_t i = 0; i < age_.size(); ++i)
      if (isHead(i)) household_[i] = ++h;
    for (std::size_t i = 0; i < age_.size(); ++i) {
      if (role_[i] == Role::Married && !female(i)) household_[i] = household_[partner_[i]];
      if (role_[i] == Role::ElderWithRelative) household_[i] = household_[host_[i]];
    }
    std::vector<std::size_t> kids;
    for (std::size_t i = 0; i < age_.size(); ++i)
      if (role_[i] == Role::Child && !isHead(i)) kids.push_back(i);
    std::stable_sort(kids.begin(), kids.end(), [&](std::size_t x, std::size_t y) { return age_[x] > age_[y]; });
    for (const auto i : kids) household_[i] = household_[mother_[i] != kNone ? mother_[i] : host_[i]];

    std::vector<std::uint32_t> size(h + 1, 0);
    std::vector<std::uint8_t> couple(h + 1, 0);
    for (std::size_t i = 0; i < age_.size(); ++i) {
      ++size[household_[i]];
      if (partner_[i] != kNone) couple[household_[i]] = 1;
    }
    for (std::size_t i = 0; i < age_.size(); ++i)
      if (isHead(i) && role_[i] == Role::Independent && children_[i] > 0) ++(female(i) ? stats_.lone_mother : stats_.lone_father);
    for (std::uint32_t k = 1; k <= h; ++k) {
      stats_.one_person += size[k] == 1;
      stats_.couples += couple[k];
    }
    for (std::size_t i = 0; i < age_.size(); ++i) stats_.children_with_mother += mother_[i] != kNone;
    stats_.households = h;
    stats_.target_households = in_.target_households;
    stats_.persons = static_cast<std::int64_t>(age_.size());
    return h;
  }

  // Writes persons ordered by household (members contiguous), heads first within a household.
  void write(core::Persons& out, std::size_t begin, std::uint32_t households) const {
    std::vector<std::size_t> first(households + 2, 0);
    for (const auto h : household_) ++first[h + 1];
    std::partial_sum(first.begin(), first.end(), first.begin());
    std::vector<std::size_t> order(age_.size());
    for (std::size_t i = 0; i < age_.size(); ++i)
      if (isHead(i)) order[first[household_[i]]++] = i;
    for (std::size_t i = 0; i < age_.size(); ++i)
      if (!isHead(i)) order[first[household_[i]]++] = i;
    const auto region = in_.region;
    for (std::size_t k = 0; k < order.size(); ++k) {
      const std::size_t i = order[k];
      const std::size_t o = begin + k;
      out.id[o] = id(i);
      out.partner[o] = partner_[i] == kNone ? core::kNoPerson : id(partner_[i]);
      out.mother[o] = mother_[i] == kNone ? core::kNoPerson : id(mother_[i]);
      out.household[o] = household_[i] - 1;  // shifted to a 0-based local index
      out.birth_year[o] = static_cast<core::Year>(in_.base_year - age_[i]);
      out.region[o] = region;
      out.sex[o] = sex_[i];
      out.parity[o] = female(i) ? static_cast<std::uint8_t>(std::min<std::uint32_t>(children_[i], 255)) : 0;
      std::uint8_t flags = core::kFlagNone;
      if (mother_[i] != kNone) flags |= core::kFlagLivesWithMother;
      if (role_[i] == Role::ElderWithRelative) flags |= core::kFlagLivesWithChild;
      out.flags[o] = flags;
    }
  }

  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  const RegionSynthesisInput& in_;
  const io::SynthesisParameters& p_;
  const io::LivingArrangements& living_;
  std::uint64_t code_;
  MotherAgeDistribution mother_age_;
  std::array<std::array<std::size_t, kAgeClasses>, core::kSexes> cell_start_{};
  std::vector<std::int16_t> age_;
  std::vector<Sex> sex_;
  std::vector<Role> role_;
  std::vector<std::size_t> partner_, mother_, host_;
  std::vector<std::uint32_t> children_;
  std::vector<std::uint32_t> household_;
  std::array<std::vector<std::size_t>, kAgeClasses> married_women_, unpartnered_women_, unpartnered_men_;
  SynthesisStats stats_;
};

}  // namespace

SynthesisStats& SynthesisStats::operator+=(const SynthesisStats& o) {
  persons += o.persons;
  households += o.households;
  target_households += o.target_households;
  one_person += o.one_person;
  couples += o.couples;
  lone_mother += o.lone_mother;
  lone_father += o.lone_father;
  children_with_mother += o.children_with_mother;
  elders_with_relative += o.elders_with_relative;
  kin_placements += o.kin_placements;
  unmatched_married += o.unmatched_married;
  return *this;
}

io::AgeSexCounts scaledCounts(const io::AgeSexCounts& counts, double scale, std::uint64_t seed,
                              std::int64_t region_code, int base_year) {
  if (scale == 1.0) return counts;
  const Stream rounding(seed, static_cast<std::uint64_t>(region_code), base_year, Event::ScaleRounding);
  io::AgeSexCounts scaled{};
  for (int s = 0; s < core::kSexes; ++s)
    for (int a = 0; a < kAgeClasses; ++a)
      scaled[s][a] = roundUnbiased(static_cast<double>(counts[s][a]) * scale,
                                   rounding.uniform(static_cast<std::uint32_t>(s * kAgeClasses + a)));
  return scaled;
}

std::int64_t scaledHouseholds(std::int64_t households, double scale, std::uint64_t seed, std::int64_t region_code,
                              int base_year) {
  if (scale == 1.0) return households;
  const Stream rounding(seed, static_cast<std::uint64_t>(region_code), base_year, Event::ScaleRounding);
  return std::max<std::int64_t>(1, roundUnbiased(static_cast<double>(households) * scale, rounding.uniform(900)));
}

SynthesisStats synthesizeRegion(const RegionSynthesisInput& input, core::Persons& persons, std::size_t begin) {
  return RegionBuilder(input).build(persons, begin);
}

}  // namespace popsim::model
