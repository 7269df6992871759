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
  ASSERT_EQ(s.regions.size(), inputs.regions.size());
  for (std::size_t k = 0; k < d.regions.size(); ++k) {
    const auto r = d.regions[k];
    ASSERT_EQ(d.person_offset[k + 1] - d.person_offset[k], s.person_offset[r + 1] - s.person_offset[r]);
    for (std::size_t i = 0; i < d.person_offset[k + 1] - d.person_offset[k]; ++i) {
      const auto a = d.person_offset[k] + i;
      const auto b = s.person_offset[r] + i;
      ASSERT_EQ(d.persons.id[a], s.persons.id[b]);
      ASSERT_EQ(d.persons.partner[a], s.persons.partner[b]);
      ASSERT_EQ(d.persons.mother[a], s.persons.mother[b]);
      ASSERT_EQ(d.persons.household[a], s.persons.household[b]);
      ASSERT_EQ(d.persons.birth_year[a], s.persons.birth_year[b]);
      ASSERT_EQ(d.persons.sex[a], s.persons.sex[b]);
      ASSERT_EQ(d.persons.parity[a], s.persons.parity[b]);
      ASSERT_EQ(d.persons.flags[a], s.persons.flags[b]);
    }
    for (std::size_t h = 0; h < d.household_offset[k + 1] - d.household_offset[k]; ++h)
      ASSERT_EQ(d.households.id[d.household_offset[k] + h], s.households.id[s.household_offset[r] + h]);
  }
  // Every region is owned by exactly one rank.
  std::uint64_t owned = d.regions.size();
  MPI_Allreduce(MPI_IN_PLACE, &owned, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_EQ(owned, inputs.regions.size());
}

}  // namespace
}  // namespace popsim::model
