#include "core/population.hpp"

namespace popsim::core {

void Persons::resize(std::size_t n) {
  id.resize(n);
  partner.resize(n);
  mother.resize(n);
  household.resize(n);
  birth_year.resize(n);
  region.resize(n);
  sex.resize(n);
  parity.resize(n);
  flags.resize(n);
}

void Persons::reserve(std::size_t n) {
  id.reserve(n);
  partner.reserve(n);
  mother.reserve(n);
  household.reserve(n);
  birth_year.reserve(n);
  region.reserve(n);
  sex.reserve(n);
  parity.reserve(n);
  flags.reserve(n);
}

void Households::resize(std::size_t n) {
  id.resize(n);
  region.resize(n);
}

std::size_t Population::memoryBytes() const {
  return persons.id.capacity() * sizeof(PersonId) * 3 +
         persons.household.capacity() * sizeof(HouseholdId) +
         persons.birth_year.capacity() * sizeof(Year) +
         persons.region.capacity() * sizeof(RegionIndex) + persons.sex.capacity() * sizeof(Sex) +
         persons.parity.capacity() + persons.flags.capacity() +
         households.id.capacity() * Households::bytesPerHousehold();
}

}  // namespace popsim::core
