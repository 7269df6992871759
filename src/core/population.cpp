#include "core/population.hpp"

#include <type_traits>

namespace popsim::core {

void Persons::resize(std::size_t n) {
  forEachPersonField([&](const auto& f) { (this->*f.column).resize(n); });
}

void Persons::reserve(std::size_t n) {
  forEachPersonField([&](const auto& f) { (this->*f.column).reserve(n); });
}

std::size_t Persons::capacityBytes() const {
  std::size_t bytes = 0;
  forEachPersonField([&](const auto& f) {
    bytes += (this->*f.column).capacity() * sizeof(typename std::decay_t<decltype(f)>::Type);
  });
  return bytes;
}

void Households::resize(std::size_t n) {
  id.resize(n);
  region.resize(n);
}

std::size_t Population::memoryBytes() const {
  return persons.capacityBytes() + households.id.capacity() * Households::bytesPerHousehold();
}

}  // namespace popsim::core
