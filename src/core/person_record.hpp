// One person as a value: what travels between ranks (a migrant household's members, or the
// persons of a region that moves to another rank). Serialisable by any archive with operator&.
#pragma once

#include <cstdint>

#include "core/population.hpp"

namespace popsim::core {

struct PersonRecord {
  PersonId id = kNoPerson;
  PersonId partner = kNoPerson;
  PersonId mother = kNoPerson;
  HouseholdId household = kNoHousehold;
  Year birth_year = 0;
  RegionIndex region = 0;
  std::uint8_t sex = 0;
  std::uint8_t parity = 0;
  std::uint8_t flags = 0;

  template <typename Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive & id & partner & mother & household & birth_year & region & sex & parity & flags;
  }
  bool operator==(const PersonRecord&) const = default;
};

inline PersonRecord recordOf(const Persons& p, std::size_t i) {
  return {p.id[i], p.partner[i], p.mother[i], p.household[i], p.birth_year[i], p.region[i],
          static_cast<std::uint8_t>(p.sex[i]), p.parity[i], p.flags[i]};
}

inline void append(Persons& p, const PersonRecord& r) {
  p.id.push_back(r.id);
  p.partner.push_back(r.partner);
  p.mother.push_back(r.mother);
  p.household.push_back(r.household);
  p.birth_year.push_back(r.birth_year);
  p.region.push_back(r.region);
  p.sex.push_back(static_cast<Sex>(r.sex));
  p.parity.push_back(r.parity);
  p.flags.push_back(r.flags);
}

}  // namespace popsim::core
