#include <gtest/gtest.h>

#include "core/error.hpp"
#include "io/csv.hpp"
#include "support/test_support.hpp"

namespace popsim::io {
namespace {

class CsvTest : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    const auto p = dir_.path() / "table.csv";
    test::writeFile(p, text);
    return p.string();
  }
  std::string errorOf(const std::string& text) {
    try {
      const auto t = CsvTable::read(write(text));
      t.requireColumns({"a", "b"});
      for (std::size_t r = 0; r < t.rows(); ++r) {
        t.count(r, 0);
        t.probability(r, 1);
      }
    } catch (const core::InputError& e) {
      return e.what();
    }
    return "";
  }
  test::TempDir dir_;
};

TEST_F(CsvTest, ReadsCommentsHeaderAndRows) {
  const auto t = CsvTable::read(write("# title\n# source: x\na,b\n1,0.5\n2,0.25\n"));
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.line(1), 5);
  EXPECT_EQ(t.count(1, 0), 2);
  EXPECT_DOUBLE_EQ(t.probability(1, 1), 0.25);
}

TEST_F(CsvTest, ReportsFileLineColumnAndExpectation) {
  const auto e = errorOf("# t\na,b\n1,0.5\n2,x\n");
  EXPECT_NE(e.find("table.csv:4:2: column 'b': expected a number, found \"x\""), std::string::npos) << e;
}

TEST_F(CsvTest, RejectsTruncatedFile) {
  EXPECT_NE(errorOf("a,b\n1,0.5\n2,0.").find("looks truncated"), std::string::npos);
}

TEST_F(CsvTest, RejectsShortRow) {
  const auto e = errorOf("a,b\n1,0.5\n2\n");
  EXPECT_NE(e.find("table.csv:3: the row has 1 fields but the header has 2 columns"), std::string::npos) << e;
}

TEST_F(CsvTest, RejectsWrongHeader) {
  const auto e = errorOf("# t\na,c\n1,0.5\n");
  EXPECT_NE(e.find("table.csv:2: header column 2 is 'c' but 'b' was expected"), std::string::npos) << e;
}

TEST_F(CsvTest, RejectsEmptyFileAndHeaderOnly) {
  EXPECT_NE(errorOf("").find("the file is empty"), std::string::npos);
  EXPECT_NE(errorOf("a,b\n").find("no data rows"), std::string::npos);
}

TEST_F(CsvTest, RejectsOutOfRangeAndNegativeValues) {
  EXPECT_NE(errorOf("a,b\n1,1.5\n").find("expected a probability in [0, 1], found 1.5"), std::string::npos);
  EXPECT_NE(errorOf("a,b\n-3,0.5\n").find("expected a non-negative count, found -3"), std::string::npos);
  EXPECT_NE(errorOf("a,b\n1,nan\n").find("expected a number"), std::string::npos);
}

TEST_F(CsvTest, RejectsQuotesAndBlankLines) {
  EXPECT_NE(errorOf("a,b\n\"1\",0.5\n").find("quoted fields are not supported"), std::string::npos);
  EXPECT_NE(errorOf("a,b\n1,0.5\n\n2,0.5\n").find("table.csv:3: an empty line"), std::string::npos);
}

TEST_F(CsvTest, MissingFileIsAnInputError) {
  EXPECT_THROW(CsvTable::read((dir_.path() / "absent.csv").string()), core::InputError);
}

}  // namespace
}  // namespace popsim::io
