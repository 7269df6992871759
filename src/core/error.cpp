#include "core/error.hpp"

#include <fmt/format.h>

namespace popsim::core {

std::string locate(const std::string& file, long line, const std::string& column, int column_number,
                   const std::string& message) {
  if (line <= 0) return fmt::format("{}: {}", file, message);
  if (column.empty()) return fmt::format("{}:{}: {}", file, line, message);
  return fmt::format("{}:{}:{}: column '{}': {}", file, line, column_number, column, message);
}

}  // namespace popsim::core
