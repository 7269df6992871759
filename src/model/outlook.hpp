// The local-extinction outlook and the regional aggregates of a run, derived from its results
// (written to results.h5 /extinction and /aggregates when the run ends; docs/files.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/regions.hpp"
#include "io/results.hpp"

namespace popsim::model {

inline constexpr int kExtinctionClasses = 5;  // model::extinctionClass

struct OutlookTable {
  std::string name;  // dataset path in results.h5
  std::vector<std::uint64_t> dims;
  std::vector<double> real;         // float64 datasets
  std::vector<std::int64_t> count;  // int64 datasets (when `real` is empty)
  std::string units, description, axes;
};

// From the results tables (ResultsWriter::tables) of the first `rows` time points of a run whose
// /years are `years`: per region and year the extinction index and class (rows not simulated
// get NaN and -1), regions per class per year, per region the first year in each class and the
// first year below `population_threshold` residents (agents / scale; -1 = never), and per
// province and for the capital region vs the rest: population, share 65+, median age, old-age
// dependency ratio, births and net internal migration.
std::vector<OutlookTable> outlook(const std::vector<io::ResultsTable>& results, std::uint64_t rows,
                                  const core::RegionTable& regions, double scale, double population_threshold);

}  // namespace popsim::model
