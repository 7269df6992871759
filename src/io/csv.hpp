// Reading the project's input tables: CSV with leading '#' comment lines, one header row and
// data rows. Every accessor validates and reports failures with file, line, column and what
// was expected (core::InputError).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace popsim::io {

class CsvTable {
 public:
  // Reads and splits the whole file; rejects a missing or empty file, a file that ends without
  // a newline (truncated), rows whose field count differs from the header, and quoted fields.
  static CsvTable read(const std::string& path);

  const std::string& path() const { return path_; }
  const std::vector<std::string>& columns() const { return columns_; }
  std::size_t rows() const { return line_of_row_.size(); }
  long line(std::size_t row) const { return line_of_row_[row]; }

  // The header must be exactly `expected`, in this order.
  void requireColumns(const std::vector<std::string>& expected) const;
  int column(std::string_view name) const;

  std::string_view text(std::size_t row, int col) const;
  std::string_view nonEmptyText(std::size_t row, int col) const;
  double number(std::size_t row, int col) const;
  double number(std::size_t row, int col, double min, double max, std::string_view what) const;
  double probability(std::size_t row, int col) const { return number(row, col, 0.0, 1.0, "a probability in [0, 1]"); }
  std::int64_t integer(std::size_t row, int col) const;
  std::int64_t integer(std::size_t row, int col, std::int64_t min, std::int64_t max) const;
  // A non-negative integer no larger than kMaxCount (far above any population, far below overflow).
  static constexpr std::int64_t kMaxCount = 10'000'000'000;
  std::int64_t count(std::size_t row, int col) const;

  // Throws core::InputError located at (row, col); col < 0 locates the whole row.
  [[noreturn]] void fail(std::size_t row, int col, const std::string& message) const;
  [[noreturn]] void failFile(const std::string& message) const;
  [[noreturn]] void failHeader(const std::string& message) const;

 private:
  std::string path_;
  std::string content_;
  std::vector<std::string> columns_;
  long header_line_ = 0;
  std::vector<long> line_of_row_;
  std::vector<std::string_view> cells_;  // row-major, columns_.size() per row
};

}  // namespace popsim::io
