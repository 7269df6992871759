// Ensembles: replicate runs of one scenario with different seeds, summarised per year, region
// and indicator by the median and the 80% and 95% intervals across replicates (docs/files.md).
#pragma once

#include <string>
#include <vector>

namespace popsim::io {

// The indicators summarised: persons, births, deaths, net internal migration (in - out),
// persons aged 65+ and the local extinction index, per region, and their national totals
// (the index nationally as women 20-39 / persons 65+ of the whole country). Counts are divided
// by the scale (national figures).
// The extinction index is last (its national value is a ratio, not a sum).
inline constexpr const char* kEnsembleIndicators[] = {"population", "nationals", "births", "deaths",
                                                       "net_internal_migration", "persons_65plus", "extinction_index"};

// Reads the replicates' results files (same configuration, years and regions; serial) and writes
// `out`: /summary/<indicator>/{median,lo80,hi80,lo95,hi95} [Y, R] and /summary/national/<indicator>/...
// [Y], /replicates/<indicator> [K, Y] (national, one row per replicate), /years, /regions/code,
// and /meta (the replicate files, their seeds, the configuration). Quantiles: linear
// interpolation between order statistics (type 7). Throws core::InputError for files that do
// not fit together, and for an `out` that is one of them or exists (unless `overwrite`). The
// file is written as out + ".partial" and renamed once complete.
void summariseReplicates(const std::vector<std::string>& replicates, const std::string& out, bool overwrite);

}  // namespace popsim::io
