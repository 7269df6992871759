// Builds the base-year population on all ranks: regions are assigned to ranks, each rank
// synthesises its regions in parallel threads, and ids are made globally unique.
#pragma once

#include <mpi.h>

#include <vector>

#include "core/population.hpp"
#include "io/config.hpp"
#include "io/inputs.hpp"
#include "model/synthesis.hpp"

namespace popsim::model {

struct InitialPopulation {
  core::Population population;  // this rank's regions
  std::vector<int> owner;       // rank of every region
  SynthesisStats stats;         // national totals (identical on every rank)
  std::vector<SynthesisStats> region_stats;  // per owned region, in population.regions order
};

// Collective over `comm`. The result's data do not depend on the number of ranks or threads.
InitialPopulation synthesizePopulation(const io::Config& config, const io::CountryInputs& inputs, MPI_Comm comm);

}  // namespace popsim::model
