// Tests of data/csv.hpp: the dialects the reader accepts (header detection, delimiters, CRLF, BOM,
// quotes, skip_rows, label column), the byte detection, and every malformed input with the
// content of its message (file, line, column, what was expected).
// "The documents": README.md#the-documents.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "minigrad/data/csv.hpp"
#include "support/error_of.hpp"

using namespace minigrad::data;
using minigrad::error_of;
namespace fs = std::filesystem;

namespace {

// The message of the DataError `f` throws; fails the test when it throws nothing.
bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A scratch directory for this test binary, removed when the test case ends.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("minigrad_csv_" + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    const fs::path p = path / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
};

CsvTable parse(const std::string& text, const CsvOptions& options = {}) {
  return parse_csv(text, "t.csv", options);
}

}  // namespace

TEST_CASE("csv: the documents' layout, header detected, label first") {
  const CsvTable t = parse("label,pixel1,pixel2,pixel3\n9,0,12,255\n0,1,2,3\n");
  CHECK(t.has_header);
  CHECK(t.rows == 2);
  CHECK(t.cols == 3);
  CHECK(t.label_index == 0);
  CHECK(t.column_names == std::vector<std::string>{"label", "pixel1", "pixel2", "pixel3"});
  CHECK(t.feature_names() == std::vector<std::string>{"pixel1", "pixel2", "pixel3"});
  CHECK(t.features_are_bytes);
  CHECK(t.feature_bytes == std::vector<uint8_t>{0, 12, 255, 1, 2, 3});
  CHECK(t.features.empty());  // no float copy of a byte table
  CHECK(t.features_as_floats() == std::vector<float>{0, 12, 255, 1, 2, 3});
  CHECK(t.labels == std::vector<int32_t>{9, 0});
  CHECK(t.num_classes() == 2);  // distinct labels, not largest + 1
  CHECK(t.first_data_line == 2);
  CHECK(t.line_of(1) == 3);
}

TEST_CASE("csv: header absent, auto-detected or forced") {
  const CsvTable t = parse("1,2.5,3\n0,4,5");  // no trailing newline either
  CHECK_FALSE(t.has_header);
  CHECK(t.rows == 2);
  CHECK(t.first_data_line == 1);
  CHECK(t.column_names == std::vector<std::string>{"column1", "column2", "column3"});
  CHECK(t.features == std::vector<float>{2.5f, 3, 4, 5});
  CHECK_FALSE(t.features_are_bytes);  // 2.5 is not a whole number
  CHECK(t.feature_bytes.empty());
  CHECK(t.features_as_floats() == t.features);

  // A numeric header ("0,1,2") is only a header when forced.
  const CsvTable forced = parse("0,1,2\n1,5,6\n", {.header = Header::Present});
  CHECK(forced.has_header);
  CHECK(forced.rows == 1);
  CHECK(forced.column_names == std::vector<std::string>{"0", "1", "2"});
  CHECK(parse("0,1,2\n1,5,6\n").rows == 2);

  // Forced absent: a text first row is an error naming the cell.
  const std::string msg =
      error_of<DataError>([] { parse("a,b\n1,2\n", {.header = Header::Absent}); });
  CHECK(has(msg, "t.csv:1:"));
  CHECK(has(msg, "column 1"));
  CHECK(has(msg, "'a'"));
}

TEST_CASE("csv: delimiters") {
  for (char d : {';', '\t', '|', ' '}) {
    CAPTURE(d);
    std::string text = "label,x,y\n3,4,5\n1,2,0\n";
    for (char& c : text) {
      if (c == ',') c = d;
    }
    const CsvTable t = parse(text, {.delimiter = d});
    CHECK(t.rows == 2);
    CHECK(t.cols == 2);
    CHECK(t.labels == std::vector<int32_t>{3, 1});
    CHECK(t.features_as_floats() == std::vector<float>{4, 5, 2, 0});
  }
  // The wrong delimiter is reported, with a hint naming the one in use.
  const std::string msg = error_of<DataError>([] { parse("label,a\n1,2;3\n"); });
  CHECK(has(msg, "t.csv:2: column 2 ('a') holds '2;3'"));
  CHECK(has(msg, "delimiter ','"));
  // A whole file in another dialect reads as one column: only the label, no features.
  const std::string one = error_of<DataError>([] { parse("label;x\n1;2\n"); });
  CHECK(has(one, "no feature columns"));
  CHECK(has(one, "delimiter ','"));
}

TEST_CASE("csv: CRLF, BOM, quotes, spaces, blank lines at the end") {
  const CsvTable t =
      parse("\xEF\xBB\xBF\"label\",\"a\",b\r\n\"1\", \"2.5\" ,3\r\n0,-1e2,+4\r\n\r\n\n  \n");
  CHECK(t.has_header);
  CHECK(t.column_names == std::vector<std::string>{"label", "a", "b"});
  CHECK(t.rows == 2);
  CHECK(t.labels == std::vector<int32_t>{1, 0});
  CHECK(t.features == std::vector<float>{2.5f, 3, -100, 4});

  // CRLF without a final newline, and no header.
  const CsvTable u = parse("1,2\r\n3,4");
  CHECK(u.rows == 2);
  CHECK(u.features_as_floats() == std::vector<float>{2, 4});
}

TEST_CASE("csv: skip_rows for a count line") {
  const CsvTable t = parse("2 rows\nlabel,x\n1,7\n0,8\n", {.skip_rows = 1});
  CHECK(t.has_header);
  CHECK(t.rows == 2);
  CHECK(t.first_data_line == 3);
  CHECK(t.features_as_floats() == std::vector<float>{7, 8});
  const std::string msg = error_of<DataError>([] { parse("a\nb\n", {.skip_rows = 5}); });
  CHECK(has(msg, "has only 2 lines, but skip_rows is 5"));
}

TEST_CASE("csv: label column by index, negative index, name, last, none") {
  const std::string text = "a,b,target\n1,2,3\n4,5,6\n";
  const CsvTable by_last = parse(text, {.label = LabelColumn::last()});
  CHECK(by_last.label_index == 2);
  CHECK(by_last.labels == std::vector<int32_t>{3, 6});
  CHECK(by_last.features_as_floats() == std::vector<float>{1, 2, 4, 5});

  const CsvTable by_name = parse(text, {.label = LabelColumn::name("b")});
  CHECK(by_name.labels == std::vector<int32_t>{2, 5});
  CHECK(by_name.features_as_floats() == std::vector<float>{1, 3, 4, 6});
  CHECK(by_name.feature_names() == std::vector<std::string>{"a", "target"});

  CHECK(parse(text, {.label = LabelColumn::index(1)}).labels == std::vector<int32_t>{2, 5});
  CHECK(parse(text, {.label = LabelColumn::index(-2)}).labels == std::vector<int32_t>{2, 5});

  const CsvTable none = parse(text, {.label = LabelColumn::none()});
  CHECK(none.label_index == -1);
  CHECK(none.cols == 3);
  CHECK(none.labels.empty());
  CHECK(none.num_classes() == 0);

  // From the command line.
  CHECK(parse(text, {.label = LabelColumn::parse("last")}).label_index == 2);
  CHECK(parse(text, {.label = LabelColumn::parse("1")}).label_index == 1);
  CHECK(parse(text, {.label = LabelColumn::parse("target")}).label_index == 2);
  CHECK(LabelColumn::parse("none").is_none());

  CHECK(has(error_of<DataError>([&] { parse(text, {.label = LabelColumn::name("y")}); }),
            "no column named 'y' for the labels (the columns are a, b, target)"));
  CHECK(has(error_of<DataError>([] { parse("1,2\n", {.label = LabelColumn::name("y")}); }),
            "has no header"));
  CHECK(has(error_of<DataError>([&] { parse(text, {.label = LabelColumn::index(3)}); }),
            "rows have 3 fields"));
  CHECK(has(error_of<DataError>([] { parse("label\n1\n"); }), "no feature columns"));
}

TEST_CASE("csv: features_are_bytes only for whole numbers in 0..255") {
  CHECK(parse("1,0,255\n").features_are_bytes);
  // Byte values through the general parser (decimals, blanks, quotes, exponents) are bytes too.
  const CsvTable general = parse("1,0,255.0\n2, 7 ,\"8\"\n3,1e2,0.0\n");
  CHECK(general.features_are_bytes);
  CHECK(general.feature_bytes == std::vector<uint8_t>{0, 255, 7, 8, 100, 0});
  CHECK_FALSE(parse("1,0,256\n").features_are_bytes);
  CHECK_FALSE(parse("1,-1,3\n").features_are_bytes);
  CHECK_FALSE(parse("1,0.5,3\n").features_are_bytes);
  // The label column does not count: a label of 300 keeps byte features.
  CHECK(parse("300,1,2\n").features_are_bytes);
}

TEST_CASE("csv: a byte table switches to floats at its first other value, values unchanged") {
  // 40 rows of 3 byte features, one cell replaced by `cell` at (row r, feature j); r = -1 keeps
  // every cell a byte. The reader holds bytes until that cell and floats from there on.
  const auto table = [](int r, int j, const std::string& cell, float value,
                        std::vector<float>* expected) {
    std::string text = "label,a,b,c\n";
    for (int i = 0; i < 40; ++i) {
      text += std::to_string(i % 10);
      for (int k = 0; k < 3; ++k) {
        const int v = (i * 37 + k * 101) % 256;
        const bool here = i == r && k == j;
        text += ',' + (here ? cell : std::to_string(v));
        expected->push_back(here ? value : static_cast<float>(v));
      }
      text += '\n';
    }
    return text;
  };
  std::vector<float> all_bytes;
  const CsvTable pure = parse(table(-1, 0, "", 0.0f, &all_bytes));
  CHECK(pure.features_are_bytes);
  CHECK(pure.features.empty());
  CHECK(pure.features_as_floats() == all_bytes);

  struct Other {
    std::string cell;
    float value;
  };
  for (const Other& o : {Other{"256", 256.0f}, Other{"0.5", 0.5f}, Other{"-1", -1.0f},
                         Other{"1234567890", 1234567890.0f}, Other{" 300 ", 300.0f}}) {
    for (int r : {0, 17, 39}) {
      for (int j : {0, 2}) {
        CAPTURE(o.cell);
        CAPTURE(r);
        CAPTURE(j);
        std::vector<float> expected;
        const CsvTable t = parse(table(r, j, o.cell, o.value, &expected));
        CHECK(t.rows == 40);
        CHECK_FALSE(t.features_are_bytes);
        CHECK(t.feature_bytes.empty());
        CHECK(t.features == expected);
        REQUIRE(t.labels.size() == 40);
        CHECK(t.labels[39] == 9);
      }
    }
  }
  // Messages after the switch still name the right line and column.
  CHECK(has(error_of<DataError>([] { parse("label,a\n1,2\n3,0.5\n4,5\n5,x\n"); }),
            "t.csv:5: column 2 ('a') holds 'x'"));
}

TEST_CASE("csv: numbers beyond the integer fast path") {
  const CsvTable t = parse("1,1234567890,0.000125,-0,1e-3,12345678901234567890\n");
  REQUIRE(t.features.size() == 5);
  CHECK(t.features[0] == 1234567890.0f);
  CHECK(t.features[1] == 0.000125f);
  CHECK(t.features[2] == 0.0f);
  CHECK(t.features[3] == 1e-3f);
  CHECK(t.features[4] == 12345678901234567890.0f);
  CHECK(parse("3.0,1\n").labels == std::vector<int32_t>{3});  // a whole float is a fine label
}

TEST_CASE("csv: rows mixing plain integers and other numbers parse the same") {
  // Row 2 leaves the integer fast path at its last cell, row 3 at its first: both are re-read
  // by the general parser from the start of the row.
  const CsvTable t = parse("0,1,2,3\n1,4,5,6.5\n 2,7,8,9\n3,10,11,12\n");
  CHECK(t.labels == std::vector<int32_t>{0, 1, 2, 3});
  CHECK(t.features == std::vector<float>{1, 2, 3, 4, 5, 6.5f, 7, 8, 9, 10, 11, 12});
  CHECK_FALSE(t.features_are_bytes);
  const CsvTable mid = parse("a,label,b\n1,2,3\n4,5,6\n", {.label = LabelColumn::index(1)});
  CHECK(mid.feature_bytes == std::vector<uint8_t>{1, 3, 4, 6});
  CHECK(mid.labels == std::vector<int32_t>{2, 5});
}

TEST_CASE("csv: ragged rows name the line and the counts") {
  const std::string missing = error_of<DataError>([] { parse("label,a,b\n1,2,3\n4,5\n"); });
  CHECK(has(missing, "t.csv:3: expected 3 fields (as in the header on line 1), found 2"));
  CHECK(has(missing, "HINT: is a value missing?"));
  const std::string extra = error_of<DataError>([] { parse("1,2,3\n4,5,6,7\n"); });
  CHECK(has(extra, "t.csv:2: expected 3 fields, found 4"));
  CHECK(has(extra, "extra"));
  CHECK(has(error_of<DataError>([] { parse("1,2,3\n4,5,6,\n"); }),
            "t.csv:2: expected 3 fields, found 4"));
}

TEST_CASE("csv: bad cells name the line, the column and the value") {
  const std::string text_cell = error_of<DataError>([] { parse("label,a,b\n1,2,3\n1,x7,3\n"); });
  CHECK(has(text_cell, "t.csv:3: column 2 ('a') holds 'x7', expected a number"));
  CHECK(has(error_of<DataError>([] { parse("label,a,b\n1,12abc,3\n"); }),
            "column 2 ('a') holds '12abc'"));
  CHECK(has(error_of<DataError>([] { parse("label,a,b\n1,,3\n"); }),
            "t.csv:2: column 2 ('a') is empty"));
  const std::string nan = error_of<DataError>([] { parse("label,a,b\n1,2,nan\n"); });
  CHECK(has(nan, "t.csv:2: column 3 ('b') holds 'nan', expected a finite number"));
  CHECK(has(error_of<DataError>([] { parse("1,inf,3\n"); }), "column 2 holds 'inf'"));
  CHECK(has(error_of<DataError>([] { parse("1,-Infinity,3\n"); }), "expected a finite number"));
  CHECK(has(error_of<DataError>([] { parse("1,1e39,3\n"); }),
            "expected a finite number"));  // > FLT_MAX
  CHECK(has(error_of<DataError>([] { parse("label,a,b\n1,\"2,3\n"); }),
            "t.csv:2: column 2 ('a'): the quote"));
  CHECK(has(error_of<DataError>([] { parse("label,a\n1,2\n\n3,4\n"); }),
            "t.csv:3: blank line between rows"));
}

TEST_CASE("csv: bad labels") {
  CHECK(parse("label,a\n0,1\n-1,2\n").labels == std::vector<int32_t>{0, -1});  // a label, not bad
  const std::string fraction = error_of<DataError>([] { parse("label,a\n2.5,1\n"); });
  CHECK(has(fraction, "t.csv:2: column 1 ('label'): label 2.5 is not a whole number"));
  CHECK(has(error_of<DataError>([] { parse("a,b\n1,2.5\n", {.label = LabelColumn::last()}); }),
            "column 2 ('b'): label 2.5"));
  CHECK(has(error_of<DataError>([] { parse("label,a\n1e12,1\n"); }),
            "label 1e12 does not fit a 32-bit integer"));
}

TEST_CASE("csv: files that are missing, directories, empty or header only") {
  TempDir dir;
  const std::string missing =
      error_of<DataError>([&] { read_csv((dir.path / "nope.csv").string()); });
  CHECK(has(missing, "nope.csv: no such file"));
  CHECK(has(missing, "make data"));
  CHECK(has(error_of<DataError>([&] { read_csv(dir.path.string()); }), "is a directory"));
  const std::string empty = dir.write("empty.csv", "");
  CHECK(has(error_of<DataError>([&] { read_csv(empty); }), "empty.csv: the file is empty"));
  const std::string bom_only = dir.write("bom.csv", "\xEF\xBB\xBF");
  CHECK(has(error_of<DataError>([&] { read_csv(bom_only); }), "the file is empty"));
  const std::string blank = dir.write("blank.csv", "\n\n  \n");
  CHECK(has(error_of<DataError>([&] { read_csv(blank); }), "no data"));
  const std::string header_only = dir.write("header.csv", "label,pixel1,pixel2\n");
  CHECK(has(error_of<DataError>([&] { read_csv(header_only); }),
            "header.csv:1: has a header (3 columns) but no data rows"));

  const std::string good = dir.write("good.csv", "label,p\r\n1,2\r\n");
  const CsvTable t = read_csv(good);
  CHECK(t.path == good);
  CHECK(t.rows == 1);
}

TEST_CASE("csv: a file larger than the read window reads like its text") {
  // read_csv maps a file a few MiB at a time and releases what it has read: 30,000 rows of 100
  // features (about 11 MB) cross several windows; row 20,000 turns the table to floats.
  TempDir dir;
  std::string text = "label";
  for (int k = 0; k < 100; ++k) text += ",p" + std::to_string(k);
  text += '\n';
  for (int i = 0; i < 30000; ++i) {
    text += std::to_string(i % 10);
    for (int k = 0; k < 100; ++k) {
      const bool odd_one = i == 20000 && k == 50;
      text += ',' + (odd_one ? std::string("0.25") : std::to_string((i + k * 7) % 256));
    }
    text += '\n';
  }
  const std::string path = dir.write("big.csv", text);
  const CsvTable from_file = read_csv(path);
  const CsvTable from_text = parse_csv(text, path);
  CHECK(from_file.rows == 30000);
  CHECK_FALSE(from_file.features_are_bytes);
  REQUIRE(from_file.features.size() == 30000 * 100);
  CHECK(from_file.features[20000 * 100 + 50] == 0.25f);
  CHECK(from_file.features[29999 * 100 + 99] == static_cast<float>((29999 + 99 * 7) % 256));
  CHECK(from_file.features == from_text.features);
  CHECK(from_file.labels == from_text.labels);
  // A bad last row is still reported at its own line.
  const std::string bad = dir.write("bad.csv", text + "1,x\n");
  CHECK(has(error_of<DataError>([&] { read_csv(bad); }), "bad.csv:30002: expected 101 fields"));
}

TEST_CASE("csv: checks against a loaded model name the file, line and expected value") {
  const CsvTable t = parse("label,a,b\n1,2,3\n4,5,6\n");
  CHECK_NOTHROW(check_num_features(t, 2, "the model"));
  const std::string cols =
      error_of<DataError>([&] { check_num_features(t, 784, "the model in m.safetensors"); });
  CHECK(has(cols, "t.csv:1: found 2 feature columns but the model in m.safetensors expects 784"));
  CHECK(has(cols, "column 1 ('label')"));
}

TEST_CASE("csv: a cell holding control bytes is shown escaped, the message whole") {
  using namespace std::string_literals;
  // A NUL used to end the message at the cell (what() is a C string); an ESC reached the terminal.
  const std::string nul = error_of<DataError>([] { parse("label,a,b\n1,1\0002,3\n"s); });
  CHECK(has(nul, "t.csv:2: column 2 ('a') holds '1\\x002', expected a number (HINT:"));
  CHECK(nul.find('\0') == std::string::npos);
  const std::string esc = error_of<DataError>([] { parse("label,a\n1,\x1b[2J\n"); });
  CHECK(has(esc, "holds '\\x1b[2J'"));
}

TEST_CASE("csv: labels are any 32-bit integers; max_classes bounds the distinct ones") {
  // 999999 in a 4-row file used to make a million classes; now it is one of 3 classes.
  const CsvTable stray = parse("label,a\n0,1\n999999,2\n1,3\n0,4\n");
  CHECK(stray.labels == std::vector<int32_t>{0, 999999, 1, 0});
  CHECK(stray.num_classes() == 3);
  // The limit counts distinct labels, and names the row of the first one too many.
  const std::string over =
      error_of<DataError>([] { parse("label,a\n0,1\n7,2\n0,3\n12,4\n", {.max_classes = 2}); });
  CHECK(has(over,
            "t.csv:5: column 1 ('label'): label 12 would be class number 3, over the limit of 2 "
            "classes"));
  CHECK(has(over, "raise CsvOptions::max_classes"));
  CHECK_NOTHROW(parse("label,a\n0,1\n7,2\n0,3\n7,4\n", {.max_classes = 2}));
  // Signs and the ends of int32 through the general reader, without overflow.
  const CsvTable ends =
      parse("a,label\n0.5,2147483647\n1,-2147483648\n2,-3\n", {.label = LabelColumn::last()});
  CHECK(ends.labels == std::vector<int32_t>{2147483647, -2147483647 - 1, -3});
  CHECK(ends.num_classes() == 3);
  CHECK(has(error_of<DataError>([] { parse("label,a\n2147483648,1\n"); }),
            "t.csv:2: column 1 ('label'): label 2147483648 does not fit a 32-bit integer"));
  CHECK(has(error_of<DataError>([] { parse("label,a\n-2147483649,1\n"); }),
            "label -2147483649 does not fit a 32-bit integer"));
  CHECK(has(error_of<DataError>([] { parse("label,a\n1.5,1\n"); }),
            "t.csv:2: column 1 ('label'): label 1.5 is not a whole number"));
  CHECK_THROWS_AS(parse("label,a\n0,1\n", {.max_classes = 0}), std::invalid_argument);
  CHECK_THROWS_AS(parse("label,a\n0,1\n", {.max_classes = int64_t{1} << 31}),
                  std::invalid_argument);
}
