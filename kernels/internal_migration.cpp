// Internal migration: kernel 8 of the year (kernels/internal_migration.hpp).
#include "kernels/internal_migration.hpp"

#include "core/population.hpp"
#include "core/random.hpp"

namespace popsim::kernels {

void internalMigration(std::span<const Resident> residents, int year, std::uint64_t seed,
                       const InternalMigrationModel& model, std::vector<Move>& moves) {
  moves.clear();
  const std::size_t n = residents.size();
  for (std::size_t first = 0; first < n;) {
    const auto household = residents[first].household;
    std::size_t end = first + 1;
    while (end < n && residents[end].household == household) ++end;
    // Ages in completed years at the start of the year (the end of the last).
    auto age_of = [&](std::size_t i) { return year - 1 - residents[i].birth_year; };
    const std::size_t reference = core::referencePerson(first, end, age_of);
    const int age = age_of(reference);
    const core::Stream stream(seed, residents[reference].id, year, core::Event::InternalMove);
    if (stream.uniform(0) < model.leave[static_cast<std::size_t>(core::ageClass(std::max(age, 0)))])
      moves.push_back({static_cast<std::uint32_t>(first), static_cast<std::uint32_t>(end),
                       model.destination(age, stream.uniform(1))});
    first = end;
  }
}

}  // namespace popsim::kernels
