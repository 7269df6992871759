// The base-year population built on any number of ranks and threads is identical, region for
// region, to the one built by a single process.
#include <gtest/gtest.h>

#include "model/initial_population.hpp"
#include "support/test_support.hpp"

namespace popsim::model {
namespace {

TEST(InitialPopulation, IsIdenticalOnAnyDecomposition) {
  auto config = test::baseline();
  config.scale = 0.003;
  const auto& inputs = test::baselineInputs();
  const auto distributed = synthesizePopulation(config, inputs, MPI_COMM_WORLD);
  const auto single = synthesizePopulation(config, inputs, MPI_COMM_SELF);
  const auto& d = distributed.population;
  const auto& s = single.population;

  EXPECT_EQ(distributed.stats.persons, single.stats.persons);
  EXPECT_EQ(distributed.stats.households, single.stats.households);
  EXPECT_EQ(distributed.stats.one_person, single.stats.one_person);
  EXPECT_EQ(d.next_person_id, s.next_person_id);
  EXPECT_EQ(d.next_household_id, s.next_household_id);
  // Collectives first, so that a failing rank cannot leave the others waiting.
  std::uint64_t owned = d.regions.size();
  MPI_Allreduce(MPI_IN_PLACE, &owned, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_EQ(owned, inputs.regions.size());

  EXPECT_EQ(s.regions.size(), inputs.regions.size());
  std::size_t mismatched_regions = 0;
  for (std::size_t k = 0; k < d.regions.size(); ++k) {
    const auto r = d.regions[k];
    const auto n = d.person_offset[k + 1] - d.person_offset[k];
    bool same = n == s.person_offset[r + 1] - s.person_offset[r] &&
                d.household_offset[k + 1] - d.household_offset[k] == s.household_offset[r + 1] - s.household_offset[r];
    for (std::size_t i = 0; same && i < n; ++i) {
      const auto a = d.person_offset[k] + i;
      const auto b = s.person_offset[r] + i;
      same = d.persons.id[a] == s.persons.id[b] && d.persons.partner[a] == s.persons.partner[b] &&
             d.persons.mother[a] == s.persons.mother[b] && d.persons.household[a] == s.persons.household[b] &&
             d.persons.birth_year[a] == s.persons.birth_year[b] && d.persons.sex[a] == s.persons.sex[b] &&
             d.persons.region[a] == s.persons.region[b] && d.persons.parity[a] == s.persons.parity[b] &&
             d.persons.flags[a] == s.persons.flags[b];
    }
    for (std::size_t h = 0; same && h < d.household_offset[k + 1] - d.household_offset[k]; ++h)
      same = d.households.id[d.household_offset[k] + h] == s.households.id[s.household_offset[r] + h];
    if (!same) ++mismatched_regions;
  }
  EXPECT_EQ(mismatched_regions, 0u) << "regions differing from the single-process build on rank " << test::rank();
}

}  // namespace
}  // namespace popsim::model
