#include "core/error.hpp"

#include <fmt/format.h>

namespace popsim::core {

std::string locate(const std::string& file, long line, const std::string& column, int column_number,
                   const std::string& message) {
  std::string where = file;
  if (line > 0) where += fmt::format(":{}", line);
  if (!column.empty()) where += fmt::format(": column '{}' ({})", column, column_number);
  return fmt::format("{}: {}", where, message);
}

}  // namespace popsim::core
