#include "io/csv.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/error.hpp"
#include "io/files.hpp"

namespace popsim::io {
namespace {

std::vector<std::string_view> splitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    fields.push_back(line.substr(start, comma == std::string_view::npos ? line.npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return fields;
}

std::string shown(std::string_view cell) {
  if (cell.empty()) return "an empty cell";
  return fmt::format("\"{}\"", cell.size() > 40 ? std::string(cell.substr(0, 40)) + "..." : std::string(cell));
}

}  // namespace

CsvTable CsvTable::read(const std::string& path) {
  CsvTable table;
  table.path_ = path;
  table.content_ = readTextFile(path, "a CSV input table");
  const std::string_view content = table.content_;
  if (content.empty()) table.failFile("the file is empty; expected comment lines, a header and data rows");
  if (content.back() != '\n')
    table.failFile("the file does not end with a newline: it looks truncated (regenerate it)");

  long line_number = 0;
  std::size_t pos = 0;
  bool have_header = false;
  while (pos < content.size()) {
    std::size_t end = content.find('\n', pos);
    std::string_view line = content.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_number == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    if (line.starts_with('#')) {
      if (have_header)
        throw core::InputError(core::locate(path, line_number, "", 0, "a comment line after the header; comments belong at the top"));
      continue;
    }
    if (line.empty())
      throw core::InputError(core::locate(path, line_number, "", 0, "an empty line; expected a row of comma-separated fields"));
    if (line.find('"') != std::string_view::npos)
      throw core::InputError(core::locate(path, line_number, "", 0, "quoted fields are not supported; values must not contain quotes or commas"));
    auto fields = splitFields(line);
    if (!have_header) {
      for (auto f : fields) table.columns_.emplace_back(f);
      have_header = true;
      table.header_line_ = line_number;
      continue;
    }
    if (fields.size() != table.columns_.size())
      throw core::InputError(core::locate(
          path, line_number, "", 0,
          fmt::format("the row has {} fields but the header has {} columns", fields.size(), table.columns_.size())));
    table.line_of_row_.push_back(line_number);
    table.cells_.insert(table.cells_.end(), fields.begin(), fields.end());
  }
  if (!have_header) table.failFile("no header row; expected a header after the comment lines");
  if (table.rows() == 0) table.failFile("no data rows after the header");
  return table;
}

void CsvTable::requireColumns(const std::vector<std::string>& expected) const {
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (i >= columns_.size())
      failHeader(fmt::format("the header lacks column '{}' (column {}); expected columns: {}", expected[i], i + 1,
                           fmt::join(expected, ",")));
    if (columns_[i] != expected[i])
      failHeader(fmt::format("header column {} is '{}' but '{}' was expected; expected columns: {}", i + 1,
                           columns_[i], expected[i], fmt::join(expected, ",")));
  }
  if (columns_.size() > expected.size())
    failHeader(fmt::format("the header has an unexpected extra column '{}' (column {})", columns_[expected.size()],
                         expected.size() + 1));
}

int CsvTable::column(std::string_view name) const {
  for (std::size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i] == name) return static_cast<int>(i);
  failHeader(fmt::format("the header lacks the required column '{}'", name));
}

std::string_view CsvTable::text(std::size_t row, int col) const {
  return cells_[row * columns_.size() + static_cast<std::size_t>(col)];
}

std::string_view CsvTable::nonEmptyText(std::size_t row, int col) const {
  auto t = text(row, col);
  if (t.empty()) fail(row, col, "expected a value, found an empty cell");
  return t;
}

double CsvTable::number(std::size_t row, int col) const {
  const auto cell = text(row, col);
  double value = 0.0;
  const auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  if (cell.empty() || ec != std::errc() || ptr != cell.data() + cell.size() || !std::isfinite(value))
    fail(row, col, fmt::format("expected a number, found {}", shown(cell)));
  return value;
}

double CsvTable::number(std::size_t row, int col, double min, double max, std::string_view what) const {
  const double value = number(row, col);
  if (value < min || value > max) fail(row, col, fmt::format("expected {}, found {}", what, text(row, col)));
  return value;
}

std::int64_t CsvTable::integer(std::size_t row, int col) const {
  const auto cell = text(row, col);
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  if (cell.empty() || ec != std::errc() || ptr != cell.data() + cell.size())
    fail(row, col, fmt::format("expected an integer, found {}", shown(cell)));
  return value;
}

std::int64_t CsvTable::integer(std::size_t row, int col, std::int64_t min, std::int64_t max) const {
  const auto value = integer(row, col);
  if (value < min || value > max)
    fail(row, col, fmt::format("expected an integer in [{}, {}], found {}", min, max, value));
  return value;
}

std::int64_t CsvTable::count(std::size_t row, int col) const {
  const auto value = integer(row, col);
  if (value < 0) fail(row, col, fmt::format("expected a non-negative count, found {}", value));
  if (value > kMaxCount) fail(row, col, fmt::format("expected a count of at most {}, found {}", kMaxCount, value));
  return value;
}

void CsvTable::fail(std::size_t row, int col, const std::string& message) const {
  if (col < 0) throw core::InputError(core::locate(path_, line(row), "", 0, message));
  throw core::InputError(core::locate(path_, line(row), columns_[static_cast<std::size_t>(col)], col + 1, message));
}

void CsvTable::failFile(const std::string& message) const {
  throw core::InputError(core::locate(path_, 0, "", 0, message));
}

void CsvTable::failHeader(const std::string& message) const {
  throw core::InputError(core::locate(path_, header_line_, "", 0, message));
}

}  // namespace popsim::io
