// Tests of data/csv.hpp, the input side: quoted cells holding delimiters and newlines (RFC
// 4180) with lines counted in the file, the line-length limit that bounds memory on hostile
// input, streams (a pipe, standard input, /dev/zero) read without seeking, and a file read in
// parts (CsvOptions::part) as the processes of a data-parallel job read it.
#include <doctest/doctest.h>
#include <unistd.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "minigrad/data/csv.hpp"

using namespace minigrad::data;

namespace {

// The message of the DataError `f` throws; fails the test when it throws nothing.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const DataError& e) {
    return e.what();
  }
  FAIL("expected a DataError");
  return "";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

CsvTable parse(const std::string& text, const CsvOptions& options = {}) {
  return parse_csv(text, "t.csv", options);
}

}  // namespace

TEST_CASE("csv: quoted cells may hold delimiters, doubled quotes and newlines (RFC 4180)") {
  const CsvTable t =
      parse("\"label\",\"weight\n(kg)\",\"a,b\",\"say \"\"hi\"\"\"\n0,1,2,3\n1,4,5,6\n");
  CHECK(t.column_names == std::vector<std::string>{"label", "weight\n(kg)", "a,b", "say \"hi\""});
  CHECK(t.rows == 2);
  CHECK(t.first_data_line == 3);  // the header takes lines 1 and 2
  CHECK(t.features_as_floats() == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(t.labels == std::vector<int32_t>{0, 1});

  // Lines are counted in the file, not in records: the bad cell is on line 5.
  const std::string later = error_of([] { parse("label,\"a\nb\nc\"\n0,1\n1,x\n"); });
  CHECK(has(later, "t.csv:5: column 2 ('a\\nb\\nc') holds 'x'"));
  const std::string ragged = error_of([] { parse("\"x\ny\",label\n1,0\n2,1,3\n"); });
  CHECK(has(ragged, "t.csv:4: expected 2 fields (as in the header on line 1), found 3"));
  // A number cannot hold a newline: named at the line where the cell starts.
  const std::string in_number = error_of([] { parse("label,a\n0,1\n1,\"2\n3\"\n4,5\n"); });
  CHECK(has(in_number, "t.csv:3: column 2 ('a') holds '\"2\\n3\"'"));
}

TEST_CASE("csv: a line longer than max_line_bytes is an error naming its line") {
  const CsvOptions small{.max_line_bytes = 16};
  CHECK(parse("label,a\n0,123456789012\n", small).rows == 1);  // 14 bytes: fits
  const std::string row =
      error_of([&] { parse("label,a\n0,1\n1," + std::string(20, '7') + "\n0,2\n", small); });
  CHECK(has(row, "t.csv:3: a line longer than 16 bytes, the limit"));
  CHECK(has(error_of([&] { parse(std::string(40, 'h') + "\n0,1\n", small); }),
            "t.csv:1: a line longer than 16 bytes"));
  CHECK(has(error_of([&] {
              parse("count\n" + std::string(40, 'c') + "\nlabel,a\n0,1\n",
                    {.skip_rows = 2, .max_line_bytes = 16});
            }),
            "t.csv:2: a line longer than 16 bytes"));
  // A quote never closed would run on to the end: the record stops at the limit too.
  CHECK(has(error_of([&] { parse("label,a\n0,\"1\n2\n3\n4\n5\n6\n7\n8\n9\n", small); }),
            "t.csv:2: a line longer than 16 bytes"));
  CHECK_THROWS_AS(parse("0,1\n", {.max_line_bytes = 0}), std::invalid_argument);
}

TEST_CASE("csv: streams are read without seeking: a pipe, standard input, /dev/zero") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const std::string text = "label,a\n0,1.5\n1,2\n";
  REQUIRE(::write(fds[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  ::close(fds[1]);
  const CsvTable piped = read_csv("/dev/fd/" + std::to_string(fds[0]));
  ::close(fds[0]);
  CHECK(piped.rows == 2);
  CHECK(piped.features == std::vector<float>{1.5f, 2});

  // "-" is standard input, named <stdin> in messages.
  REQUIRE(::pipe(fds) == 0);
  const std::string bad = "label,a\n0,1\n1,x\n";
  REQUIRE(::write(fds[1], bad.data(), bad.size()) == static_cast<ssize_t>(bad.size()));
  ::close(fds[1]);
  const int saved_stdin = ::dup(STDIN_FILENO);
  ::dup2(fds[0], STDIN_FILENO);
  ::close(fds[0]);
  const std::string from_stdin = error_of([] { read_csv("-"); });
  ::dup2(saved_stdin, STDIN_FILENO);
  ::close(saved_stdin);
  CHECK(has(from_stdin, "<stdin>:3: column 2 ('a') holds 'x'"));

  // An endless stream without a newline stops at the limit, having read little more.
  CHECK(has(error_of([] { read_csv("/dev/zero", {.max_line_bytes = 1000}); }),
            "/dev/zero:1: a line longer than 1000 bytes"));
}

TEST_CASE("csv: parts tile the data rows, with the file's row and line numbers") {
  // A header over two lines (a quoted newline), CRLF, blank lines at the end.
  std::string text = "\"a\nb\",c,label\r\n";
  for (int i = 0; i < 23; ++i)
    text += std::to_string(i) + "," + std::to_string(i * 7 % 300) + "," + std::to_string(i % 3) +
            "\r\n";
  text += "\r\n\n";
  const CsvTable whole = parse(text, {.label = LabelColumn::last()});
  REQUIRE(whole.rows == 23);
  for (int64_t parts : {1, 2, 3, 7, 23, 40}) {
    CAPTURE(parts);
    std::vector<float> features;
    std::vector<int32_t> labels;
    int64_t next = 0;
    for (int64_t k = 0; k < parts; ++k) {
      const CsvTable part = parse(text, {.label = LabelColumn::last(), .part = k, .parts = parts});
      CHECK(part.column_names == whole.column_names);
      CHECK(part.first_row == next);  // no gap, no overlap
      CHECK(part.first_data_line == 3 + next);
      CHECK(part.rows <= 23 / parts + 2);
      const std::vector<float> f = part.features_as_floats();
      features.insert(features.end(), f.begin(), f.end());
      labels.insert(labels.end(), part.labels.begin(), part.labels.end());
      next += part.rows;
    }
    CHECK(next == 23);
    CHECK(features == whole.features_as_floats());
    CHECK(labels == whole.labels);
  }
  // A bad row is reported by the part that holds it, at its line in the file.
  std::string bad = "x,label\n";
  for (int i = 0; i < 40; ++i) bad += (i == 30 ? "oops" : std::to_string(i)) + ",1\n";
  CHECK(has(error_of([&] { parse(bad, {.part = 1, .parts = 2}); }), "t.csv:32:"));
  const CsvTable before = parse(bad, {.part = 0, .parts = 2});  // rows 0 .. about 20: no error
  CHECK(before.rows > 0);
  CHECK(before.rows < 30);
  CHECK_THROWS_AS(parse(bad, {.part = 2, .parts = 2}), std::invalid_argument);
  CHECK_THROWS_AS(parse(bad, {.part = 0, .parts = 0}), std::invalid_argument);
}
