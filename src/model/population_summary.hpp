// Summaries of a population file by province: what `popsim info` shows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/checkpoint.hpp"

namespace popsim::model {

struct AreaSummary {
  int code = 0;  // province code; 0 for the nation
  std::string name;
  std::int64_t regions = 0;
  std::int64_t persons = 0;
  std::int64_t nationals = 0;
  std::int64_t households = 0;
  std::int64_t one_person = 0;
  std::int64_t aged_65_plus = 0;
  std::int64_t national_65_plus = 0;
  std::int64_t national_women_20_39 = 0;

  double meanHouseholdSize() const;
  double oneShare() const;
  double share65() const;
  // Local extinction index (Lee Sang-ho, KEIS), of the registered population: national women
  // aged 20-39 / nationals aged 65+.
  double extinctionIndex() const;
  AreaSummary& operator+=(const AreaSummary& o);
};

// One entry per province in table order, then the nation (code 0, named `nation`).
std::vector<AreaSummary> summarizeByProvince(const io::CheckpointIndex& index,
                                             const io::PersonSummaryColumns& columns, const std::string& nation);

}  // namespace popsim::model
