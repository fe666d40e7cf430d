// Tests of data/class_labels.hpp: distinct labels in ascending order become outputs 0..K-1,
// negative and extreme labels included; the bound on K names the row that breaks it; the text a
// checkpoint keeps reads back exactly, and anything else is refused by name.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "minigrad/data/class_labels.hpp"
#include "support/error_of.hpp"

using namespace minigrad::data;
using minigrad::error_of;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
constexpr int32_t kMin = std::numeric_limits<int32_t>::min();

}  // namespace

TEST_CASE("class labels: distinct labels in ascending order are outputs 0..K-1") {
  const std::vector<int32_t> rows = {12, 3, 7, 3, 12, 12};
  const ClassLabels c = ClassLabels::of(rows);
  CHECK(c.labels() == std::vector<int32_t>{3, 7, 12});
  CHECK(c.size() == 3);
  CHECK(c.label(0) == 3);
  CHECK(c.label(2) == 12);
  CHECK(c.index_of(3) == 0);
  CHECK(c.index_of(7) == 1);
  CHECK(c.index_of(12) == 2);
  CHECK(c.index_of(0) == -1);
  CHECK(c.index_of(8) == -1);
  CHECK(c.index_of(13) == -1);
  CHECK_FALSE(c.is_identity());
  CHECK(c.str() == "3, 7, 12");
  CHECK(c.text() == "3,7,12");
}

TEST_CASE("class labels: negative and extreme labels, without overflow") {
  const std::vector<int32_t> rows = {kMax, -1, kMin, 1, -1, kMax};
  const ClassLabels c = ClassLabels::of(rows);
  CHECK(c.labels() == std::vector<int32_t>{kMin, -1, 1, kMax});
  CHECK(c.index_of(kMin) == 0);
  CHECK(c.index_of(kMax) == 3);
  CHECK(c.index_of(0) == -1);
  CHECK_FALSE(c.is_identity());
  CHECK(ClassLabels::parse(c.text(), "x") == c);
  CHECK(c.text() == "-2147483648,-1,1,2147483647");
}

TEST_CASE("class labels: labels 0..K-1 are the identity, as before numbering") {
  const std::vector<int32_t> rows = {9, 0, 4, 1, 2, 3, 5, 6, 7, 8, 0};
  const ClassLabels c = ClassLabels::of(rows);
  CHECK(c == ClassLabels::identity(10));
  CHECK(c.is_identity());
  for (int32_t y = 0; y < 10; ++y) CHECK(c.index_of(y) == y);
  // A gap, or a start past 0, is not the identity even with K values.
  CHECK_FALSE(ClassLabels::of(std::vector<int32_t>{0, 1, 3}).is_identity());
  CHECK_FALSE(ClassLabels::of(std::vector<int32_t>{1, 2}).is_identity());
  CHECK(ClassLabels::identity(0).size() == 0);
  CHECK_THROWS_AS(ClassLabels::identity(-1), std::invalid_argument);
}

TEST_CASE("class labels: the checkpoint text reads back, and malformed text is refused") {
  CHECK(ClassLabels::parse("3,7,12", "m").labels() == std::vector<int32_t>{3, 7, 12});
  CHECK(ClassLabels::parse("-5", "m").labels() == std::vector<int32_t>{-5});
  for (const char* bad :
       {"", "3,", ",3", "3,,7", "7,3", "3,3", "3, 7", "x", "2147483648", "1e3", "3;7"}) {
    CAPTURE(bad);
    const std::string e = error_of<std::invalid_argument>(
        [&] { ClassLabels::parse(bad, "m.safetensors: metadata minigrad.class_labels"); });
    CHECK(has(e, "m.safetensors: metadata minigrad.class_labels is '"));
    CHECK(has(e, "expected strictly ascending 32-bit integer labels"));
  }
}

TEST_CASE("class labels: messages show a long list shortened") {
  const ClassLabels c = ClassLabels::identity(25);
  CHECK(c.str(3) == "0, 1, 2, ... (25 labels)");
  CHECK(c.str(25).size() > c.str(3).size());
}

TEST_CASE("class labels: max_classes bounds the distinct labels, naming the row over it") {
  const CsvTable t = parse_csv("label,a\n3,0\n7,1\n3,2\n12,3\n7,4\n", "t.csv");
  CHECK(class_labels_of(t, 3).labels() == std::vector<int32_t>{3, 7, 12});
  const std::string e = error_of<DataError>([&] { class_labels_of(t, 2); });
  CHECK(has(e,
            "t.csv:5: column 1 ('label'): label 12 would be class number 3, over the limit "
            "of 2 classes (HINT: is the label column right?"));
  // read_csv applies the same bound with CsvOptions::max_classes, counting distinct labels
  // only: a million rows of two labels pass a limit of 2.
  CHECK_NOTHROW(parse_csv("label,a\n3,0\n7,1\n3,2\n", "t.csv", {.max_classes = 2}));
  CHECK(has(error_of<DataError>([] {
              parse_csv("a,y\n0,3\n1,7\n2,12\n", "u.csv",
                        {.label = LabelColumn::last(), .max_classes = 2});
            }),
            "u.csv:4: column 2 ('y'): label 12 would be class number 3"));
  // One stray label of int32's maximum is one more class, not a count that overflows.
  const CsvTable top = parse_csv("label,a\n0,1\n2147483647,2\n", "t.csv");
  CHECK(class_labels_of(top, 2).labels() == std::vector<int32_t>{0, kMax});
}

TEST_CASE("class labels: encode_labels gives output indices, or names an unknown label") {
  CsvTable t = parse_csv("label,a\n12,0\n3,1\n7,2\n", "t.csv");
  const ClassLabels c = ClassLabels::of(std::vector<int32_t>{3, 7, 12});
  CHECK(encode_labels(t, c, "the model") == std::vector<int32_t>{2, 0, 1});
  CHECK(t.labels == std::vector<int32_t>{12, 3, 7});  // the table keeps the file's labels
  const CsvTable test = parse_csv("label,a\n3,0\n5,1\n", "test.csv");
  const std::string e =
      error_of<DataError>([&] { encode_labels(test, c, "the model in m.safetensors"); });
  CHECK(has(e,
            "test.csv:3: column 1 ('label'): label 5 is not one of the classes of the model "
            "in m.safetensors (the labels are 3, 7, 12)"));
  CHECK(has(e, "HINT:"));
  // Identity classes leave class ids as they are.
  const CsvTable ids = parse_csv("label,a\n2,0\n0,1\n1,2\n", "t.csv");
  CHECK(encode_labels(ids, ClassLabels::identity(3), "x") == std::vector<int32_t>{2, 0, 1});
}
