#include "model/synthesis.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "core/random.hpp"
#include "model/living_alone.hpp"

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
constexpr int kMaxParentSearch = 5;   // years from the wanted parent age
constexpr int kKinAgeGap = 30;        // a relative hosting a minor is about a generation older
constexpr int kMaxFatherAgeAtBirth = 65;
constexpr int kMaxOldestAge = 110;
constexpr double kLargestHouseholdMean = 7.3;  // the mean size of households of 7 or more (about; register)

using SizeShares = std::array<double, core::kHouseholdSizes>;

// The persons of a household of size class k (7+ at its assumed mean).
double sizeOfClass(int k) { return k == core::kHouseholdSizes - 1 ? kLargestHouseholdMean : k + 1.0; }

// The counts of the classes 2..6, 7+ (index 1..6) proportional to weight_k x exp(theta x size_k),
// summing to `total`, with theta found by bisection (`steps` halvings of [-5, 5]) so that their
// mean size is `mean`: an exponential tilt, the least change of the weights' distribution that
// has that mean.
SizeShares tiltToMean(const SizeShares& weight, double mean, double total, int steps) {
  auto tilted = [&](double theta) {
    SizeShares t{};
    double sum = 0.0;
    for (int k = 1; k < core::kHouseholdSizes; ++k) sum += t[k] = weight[k] * std::exp(theta * sizeOfClass(k));
    for (int k = 1; k < core::kHouseholdSizes; ++k) t[k] = sum > 0.0 ? total * t[k] / sum : 0.0;
    return t;
  };
  double lo = -5.0, hi = 5.0;
  for (int it = 0; it < steps; ++it) {
    const double mid = 0.5 * (lo + hi);
    const auto t = tilted(mid);
    double n = 0.0;
    for (int k = 1; k < core::kHouseholdSizes; ++k) n += t[k] * sizeOfClass(k);
    (n / total < mean ? lo : hi) = mid;
  }
  return tilted(0.5 * (lo + hi));
}

// Independent persons live alone unless others live with them; WithRelative: an adult who lives
// in the household of a relative who is not a parent (a sibling's or a child's family).
enum class Role : std::uint8_t { Independent, Married, Child, ElderWithRelative, WithRelative };

std::int64_t roundUnbiased(double x, double u) {
  const double f = std::floor(x);
  return static_cast<std::int64_t>(f) + (u < x - f ? 1 : 0);
}

// Standard normal deviate from two uniforms (Box-Muller).
double normal(const Stream& s, std::uint32_t index) {
  const auto w = s.words(index);
  const double u1 = (static_cast<double>(w[0]) + 1.0) * 0x1.0p-32;  // (0, 1]
  const double u2 = static_cast<double>(w[1]) * 0x1.0p-32;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

// The mother's age at a child's birth: the base-year fertility schedule shifted younger for
// earlier birth cohorts (mothers were younger when fertility was higher) and truncated at 15,
// so that the shift does not pile births up at the youngest ages.
class MotherAgeDistribution {
 public:
  using Schedule = io::FertilitySchedule;
  MotherAgeDistribution(const Schedule& f, const io::SynthesisParameters& p)
      : trend_(p.mother_age_trend_years_per_year), cap_(p.mother_age_trend_cap_years) {
    double sum = 0.0;
    for (int i = 0; i < Schedule::kAges; ++i) cdf_[i] = sum += f.asfr[i];
    for (auto& c : cdf_) c /= sum;
  }
  int draw(int child_age, double u) const {
    const double shift = std::min(trend_ * child_age, cap_);
    // Schedule ages below 15 + shift would give mothers younger than 15: draw above them.
    const int first = std::min(static_cast<int>(std::ceil(shift)), Schedule::kAges - 1);
    const double lo = first > 0 ? cdf_[first - 1] : 0.0;
    const double v = lo + u * (1.0 - lo);
    const int i = static_cast<int>(std::lower_bound(cdf_.begin(), cdf_.end(), v) - cdf_.begin());
    const int age = static_cast<int>(std::lround(Schedule::kMinAge + std::min(i, Schedule::kAges - 1) - shift));
    return std::clamp(age, Schedule::kMinAge, Schedule::kMaxAge);
  }

 private:
  std::array<double, Schedule::kAges> cdf_{};
  double trend_;
  double cap_;
};

// The working state of one region while it is being built; indices are region-local.
class RegionBuilder {
 public:
  explicit RegionBuilder(const RegionSynthesisInput& in)
      : in_(in),
        p_(*in.parameters),
        living_(in.inputs->living),
        region_(synthesisEntity(in.inputs->regions[in.region].code, in.nationality)),
        mother_age_(in.inputs->fertility, *in.parameters) {}

  SynthesisStats build(core::Persons& out, std::size_t begin) {
    createPersons();
    planRoles();
    matchCouples();
    indexAdults();
    placeChildren();
    if (in_.nationality == core::Nationality::National) {
      calibrateLivingAlone();
      calibrateHouseholdCount();
      calibrateSizes();
    } else
      calibrateHouseholds();
    const auto households = assignHouseholds();
    write(out, begin, households);
    return stats_;
  }

 private:
  using Pool = std::array<std::vector<std::size_t>, kAgeClasses>;
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  core::PersonId id(std::size_t i) const { return in_.first_person_id + static_cast<core::PersonId>(i); }
  int ageIndex(std::size_t i) const { return core::ageClass(age_[i]); }
  bool female(std::size_t i) const { return sex_[i] == Sex::Female; }
  Stream personStream(std::size_t i, Event e) const { return Stream(in_.seed, id(i), in_.base_year, e); }
  Stream regionStream(Event e) const { return Stream(in_.seed, region_, in_.base_year, e); }

  void createPersons() {
    const auto n = static_cast<std::size_t>(io::total(in_.counts));
    age_.resize(n);
    sex_.resize(n);
    role_.assign(n, Role::Independent);
    partner_.assign(n, kNone);
    mother_.assign(n, kNone);
    host_.assign(n, kNone);
    parity_.assign(n, 0);
    apart_.assign(n, 0);
    father_keeps_.assign(n, 0);
    dependents_.assign(n, 0);
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
    const double u = personStream(i, Event::OldestOldAge).uniform(0);
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
    const Stream married_rounding = regionStream(Event::MarriedRounding);
    const Stream with_parent_rounding = regionStream(Event::WithParentRounding);
    for (int s = 0; s < core::kSexes; ++s) {
      const double balance = planned[s] > 0.0 ? couples / planned[s] : 0.0;
      for (int a = 0; a < kAgeClasses; ++a) {
        const std::int64_t c = in_.counts[s][a];
        const auto cell = static_cast<std::uint32_t>(s * kAgeClasses + a);
        const double share = std::min(1.0, living_.married_share[s][a] * balance);
        const std::int64_t married =
            a < kAdultAge ? 0 : std::min(c, roundUnbiased(static_cast<double>(c) * share, married_rounding.uniform(cell)));
        const std::int64_t children =
            a < kAdultAge ? c
                          : std::min(c - married, roundUnbiased(static_cast<double>(c) * living_.with_parent_share[s][a],
                                                                with_parent_rounding.uniform(cell)));
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
      while (end[a] < age_.size() && sex_[end[a]] == Sex::Male && ageIndex(end[a]) == a &&
             role_[end[a]] == Role::Married)
        ++end[a];
    }
    std::vector<std::size_t> wives;
    for (std::size_t i = 0; i < age_.size(); ++i)
      if (female(i) && role_[i] == Role::Married) wives.push_back(i);
    shuffle(wives, Event::ShuffleWomen);
    for (const auto w : wives) {
      const double gap = p_.spouse_age_gap_mean_years + p_.spouse_age_gap_sd_years * normal(personStream(w, Event::SpouseAge), 0);
      const int target = std::clamp(static_cast<int>(std::lround(ageIndex(w) + gap)), kAdultAge, kOpenAge);
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
    for (std::size_t k = 0; k < v.size(); ++k) keyed[k] = {personStream(v[k], event).bits64(0), v[k]};
    std::sort(keyed.begin(), keyed.end());
    for (std::size_t k = 0; k < v.size(); ++k) v[k] = keyed[k].second;
  }

  // Pools of possible parents and hosts by age class: women from 15; unpartnered men from 18.
  void indexAdults() {
    for (std::size_t i = 0; i < age_.size(); ++i) {
      if (female(i) && age_[i] >= io::FertilitySchedule::kMinAge)
        (role_[i] == Role::Married ? married_women_ : unpartnered_women_)[ageIndex(i)].push_back(i);
      else if (!female(i) && age_[i] >= kAdultAge && role_[i] != Role::Married)
        unpartnered_men_[ageIndex(i)].push_back(i);
    }
  }

  // Picks from `pool` a person of age class near `age` (up to `radius` classes away) whose real
  // age is within [min_age, max_age] and who can take another dependent. Persons who can no
  // longer host anyone (full, or moved to a relative) leave the pool. kNone if nobody fits.
  std::size_t pickAdult(Pool& pool, int age, int min_age, int max_age, double u, std::size_t exclude,
                        int radius = kMaxParentSearch) {
    const int lo = std::max(core::ageClass(std::max(min_age, 0)), 0);
    const int hi = core::ageClass(std::min(max_age, kMaxOldestAge));
    for (int d = 0; d <= radius; ++d)
      for (const int a : {age + d, age - d}) {
        if (a >= lo && a <= hi) {
          auto& cell = pool[a];
          std::size_t k = static_cast<std::size_t>(u * static_cast<double>(cell.size()));
          for (std::size_t tries = cell.size(); tries > 0 && !cell.empty(); --tries) {
            k %= cell.size();
            const std::size_t c = cell[k];
            if (dependents_[c] >= p_.max_dependents_per_adult || role_[c] == Role::ElderWithRelative ||
                role_[c] == Role::WithRelative) {
              cell[k] = cell.back();  // no longer a possible host: drop it
              cell.pop_back();
              continue;
            }
            if (c != exclude && age_[c] >= min_age && age_[c] <= max_age) return c;
            ++k;
          }
        }
        if (d == 0) break;
      }
    return kNone;
  }

  // Finds a parent for child i. With probability lone_father_share an unpartnered father (a
  // household link, no father link is stored); otherwise a mother. A minor's mother is without a
  // partner with probability lone_mother_share; an adult child's mother is married or not in the
  // proportion of women of her age (older mothers are mostly widowed). The other kind of mother
  // is tried when the first has nobody of a plausible age.
  bool assignParent(std::size_t i) {
    const Stream s = personStream(i, Event::ParentChoice);
    const int child_age = ageIndex(i);
    const int mother_age = child_age + mother_age_.draw(child_age, personStream(i, Event::MotherAge).uniform(0));
    if (s.uniform(0) < p_.lone_father_share) {
      const int father_age = mother_age + static_cast<int>(std::lround(p_.spouse_age_gap_mean_years));
      const std::size_t f = pickAdult(unpartnered_men_, father_age, age_[i] + kAdultAge - 1,
                                      age_[i] + kMaxFatherAgeAtBirth, s.uniform(1), i);
      if (f != kNone) {
        host_[i] = f;
        ++dependents_[f];
        return true;
      }
    }
    bool lone = s.uniform(2) < p_.lone_mother_share;
    if (child_age >= kAdultAge && mother_age <= kOpenAge) {
      const double married = static_cast<double>(married_women_[mother_age].size());
      const double unpartnered = static_cast<double>(unpartnered_women_[mother_age].size());
      lone = married + unpartnered > 0.0 && s.uniform(2) * (married + unpartnered) < unpartnered;
    }
    // A mother was 15..49 at the birth.
    const int min_age = age_[i] + io::FertilitySchedule::kMinAge;
    const int max_age = age_[i] + io::FertilitySchedule::kMaxAge;
    std::size_t m = pickAdult(lone ? unpartnered_women_ : married_women_, mother_age, min_age, max_age, s.uniform(3), i);
    if (m == kNone)
      m = pickAdult(lone ? married_women_ : unpartnered_women_, mother_age, min_age, max_age, s.uniform(3), i);
    if (m == kNone) return false;
    mother_[i] = m;
    ++parity_[m];
    ++dependents_[m];
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

  // A minor without a parent of plausible age lives with a woman of the region about a
  // generation older (a grandmother, aunt or foster parent); no mother link is recorded.
  void placeWithKin(std::size_t i) {
    const Stream s = personStream(i, Event::KinChoice);
    for (auto* pool : {&married_women_, &unpartnered_women_}) {
      const std::size_t host = pickAdult(*pool, ageIndex(i) + kKinAgeGap, age_[i] + kAdultAge, kMaxOldestAge,
                                         s.uniform(0), i, kOpenAge);
      if (host != kNone) {
        host_[i] = host;
        ++dependents_[host];
        ++stats_.kin_placements;
        return;
      }
    }
    // No woman who can take a minor (a small sample of foreign residents, mostly men): any adult
    // of the group, the one with the fewest dependents (the first by index among equals), so that
    // no household is made of minors only.
    std::size_t host = kNone;
    for (std::size_t k = 0; k < age_.size(); ++k)
      if (age_[k] >= kAdultAge && (host == kNone || dependents_[k] < dependents_[host])) host = k;
    if (host == kNone) {
      role_[i] = Role::Independent;  // no adult at all: the caller never builds such a group
      return;
    }
    host_[i] = host;
    ++dependents_[host];
    ++stats_.kin_placements;
  }

  // One-person households as the register has them: in each sex and 10-year age group, the
  // region's share living alone (living_alone.csv) of the group's persons, rounded without bias.
  // Too many alone: the persons least likely to live alone at their single age (the base-year
  // curve) move in with others; under 60 with a parent if one of plausible age is free, otherwise
  // (and from 60) with a married woman of their children's generation or, failing that, their
  // own (a relative's family). Too few: adult children living with a parent, the most likely to
  // live alone at their age first, move out.
  void calibrateLivingAlone() {
    const auto& la = in_.inputs->living_alone;
    const auto curve = baseYearShares(la, in_.region, in_.alone_max_share);
    const Stream rounding = regionStream(Event::AloneRounding);
    for (int s = 0; s < core::kSexes; ++s)
      for (int g = 0; g < io::LivingAlone::kGroups; ++g) {
        const int first_age = 10 * g;
        const int last_age = std::min(10 * g + 9, kOpenAge);
        std::int64_t persons = 0;
        for (int a = first_age; a <= last_age; ++a) persons += in_.counts[s][a];
        const auto target = roundUnbiased(static_cast<double>(persons) * la.region_share[in_.region][s][g],
                                          rounding.uniform(static_cast<std::uint32_t>(s * io::LivingAlone::kGroups + g)));
        stats_.alone_target += target;
        // The group's target spread over its single ages by the base-year curve (largest remainder).
        std::vector<double> weight;
        for (int a = first_age; a <= last_age; ++a) weight.push_back(curve[s][a] * static_cast<double>(in_.counts[s][a]));
        const auto by_age = largestRemainder(weight, target);
        for (int a = first_age; a <= last_age; ++a) placeAlone(s, a, by_age[static_cast<std::size_t>(a - first_age)]);
      }
    splitCouples();
    for (const auto& by_age : alone_gap_)
      for (const auto gap : by_age) stats_.alone_unplaced += gap;
  }

  // `total` split in proportion to `weight` in whole numbers (largest remainders, ties to the first).
  static std::vector<std::int64_t> largestRemainder(const std::vector<double>& weight, std::int64_t total) {
    std::vector<std::int64_t> out(weight.size(), 0);
    double sum = 0.0;
    for (const auto w : weight) sum += w;
    if (sum <= 0.0 || total <= 0) return out;
    std::vector<std::pair<double, std::size_t>> rest;
    std::int64_t given = 0;
    for (std::size_t k = 0; k < weight.size(); ++k) {
      const double exact = static_cast<double>(total) * weight[k] / sum;
      out[k] = static_cast<std::int64_t>(std::floor(exact));
      given += out[k];
      rest.emplace_back(exact - std::floor(exact), k);
    }
    std::stable_sort(rest.begin(), rest.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
    for (std::size_t k = 0; given < total && k < rest.size(); ++k, ++given) ++out[rest[k].second];
    return out;
  }

  // Brings the persons of sex s and age a living alone to `target`: too many, and persons living
  // alone move in with others (joinOthers); too few, and adult children living with a parent move
  // out; in a random order. What remains of a shortfall is left to splitCouples.
  void placeAlone(int s, int a, std::int64_t target) {
    const std::size_t begin = cell_start_[s][a];
    const std::size_t end = begin + static_cast<std::size_t>(in_.counts[s][a]);
    std::int64_t alone = 0;
    for (auto i = begin; i < end; ++i) alone += livesAlone(i);
    const bool too_many = alone > target;
    std::vector<std::pair<std::uint64_t, std::size_t>> candidates;
    for (auto i = begin; i < end; ++i)
      if (too_many ? livesAlone(i)
                   : age_[i] >= kAdultAge && role_[i] == Role::Child && mother_[i] != kNone && dependents_[i] == 0)
        candidates.emplace_back(personStream(i, Event::AloneChoice).bits64(0), i);
    std::sort(candidates.begin(), candidates.end());
    std::int64_t gap = std::abs(alone - target);
    for (const auto& [key, i] : candidates) {
      if (gap == 0) break;
      if (too_many) {
        if (!joinOthers(i)) continue;
      } else {
        --dependents_[mother_[i]];
        role_[i] = Role::Independent;
      }
      --gap;
    }
    (too_many ? stats_.alone_unplaced : alone_gap_[s][a]) += gap;
  }

  // Where too few live alone even so (the register's middle-aged: families split for work or
  // schooling, couples registered apart), married couples are registered apart, in a random
  // order: an empty-nest couple becomes two one-person households where both their groups lack
  // persons living alone; a husband leaves his wife and her household where his group does; a
  // wife leaves where only hers does, her children and relatives staying with the husband.
  void splitCouples() {
    std::vector<std::pair<std::uint64_t, std::size_t>> wives;
    for (std::size_t i = 0; i < age_.size(); ++i)
      if (female(i) && role_[i] == Role::Married) wives.emplace_back(personStream(i, Event::AloneChoice).bits64(1), i);
    std::sort(wives.begin(), wives.end());
    std::vector<std::vector<std::size_t>> living_with;  // each wife's dependents, built on first need
    for (const auto& [key, w] : wives) {
      const std::size_t h = partner_[w];
      auto& husband_gap = alone_gap_[0][std::min<int>(age_[h], kOpenAge)];
      auto& wife_gap = alone_gap_[1][std::min<int>(age_[w], kOpenAge)];
      if (dependents_[h] > 0 || (husband_gap <= 0 && wife_gap <= 0)) continue;
      const bool empty_nest = dependents_[w] == 0;
      if (empty_nest && (husband_gap <= 0 || wife_gap <= 0)) continue;
      if (!empty_nest && husband_gap <= 0) {
        if (living_with.empty()) living_with = dependentsByHost();
        for (const auto d : living_with[w]) {
          father_keeps_[d] = livesWithMother(d);
          host_[d] = h;
        }
        dependents_[h] = dependents_[w];
        dependents_[w] = 0;
      }
      for (const auto i : {w, h}) {
        role_[i] = Role::Independent;
        partner_[i] = kNone;
        apart_[i] = 1;
      }
      if (livesAlone(h)) --husband_gap;
      if (livesAlone(w)) --wife_gap;
      stats_.married_apart += 2;
    }
  }

  // The region's registered number of households (households.csv), with the persons living alone
  // already placed: too many households with several members, and couples without others move
  // in with a parent (wife under 40) or a child's family (from 40): a woman heading a household of
  // two or more, 20-40 years older or younger; too few, and two adult siblings living with a
  // parent set up a household together (the parent keeps at least one other person), then lone
  // parents living with their parent move out with their children.
  void calibrateHouseholdCount() {
    std::int64_t excess = householdCount() - in_.target_households;
    if (excess == 0) return;
    std::vector<std::pair<std::uint64_t, std::size_t>> candidates;
    const auto living_with = excess < 0 ? dependentsByHost() : std::vector<std::vector<std::size_t>>{};
    for (std::size_t i = 0; i < age_.size(); ++i) {
      if (excess > 0 && female(i) && role_[i] == Role::Married && host_[i] == kNone && dependents_[i] == 0)
        candidates.emplace_back(personStream(i, Event::AloneChoice).bits64(2), i);
      if (excess < 0 && isHead(i) && living_with[i].size() >= 2)
        candidates.emplace_back(personStream(i, Event::AloneChoice).bits64(2), i);
    }
    std::sort(candidates.begin(), candidates.end());
    auto members = householdMembers();
    auto householdSize = [&](std::size_t head) { return static_cast<int>(members[head]); };
    std::vector<std::size_t> heads;  // possible hosts of a couple: women heading a household of 2+
    if (excess > 0)
      for (std::size_t i = 0; i < age_.size(); ++i)
        if (isHead(i) && female(i) && householdSize(i) >= 2 && householdSize(i) <= 3) heads.push_back(i);
    const Stream draw = regionStream(Event::SizeCalibration);
    std::uint32_t d = 0;
    constexpr int kTries = 64;
    // Hosts of 2-3 persons first (a couple joining them makes 4-5); where they run out, 4-5.
    int largest_host = 3;
    for (std::size_t pass = 0; pass < 2 * candidates.size(); ++pass) {
      if (pass == candidates.size()) {
        if (excess <= 0) break;
        largest_host = 5;
        heads.clear();
        for (std::size_t i = 0; i < age_.size(); ++i)
          if (isHead(i) && female(i) && householdSize(i) >= 2 && householdSize(i) <= largest_host) heads.push_back(i);
      }
      const std::size_t i = candidates[pass % candidates.size()].second;
      if (excess == 0) break;
      if (excess > 0) {
        if (dependents_[i] > 0 || host_[i] != kNone) continue;  // she became a host, or joined one
        for (int t = 0; t < kTries && !heads.empty(); ++t) {
          const auto host = heads[static_cast<std::size_t>(draw.uniform(d++) * static_cast<double>(heads.size()))];
          const int gap = age_[i] < 40 ? age_[host] - age_[i] : age_[i] - age_[host];
          if (host == i || !isHead(host) || householdSize(host) > largest_host || gap < 20 || gap > 40) continue;
          host_[i] = host;
          dependents_[host] += 2;
          members[host] += 2;
          --excess;
          ++stats_.couples_with_relative;
          break;
        }
      } else {
        if (householdSize(i) < 4) continue;  // the parent keeps at least one other person
        std::size_t first = kNone, second = kNone;
        for (const auto c : living_with[i])
          if (role_[c] == Role::Child && livesWithMother(c) && age_[c] >= kAdultAge && dependents_[c] == 0)
            (first == kNone ? first : second) = c;
        if (second == kNone) continue;
        for (const auto c : {first, second}) {
          --dependents_[i];
          role_[c] = Role::Independent;
        }
        role_[second] = Role::WithRelative;
        host_[second] = first;
        ++dependents_[first];
        members[i] -= 2;
        members[first] = 2;
        ++excess;
        ++stats_.siblings_together;
      }
    }
    // Still too few: a lone parent living with her (or his) parent moves out with the children.
    for (std::size_t c = 0; c < age_.size() && excess < 0; ++c) {
      if (role_[c] != Role::Child || age_[c] < kAdultAge || dependents_[c] == 0) continue;
      const std::size_t holder = holderOf(c);
      const auto own = 1 + dependents_[c];  // her children (none of whom hosts anyone)
      if (!isHead(holder) || members[holder] < own + 2) continue;
      role_[c] = Role::Independent;
      father_keeps_[c] = 0;
      --dependents_[holder];
      members[holder] -= own;
      members[c] = own;
      ++excess;
      ++stats_.siblings_together;
    }
  }

  // The person whose household i lives in: i's mother, host or wife, up to a head.
  std::size_t holderOf(std::size_t i) const {
    if (livesWithMother(i)) return mother_[i];
    if (host_[i] != kNone && role_[i] != Role::Married) return host_[i];
    if (role_[i] == Role::Married) return female(i) ? host_[i] : partner_[i];
    return host_[i];
  }
  // The members of every head's household (children of a mother who lives with her own parent
  // included), indexed by head.
  std::vector<std::uint32_t> householdMembers() const {
    std::vector<std::uint32_t> members(age_.size(), 0);
    for (std::size_t i = 0; i < age_.size(); ++i) {
      std::size_t head = i;
      while (!isHead(head)) head = holderOf(head);
      ++members[head];
    }
    return members;
  }

  // Household sizes as the register has them: the multi-person households' sizes 2..6, 7+ in
  // the proportions of the province's (households_by_size.csv). Children move one at a time from
  // a household of 3 or more to a woman of plausible maternal age (15-49 years older) who heads a
  // household of 2 or more, choosing each time the pair of sizes that brings the counts closest
  // to the targets; one-person households are not touched. Random households of the two sizes are
  // tried (region stream) until a child and a mother fit; a pair that finds none is dropped.
  void calibrateSizes() {
    constexpr int K = core::kHouseholdSizes;  // classes 1..7+, index 0..6
    if (in_.size_shares == nullptr) return;
    const auto& expected_shares = *in_.size_shares;
    auto living_with = dependentsByHost();
    auto members = householdMembers();
    auto sizeOf = [&](std::size_t head) { return static_cast<int>(members[head]); };
    auto classOf = [&](int size) { return std::min(size, K) - 1; };
    std::array<std::vector<std::size_t>, K> bucket;
    std::vector<std::uint32_t> position(age_.size(), 0);
    for (std::size_t i = 0; i < age_.size(); ++i)
      if (isHead(i)) {
        auto& b = bucket[classOf(sizeOf(i))];
        position[i] = static_cast<std::uint32_t>(b.size());
        b.push_back(i);
      }
    // The province's shares, tilted (t_k proportional to share_k x exp(theta x size), theta by
    // bisection) so that their mean size is the region's: the persons who live with others are
    // fixed by now, and regions of one province differ in household size.
    double multi = 0.0, persons = 0.0;
    for (int k = 1; k < K; ++k) {
      multi += static_cast<double>(bucket[k].size());
      for (const auto head : bucket[k]) persons += sizeOf(head);
    }
    if (multi == 0.0) return;
    const auto target = tiltToMean(expected_shares, persons / multi, multi, 60);
    auto count = [&](int k) { return static_cast<double>(bucket[k].size()); };
    auto relocate = [&](std::size_t head, int from, int to) {
      if (from == to) return;
      auto& b = bucket[from];
      const auto at = position[head];
      b[at] = b.back();
      position[b[at]] = at;
      b.pop_back();
      position[head] = static_cast<std::uint32_t>(bucket[to].size());
      bucket[to].push_back(head);
    };
    // The change of sum |count - target| if a household of class a loses a member and one of class b gains one.
    // The change of sum |count - target| if, for each (a, b) of `moves` in turn, a household of
    // class a loses a member and one of class b gains one.
    auto gain = [&](std::initializer_list<std::pair<int, int>> moves) {
      std::array<double, K> n{};
      for (int k = 0; k < K; ++k) n[k] = count(k);
      double before = 0.0, after = 0.0;
      for (int k = 1; k < K; ++k) before += std::abs(n[k] - target[k]);
      for (const auto& [a, b] : moves) {
        --n[a];
        ++n[a - 1];
        --n[b];
        ++n[std::min(b + 1, K - 1)];
      }
      for (int k = 1; k < K; ++k) after += std::abs(n[k] - target[k]);
      return after - before;
    };
    const Stream draw = regionStream(Event::SizeCalibration);
    std::uint32_t d = 0;
    std::array<std::array<bool, K>, K> dropped{};
    constexpr int kTries = 64;
    auto open = [&](int a, int b) { return !dropped[a][b] && !bucket[a].empty() && !bucket[b].empty() && a != b + 1; };
    // A move that changes nothing is taken only as the first of two that together improve; their
    // number is bounded so that the search ends.
    std::int64_t neutral_left = 100 + static_cast<std::int64_t>(multi) / 4;
    for (;;) {
      int best_a = -1, best_b = -1;
      double best = -0.5;  // an improving move lowers the error by at least 1
      for (int a = 2; a < K; ++a)
        for (int b = 1; b < K; ++b)
          if (open(a, b)) {
            const double g = gain({{a, b}});
            if (g < best) best = g, best_a = a, best_b = b;
          }
      if (best_a < 0 && neutral_left-- > 0)
        for (int a = 2; a < K; ++a)
          for (int b = 1; b < K; ++b)
            if (open(a, b) && gain({{a, b}}) < 0.5)
              for (int a2 = 2; a2 < K; ++a2)
                for (int b2 = 1; b2 < K; ++b2)
                  if (open(a2, b2)) {
                    const double g = gain({{a, b}, {a2, b2}});
                    if (g < best) best = g, best_a = a, best_b = b;
                  }
      if (best_a < 0) break;
      bool moved = false;
      for (int t = 0; t < kTries && !moved; ++t) {
        const auto& from = bucket[best_a];
        const std::size_t source = from[static_cast<std::size_t>(draw.uniform(d++) * static_cast<double>(from.size()))];
        auto& kids = living_with[source];
        // A household of 8 or more losing a member stays in the class 7+: not the move wanted.
        if (kids.empty() || sizeOf(source) > K) continue;
        const std::size_t pick = static_cast<std::size_t>(draw.uniform(d++) * static_cast<double>(kids.size()));
        const std::size_t c = kids[pick];
        // A child moves to a woman 15-49 years older; an elderly relative to a married woman
        // 15-49 years younger (another child's family).
        const bool child = role_[c] == Role::Child;
        if ((!child && role_[c] != Role::ElderWithRelative) || dependents_[c] > 0) continue;
        const auto& to = bucket[best_b];
        for (int u = 0; u < kTries; ++u) {
          const std::size_t m = to[static_cast<std::size_t>(draw.uniform(d++) * static_cast<double>(to.size()))];
          const int gap = child ? age_[m] - age_[c] : age_[c] - age_[m];
          if (m == source || !female(m) || (!child && role_[m] != Role::Married) || gap < io::FertilitySchedule::kMinAge ||
              gap > io::FertilitySchedule::kMaxAge)
            continue;
          --dependents_[source];
          kids[pick] = kids.back();
          kids.pop_back();
          if (child) {
            // The child leaves its holder (its mother, or the adult it was placed with) for m.
            if (mother_[c] != kNone && parity_[mother_[c]] > 0) --parity_[mother_[c]];
            mother_[c] = m;
            host_[c] = kNone;
            father_keeps_[c] = 0;
            ++parity_[m];
          } else {
            host_[c] = m;
          }
          ++dependents_[m];
          --members[source];
          ++members[m];
          living_with[m].push_back(c);
          relocate(source, best_a, classOf(sizeOf(source)));
          relocate(m, best_b, classOf(sizeOf(m)));
          ++stats_.size_moves;
          moved = true;
          break;
        }
      }
      // A pair that found no move is dropped; dropped pairs are tried again every 1,000 moves,
      // when the households have changed.
      if (!moved) dropped[best_a][best_b] = true;
      else if (stats_.size_moves % 1000 == 0) dropped = {};
    }

  }

  // Who lives with each person: children with their mother, and those placed with a host.
  std::vector<std::vector<std::size_t>> dependentsByHost() const {
    std::vector<std::vector<std::size_t>> by(age_.size());
    for (std::size_t i = 0; i < age_.size(); ++i) {
      if (livesWithMother(i)) by[mother_[i]].push_back(i);
      else if (host_[i] != kNone) by[host_[i]].push_back(i);
    }
    return by;
  }

  bool livesAlone(std::size_t i) const { return role_[i] == Role::Independent && dependents_[i] == 0; }

  bool joinOthers(std::size_t i) {
    if (age_[i] < 60) {
      role_[i] = Role::Child;
      if (assignParent(i)) return true;
      role_[i] = Role::Independent;
    }
    const Stream s = personStream(i, Event::ElderChoice);
    std::size_t host = kNone;
    if (age_[i] >= 40) {
      const int child_age = ageIndex(i) - mother_age_.draw(kOpenAge, s.uniform(0));
      host = pickAdult(married_women_, std::max(child_age, kAdultAge), kAdultAge, age_[i] - 15, s.uniform(1), i);
    }
    if (host == kNone) host = pickAdult(married_women_, ageIndex(i), kAdultAge, kMaxOldestAge, s.uniform(2), i, kOpenAge);
    if (host == kNone) return false;
    role_[i] = age_[i] >= 60 ? Role::ElderWithRelative : Role::WithRelative;
    host_[i] = host;
    ++dependents_[host];
    ++(age_[i] >= 60 ? stats_.elders_with_relative : stats_.adults_with_relative);
    return true;
  }

  bool isHead(std::size_t i) const {
    return role_[i] == Role::Independent || (role_[i] == Role::Married && female(i) && host_[i] == kNone) ||
           (role_[i] == Role::Child && mother_[i] == kNone && host_[i] == kNone);
  }

  std::int64_t householdCount() const {
    std::int64_t n = 0;
    for (std::size_t i = 0; i < age_.size(); ++i) n += isHead(i) ? 1 : 0;
    return n;
  }

  // Brings the number of households to the registered count: too many, and young adults living
  // alone return to a parent's home (chosen by their age-specific propensity to live with a
  // parent); too few, and adult children leave home (by the complementary propensity), keeping
  // the link to their mother.
  void calibrateHouseholds() {
    std::int64_t excess = householdCount() - in_.target_households;
    if (excess == 0) return;
    std::vector<std::pair<double, std::size_t>> candidates;
    for (std::size_t i = 0; i < age_.size(); ++i) {
      const int a = ageIndex(i);
      const int s = static_cast<int>(sex_[i]);
      double weight = 0.0;
      if (excess > 0 && role_[i] == Role::Independent && dependents_[i] == 0 && mother_[i] == kNone &&
          a >= kAdultAge && a < 50)
        weight = living_.with_parent_share[s][a];
      else if (excess < 0 && role_[i] == Role::Child && a >= kAdultAge && mother_[i] != kNone)
        weight = 1.0 - living_.with_parent_share[s][a];
      if (weight <= 0.0) continue;
      // Weighted sampling without replacement (Efraimidis & Spirakis): largest key first.
      const double u = personStream(i, Event::Calibration).uniform(0);
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
        --dependents_[mother_[i]];
        role_[i] = Role::Independent;
        ++excess;
      }
    }
  }

  bool livesWithMother(std::size_t i) const { return role_[i] == Role::Child && mother_[i] != kNone && !father_keeps_[i]; }

  // Numbers households 1..h in person order of their heads and gives every person the number of
  // the household they live in. Heads come first; partners, elders, then children by descending
  // age so that a child's parent is always resolved before the child.
  std::uint32_t assignHouseholds() {
    household_.assign(age_.size(), 0);
    std::uint32_t h = 0;
    for (std::size_t i = 0; i < age_.size(); ++i)
      if (isHead(i)) household_[i] = ++h;
    for (std::size_t i = 0; i < age_.size(); ++i)  // couples living in a parent's or child's household
      if (role_[i] == Role::Married && female(i) && host_[i] != kNone) household_[i] = household_[host_[i]];
    for (std::size_t i = 0; i < age_.size(); ++i) {
      if (role_[i] == Role::Married && !female(i)) household_[i] = household_[partner_[i]];
      if (role_[i] == Role::ElderWithRelative || role_[i] == Role::WithRelative) household_[i] = household_[host_[i]];
    }
    std::vector<std::size_t> kids;
    for (std::size_t i = 0; i < age_.size(); ++i)
      if (role_[i] == Role::Child && !isHead(i)) kids.push_back(i);
    std::stable_sort(kids.begin(), kids.end(), [&](std::size_t x, std::size_t y) { return age_[x] > age_[y]; });
    for (const auto i : kids) household_[i] = household_[livesWithMother(i) ? mother_[i] : host_[i]];

    std::vector<std::uint32_t> size(h + 1, 0);
    std::vector<std::uint8_t> couple(h + 1, 0);
    for (std::size_t i = 0; i < age_.size(); ++i) {
      ++size[household_[i]];
      if (partner_[i] != kNone) couple[household_[i]] = 1;
      stats_.children_with_mother += livesWithMother(i);
      if (isHead(i) && role_[i] == Role::Independent && dependents_[i] > 0)
        ++(female(i) ? stats_.lone_mother : stats_.lone_father);
    }
    for (std::uint32_t k = 1; k <= h; ++k) {
      stats_.one_person += size[k] == 1;
      stats_.couples += couple[k];
    }
    stats_.households = h;
    stats_.target_households = in_.target_households;
    // Nationals' households follow from living_alone.csv and the composition; foreign residents'
    // are calibrated to their count.
    stats_.regions_off_target = in_.nationality == core::Nationality::Foreign && h != in_.target_households;
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
    for (std::size_t k = 0; k < order.size(); ++k) {
      const std::size_t i = order[k];
      const std::size_t o = begin + k;
      out.id[o] = id(i);
      out.partner[o] = partner_[i] == kNone ? core::kNoPerson : id(partner_[i]);
      out.mother[o] = mother_[i] == kNone ? core::kNoPerson : id(mother_[i]);
      out.household[o] = household_[i] - 1;  // a 0-based local index; the caller adds the offset
      out.birth_year[o] = static_cast<core::Year>(in_.base_year - age_[i]);
      out.region[o] = in_.region;
      out.sex[o] = sex_[i];
      out.parity[o] = static_cast<std::uint8_t>(std::min<std::uint32_t>(parity_[i], 255));
      std::uint8_t flags = core::kFlagNone;
      if (livesWithMother(i)) flags |= core::kFlagLivesWithMother;
      if (role_[i] == Role::ElderWithRelative) flags |= core::kFlagLivesWithChild;
      if (apart_[i]) flags |= core::kFlagMarriedApart;
      out.flags[o] = core::withNationality(flags, in_.nationality);
    }
  }

  const RegionSynthesisInput& in_;
  const io::SynthesisParameters& p_;
  const io::LivingArrangements& living_;
  std::uint64_t region_;  // the region's random-stream entity
  MotherAgeDistribution mother_age_;
  std::array<std::array<std::size_t, kAgeClasses>, core::kSexes> cell_start_{};
  std::vector<std::int16_t> age_;
  std::vector<Sex> sex_;
  std::vector<Role> role_;
  std::vector<std::size_t> partner_, mother_, host_;
  std::vector<std::uint32_t> parity_;      // linked children (women)
  std::vector<std::uint32_t> dependents_;  // children, minors and elderly relatives living with them
  std::vector<std::uint32_t> household_;
  std::vector<std::uint8_t> apart_;  // married, registered apart from the spouse
  std::vector<std::uint8_t> father_keeps_;  // a child living with the father, the mother registered apart
  // Per sex and age: persons still missing from the living-alone target.
  std::array<std::array<std::int64_t, kAgeClasses>, core::kSexes> alone_gap_{};
  Pool married_women_, unpartnered_women_, unpartnered_men_;
  SynthesisStats stats_;
};

}  // namespace

SynthesisStats& SynthesisStats::operator+=(const SynthesisStats& o) {
  std::vector<std::int64_t> other;
  forEach(o, [&](const std::int64_t& v) { other.push_back(v); });
  std::size_t k = 0;
  forEach(*this, [&](std::int64_t& v) { v += other[k++]; });
  return *this;
}

std::vector<std::array<double, core::kHouseholdSizes>> householdSizeShares(const io::CountryInputs& inputs) {
  constexpr int K = core::kHouseholdSizes;
  const auto& regions = inputs.regions;
  std::vector<std::array<double, K>> shares(regions.size());
  std::vector<double> multi(regions.size(), 0.0), mean(regions.size(), 0.0);
  for (std::size_t r = 0; r < regions.size(); ++r) {
    double alone = 0.0;
    const auto& counts = inputs.population[r];
    for (int s = 0; s < core::kSexes; ++s)
      for (int a = 0; a < kAgeClasses; ++a)
        alone += static_cast<double>(counts[s][a]) * inputs.living_alone.region_share[r][s][io::LivingAlone::group(a)];
    multi[r] = std::max(1.0, static_cast<double>(inputs.households[r]) - alone);
    mean[r] = std::clamp((static_cast<double>(io::total(counts)) - alone) / multi[r], 2.0, kLargestHouseholdMean);
  }
  for (std::size_t p = 0; p < regions.provinces().size(); ++p) {
    std::vector<std::size_t> members;
    for (std::size_t r = 0; r < regions.size(); ++r)
      if (*regions.findProvince(regions[static_cast<core::RegionIndex>(r)].province_code) == p) members.push_back(r);
    const auto& registered = inputs.household_sizes[p];
    SizeShares factor{};
    factor.fill(1.0);
    for (int iteration = 0; iteration < 100; ++iteration) {
      SizeShares fitted{};
      for (const auto r : members) {
        SizeShares weight{};
        for (int k = 1; k < K; ++k) weight[k] = static_cast<double>(registered[k]) * factor[k];
        shares[r] = tiltToMean(weight, mean[r], 1.0, 50);
        for (int k = 1; k < K; ++k) fitted[k] += multi[r] * shares[r][k];
      }
      for (int k = 1; k < K; ++k)
        if (fitted[k] > 0.0) factor[k] *= static_cast<double>(registered[k]) / fitted[k];
    }
  }
  return shares;
}

std::uint64_t synthesisEntity(std::int64_t region_code, core::Nationality nationality) {
  // Bit 62 is free in region entities (codes are far below 2^62).
  return core::regionEntity(region_code) | (nationality == core::Nationality::Foreign ? std::uint64_t{1} << 62 : 0);
}

io::AgeSexCounts scaledCounts(const io::AgeSexCounts& counts, double scale, std::uint64_t seed,
                              std::int64_t region_code, int base_year, core::Nationality nationality) {
  if (scale == 1.0) return counts;
  const Stream rounding(seed, synthesisEntity(region_code, nationality), base_year, Event::ScaleRounding);
  io::AgeSexCounts scaled{};
  for (int s = 0; s < core::kSexes; ++s)
    for (int a = 0; a < kAgeClasses; ++a)
      scaled[s][a] = roundUnbiased(static_cast<double>(counts[s][a]) * scale,
                                   rounding.uniform(static_cast<std::uint32_t>(s * kAgeClasses + a)));
  return scaled;
}

std::int64_t scaledHouseholds(std::int64_t households, double scale, std::uint64_t seed, std::int64_t region_code,
                              int base_year, core::Nationality nationality) {
  if (scale == 1.0 || households == 0) return households;
  const Stream rounding(seed, synthesisEntity(region_code, nationality), base_year, Event::HouseholdScaleRounding);
  return std::max<std::int64_t>(1, roundUnbiased(static_cast<double>(households) * scale, rounding.uniform(0)));
}

RegionSynthesisInput regionInput(const io::Config& config, const io::CountryInputs& inputs, core::RegionIndex r,
                                 const io::AgeSexCounts& counts, std::int64_t target_households,
                                 core::PersonId first_person_id, core::Nationality nationality) {
  RegionSynthesisInput in;
  in.nationality = nationality;
  in.inputs = &inputs;
  in.parameters = &config.synthesis;
  in.seed = config.seed;
  in.base_year = config.start_year;
  in.region = r;
  in.counts = counts;
  in.target_households = target_households;
  in.first_person_id = first_person_id;
  in.alone_max_share = config.households.living_alone_max_share;
  return in;
}

SynthesisStats synthesizeRegion(const RegionSynthesisInput& input, core::Persons& persons, std::size_t begin) {
  return RegionBuilder(input).build(persons, begin);
}

}  // namespace popsim::model
