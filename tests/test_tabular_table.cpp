// Tests of tabular/table.hpp: every missing-value marker, trimming, quoting, header detection,
// column lookup by name and index, and the messages for malformed files.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "minigrad/tabular/table.hpp"
#include "support/error_of.hpp"

using namespace minigrad::tabular;
using minigrad::error_of;
namespace fs = std::filesystem;

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / ("minigrad_tabular_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

}  // namespace

TEST_CASE("every default missing-value marker, with surrounding spaces, is missing") {
  const auto& na = default_na_values();
  for (const char* marker : {"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "#N/A", "?"}) {
    CAPTURE(marker);
    CHECK(is_missing(marker, na));
    // Cells are trimmed when read: "  NA " reaches is_missing as "NA".
    const std::string path = write_temp("marker.csv", std::string("a,b\n  ") + marker + " ,1\n");
    const Table t = read_table(path);
    CHECK(t.missing(0, 0));
    CHECK_FALSE(t.missing(0, 1));
  }
  for (const char* value : {"0", "na", "Nan?", "-", "NA2", "none"})
    CHECK_FALSE(is_missing(value, na));
  // A replaced set: only the listed markers and the empty cell are missing.
  const std::vector<std::string> custom = {"-", "missing"};
  CHECK(is_missing("-", custom));
  CHECK(is_missing("", custom));
  CHECK_FALSE(is_missing("NA", custom));
}

TEST_CASE("numbers parse in full or not at all") {
  double v = 0;
  CHECK((parse_number("3.5", v) && v == 3.5));
  CHECK((parse_number("-2", v) && v == -2));
  CHECK((parse_number("+7", v) && v == 7));
  CHECK((parse_number("1e3", v) && v == 1000));
  for (const char* bad : {"", "inf", "nan", "3 kg", "1,5", "x"}) CHECK_FALSE(parse_number(bad, v));
}

TEST_CASE("read_table trims, unquotes, skips blank lines and keeps line numbers") {
  const std::string path =
      write_temp("quoted.csv",
                 "\xEF\xBB\xBFname , island,mass\r\n\"Adelie, the first\", Biscoe ,3750\r\n\r\n"
                 "\"say \"\"hi\"\"\",Dream,\r\n");
  const Table t = read_table(path);
  CHECK(t.columns == std::vector<std::string>{"name", "island", "mass"});
  REQUIRE(t.rows == 2);
  CHECK(t.text(0, 0) == "Adelie, the first");
  CHECK(t.text(0, 1) == "Biscoe");
  CHECK(t.text(1, 0) == "say \"hi\"");
  CHECK(t.missing(1, 2));
  CHECK(t.lines == std::vector<int64_t>{2, 4});
}

TEST_CASE("headers: auto-detected, forced, absent; skip_rows and other delimiters") {
  const std::string numeric = write_temp("noheader.csv", "1;2\n3;4\n");
  const Table a = read_table(numeric, {.delimiter = ';'});
  CHECK(a.columns == std::vector<std::string>{"column0", "column1"});
  CHECK(a.rows == 2);
  const Table b =
      read_table(numeric, {.delimiter = ';', .header = minigrad::data::Header::Present});
  CHECK(b.columns == std::vector<std::string>{"1", "2"});
  CHECK(b.rows == 1);
  const std::string text = write_temp("skip.tsv", "a comment line\nx\ty\nA\t1\n");
  const Table c = read_table(text, {.delimiter = '\t', .skip_rows = 1});
  CHECK(c.columns == std::vector<std::string>{"x", "y"});
  CHECK(c.text(0, 0) == "A");
  CHECK(c.lines[0] == 3);
}

TEST_CASE("read_table stores numbers as float and other columns as codes, as planned") {
  // x is numeric; s turns to text at row 3, after numbers whose spelling ("2.50") must survive;
  // z is forced to text; w is skipped.
  const std::string path =
      write_temp("kinds.csv", "x,s,z,w\n1.5,2.50,07,a\nNA,,7,b\n-3,five,07,c\n4,2.50,,d\n");
  const Table t = read_table(path, {}, default_na_values(), [](const std::vector<std::string>&) {
    return std::vector<Storage>{Storage::Auto, Storage::Auto, Storage::Text, Storage::Skip};
  });
  REQUIRE(t.rows == 4);
  CHECK(t.data[0].storage == Storage::Auto);
  CHECK(t.data[0].numbers.size() == 4);
  double v = 0;
  CHECK((t.number(0, 0, v) && v == 1.5));
  CHECK(t.missing(1, 0));
  CHECK((t.number(2, 0, v) && v == -3));
  REQUIRE(t.data[1].storage == Storage::Text);
  CHECK(t.data[1].numbers.empty());
  CHECK(t.data[1].values ==
        std::vector<std::string>{"five", "2.50"});  // row 0 came back by re-read
  CHECK(t.text(0, 1) == "2.50");
  CHECK(t.missing(1, 1));
  CHECK(t.text(2, 1) == "five");
  CHECK(t.data[1].codes[0] == t.data[1].codes[3]);
  CHECK((t.number(0, 1, v) && v == 2.5));
  CHECK_FALSE(t.number(2, 1, v));
  CHECK(t.data[2].values == std::vector<std::string>{"07", "7"});  // Text keeps "07" apart from "7"
  CHECK(t.missing(3, 2));
  CHECK(t.data[3].storage == Storage::Skip);
  CHECK(t.data[3].codes.empty());
  CHECK(t.data[3].values.empty());
}

TEST_CASE("--decimal ,: a cell with one comma and no point is a number with a decimal comma") {
  CHECK(decimal_comma_number("9,60"));
  CHECK(decimal_comma_number("-0,5"));
  CHECK(decimal_comma_number("1,5e3"));
  CHECK_FALSE(decimal_comma_number("1,234.5"));
  CHECK_FALSE(decimal_comma_number("1,2,3"));
  CHECK_FALSE(decimal_comma_number("Smith, John"));
  CHECK_FALSE(decimal_comma_number("9.60"));
  const std::string path = write_temp("eu.csv", "a;b;c\n9,60;x,y;1.5\n\"-0,25\";7;2\n");
  const Table t = read_table(path, {.delimiter = ';', .decimal = ','});
  double v = 0;
  CHECK((t.number(0, 0, v) && v == doctest::Approx(9.6)));
  CHECK((t.number(1, 0, v) && v == doctest::Approx(-0.25)));
  CHECK(t.text(0, 1) == "x,y");  // not a number: kept as written
  CHECK((t.number(0, 2, v) && v == doctest::Approx(1.5)));
  // Without --decimal the same cells are text.
  CHECK_FALSE(read_table(path, {.delimiter = ';'}).number(0, 0, v));
}

TEST_CASE("TableReader streams rows one at a time") {
  const std::string path = write_temp("stream.csv", "a,b\n1,x\n2,y\n3,z\n");
  TableReader reader(path);
  std::vector<std::string> cells;
  int rows = 0;
  while (reader.next(cells)) {
    ++rows;
    CHECK(cells.size() == 2);
    CHECK(reader.line() == rows + 1);
  }
  CHECK(rows == 3);
}

TEST_CASE("malformed tables name the file and line") {
  CHECK(error_of<DataError>([] { read_table("/nonexistent/t.csv"); }).find("no such file") !=
        std::string::npos);
  CHECK(error_of<DataError>([] { read_table(write_temp("empty.csv", "")); }).find("empty") !=
        std::string::npos);
  CHECK(error_of<DataError>([] {
          read_table(write_temp("hdr.csv", "a,b\n"));
        }).find("no data rows") != std::string::npos);
  const std::string ragged =
      error_of<DataError>([] { read_table(write_temp("ragged.csv", "a,b\n1,2\n3\n")); });
  CHECK(ragged.find("ragged.csv:3: expected 2 fields like the header, found 1") !=
        std::string::npos);
  CHECK(error_of<DataError>([] {
          read_table(fs::temp_directory_path().string());
        }).find("directory") != std::string::npos);
  // Columns are found by name, so one name for two columns is an error, also after blank lines
  // and for a blank header cell named like another column.
  CHECK(error_of<DataError>([] {
          read_table(write_temp("dup.csv", "\nx,y,x\n1,2,3\n"));
        }).find("dup.csv:2: the column name 'x' is both column 0 and column 2") !=
        std::string::npos);
  CHECK(error_of<DataError>([] {
          read_table(write_temp("dup2.csv", "column1,,b\n1,2,3\n"));
        }).find("'column1' is both column 0 and column 1") != std::string::npos);
  CHECK(read_table(write_temp("nodup.csv", "x,X,x1\n1,2,3\n")).columns.size() == 3);
  // Text that is not UTF-8 (a Latin-1 file) is refused where it is read, header or cell.
  CHECK(error_of<DataError>([] { read_table(write_temp("latin1.csv", "L\xe4nge,Art\n1,x\n")); })
            .find("latin1.csv:1: the cell 'L\\xe4nge' (column 0, counting from 0) is not UTF-8 "
                  "text: byte 0xE4 at its position 1") != std::string::npos);
  CHECK(error_of<DataError>([] {
          read_table(write_temp("latin1b.csv", "a,b\n1,x\n2,gro\xdf\n"));
        }).find("latin1b.csv:3: the cell 'gro\\xdf' (column 1") != std::string::npos);
  CHECK(read_table(write_temp("utf8.csv", "L\xc3\xa4nge,Art\n1,gro\xc3\x9f\n")).columns[0] ==
        "L\xc3\xa4nge");
}

TEST_CASE(
    "find_column takes a name or an index (negative from the end) and lists the columns "
    "otherwise") {
  const std::vector<std::string> cols = {"species", "island", "mass"};
  CHECK(find_column(cols, "island", "--label", "p.csv") == 1);
  CHECK(find_column(cols, "2", "--label", "p.csv") == 2);
  const std::string msg =
      error_of<DataError>([&] { find_column(cols, "sex", "--ignore", "p.csv"); });
  CHECK(msg.find("--ignore: no column 'sex' in p.csv; its columns are: species, island, mass") !=
        std::string::npos);
  CHECK_THROWS_AS(find_column(cols, "3", "--label", "p.csv"), DataError);
  CHECK(find_column(cols, "-1", "--label", "p.csv") == 2);  // negative counts from the end
  CHECK(find_column(cols, "-3", "--label", "p.csv") == 0);
  CHECK(find_column(cols, "last", "--label", "p.csv") == 2);
  CHECK_THROWS_AS(find_column(cols, "-4", "--label", "p.csv"), DataError);
}

TEST_CASE("a quoted cell may hold newlines; the row keeps the line it starts on") {
  const std::string path = write_temp(
      "multiline.csv",
      "name,note,mass\r\nA,\"two\r\nlines\",1\nB,\"a \"\"quote\"\"\nand, a comma\",2\nC,plain,3\n");
  const Table t = read_table(path);
  REQUIRE(t.rows == 3);
  CHECK(t.text(0, 1) == "two\nlines");
  CHECK(t.text(1, 1) == "a \"quote\"\nand, a comma");
  CHECK(t.text(2, 1) == "plain");
  CHECK(t.lines == std::vector<int64_t>{2, 4, 6});
  // A quote inside an unquoted cell is just a character: the record ends with its line.
  const Table inches = read_table(write_temp("inches.csv", "h,w\n5'10\",1\n6',2\n"));
  CHECK(inches.text(0, 0) == "5'10\"");
  CHECK(inches.lines == std::vector<int64_t>{2, 3});
  const std::string open =
      error_of<DataError>([] { read_table(write_temp("open.csv", "a,b\n1,\"x\n2,3\n")); });
  CHECK(open.find("open.csv:2: a quoted cell is still open at the end of the file") !=
        std::string::npos);
}

TEST_CASE("a record longer than max_line_bytes stops the read, naming its line") {
  const std::string path = write_temp("long.csv", "a,b\n1,2\n3," + std::string(5000, '9') + "\n");
  const std::string msg = error_of<DataError>([&] { read_table(path, {.max_line_bytes = 4096}); });
  CHECK(msg.find("long.csv:3: a line longer than 4096 bytes, the limit") != std::string::npos);
  CHECK(read_table(path).rows == 2);  // under the default of 1 MiB
  // A quoted cell that never closes is bounded the same way.
  std::string endless = "a,b\n1,\"";
  for (int i = 0; i < 2000; ++i) endless += "line\n";
  const std::string quoted = write_temp("endless.csv", endless);
  CHECK(error_of<DataError>([&] {
          read_table(quoted, {.max_line_bytes = 4096});
        }).find("endless.csv:") != std::string::npos);
}

TEST_CASE("a pipe is read in full, even when a column turns to text late") {
  // 3,000 numbers, then a word: the column becomes categorical and its earlier cells are read
  // again, which a pipe cannot do; read_table copies it to a temporary file first.
  std::string text = "x,y\n";
  for (int i = 0; i < 3000; ++i) text += std::to_string(i % 7) + ",1\n";
  text += "seven,2\n";
  const std::string fifo = write_temp("unused", "") + ".fifo";
  fs::remove(fifo);
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  pid_t writer = ::fork();
  REQUIRE(writer >= 0);
  if (writer == 0) {
    std::ofstream(fifo, std::ios::binary) << text;
    ::_exit(0);
  }
  const Table t = read_table(fifo);
  int status = 0;
  ::waitpid(writer, &status, 0);
  fs::remove(fifo);
  REQUIRE(t.rows == 3001);
  CHECK(t.data[0].storage == Storage::Text);
  CHECK(t.text(0, 0) == "0");
  CHECK(t.text(2999, 0) == std::to_string(2999 % 7));
  CHECK(t.text(3000, 0) == "seven");
  CHECK(t.path == fifo);
}

TEST_CASE("read_table parts: every row in exactly one part, with the file's line numbers") {
  // A header after a skipped line, rows of unequal lengths, a blank line, no newline at the end.
  std::string text = "# comment\nid,name\n";
  for (int i = 0; i < 23; ++i) text += std::to_string(i) + "," + std::string(i % 7, 'x') + "\n";
  text += "\n23,end";
  for (const char* header : {"yes", "no"}) {
    const bool with_header = std::string(header) == "yes";
    const std::string body = with_header ? text : text.substr(text.find('\n') + 1 + 8);
    const std::string path = write_temp(std::string("parts_") + header + ".csv", body);
    ReadOptions o;
    o.skip_rows = with_header ? 1 : 0;
    o.header = with_header ? minigrad::data::Header::Present : minigrad::data::Header::Absent;
    const Table whole = read_table(path, o);
    for (int parts : {2, 3, 7, 40}) {
      std::vector<int64_t> lines;
      for (int p = 0; p < parts; ++p) {
        ReadOptions part = o;
        part.part = p, part.parts = parts;
        const Table t = read_table(path, part);  // a part may hold no row
        CHECK(t.columns == whole.columns);
        lines.insert(lines.end(), t.lines.begin(), t.lines.end());
      }
      CAPTURE(header);
      CAPTURE(parts);
      CHECK(lines == whole.lines);  // each row once, in file order, with its line number
    }
  }
}
