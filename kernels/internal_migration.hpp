// Internal migration between regions (the year's last kernel): which households of a region
// leave it and for where. Pure: no MPI, no files; the caller carries the movers to their
// destination (model::Projection, parallel::exchange).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/types.hpp"

namespace popsim::kernels {

// One resident of the region at the end of the year, in the year-end order (members of a
// household contiguous).
struct Resident {
  core::PersonId id = core::kNoPerson;
  core::Year birth_year = 0;
  core::HouseholdId household = core::kNoHousehold;
};

// A household that leaves: residents [first, end) go to `destination`.
struct Move {
  std::uint32_t first = 0;
  std::uint32_t end = 0;
  core::RegionIndex destination = 0;
};

struct InternalMigrationModel {
  // The yearly probability that a household leaves the region, by its reference person's age
  // (completed years at the start of the year, 100 = 100+).
  std::array<double, core::kAgeClasses> leave{};
  // The destination of a leaving household whose reference person is `age`, for a uniform u.
  std::function<core::RegionIndex(int age, double u)> destination;
};

// 8. Internal migration (after the region events): whole households, as they stand at the end
// of the year, decided by their reference person (core::referencePerson: the first adult in the
// year-end order, the first member if none).
// With the reference person's stream (seed, id, year, InternalMove), uniform 0 decides whether
// the household leaves (probability model.leave[age]) and uniform 1 where it goes. `moves` gets
// the leaving households in resident order.
void internalMigration(std::span<const Resident> residents, int year, std::uint64_t seed,
                       const InternalMigrationModel& model, std::vector<Move>& moves);

}  // namespace popsim::kernels
