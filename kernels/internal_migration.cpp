// Internal migration: kernel 8 of the year (kernels/internal_migration.hpp).
#include "kernels/internal_migration.hpp"

#include "core/random.hpp"

namespace popsim::kernels {

void internalMigration(std::span<const Resident> residents, int year, std::uint64_t seed,
                       const InternalMigrationModel& model, std::vector<Move>& moves) {
  moves.clear();
  const std::size_t n = residents.size();
  for (std::size_t first = 0; first < n;) {
    const auto household = residents[first].household;
    std::size_t reference = first;
    int age = year - 1 - residents[first].birth_year;
    std::size_t end = first + 1;
    for (; end < n && residents[end].household == household; ++end) {
      const int a = year - 1 - residents[end].birth_year;
      if (age < core::kAdultAge && a >= core::kAdultAge) {
        reference = end;
        age = a;
      }
    }
    const core::Stream stream(seed, residents[reference].id, year, core::Event::InternalMove);
    if (stream.uniform(0) < model.leave[static_cast<std::size_t>(core::ageClass(std::max(age, 0)))])
      moves.push_back({static_cast<std::uint32_t>(first), static_cast<std::uint32_t>(end),
                       model.destination(age, stream.uniform(1))});
    first = end;
  }
}

}  // namespace popsim::kernels
