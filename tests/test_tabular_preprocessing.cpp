// Tests of tabular/preprocessing.hpp: column typing from the training rows, forced and ignored
// columns, median imputation with its indicator, standardisation, one-hot with unseen and missing
// categories, label encoding, rows without a label, the auto task rule, and the JSON round trip
// with its errors.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <string>

#include "minigrad/tabular/preprocessing.hpp"
#include "support/error_of.hpp"

using namespace minigrad::tabular;
using minigrad::error_of;
namespace fs = std::filesystem;

namespace {

std::string file_of(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / ("minigrad_prep_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// A table read as minigrad train reads it for `options`.
Table table_of(const std::string& name, const std::string& text,
               const PreprocessingOptions& options = {.label = "y"}) {
  const std::string path = file_of(name, text);
  return read_table(path, {}, options.na_values, training_plan(options, path));
}

// A table read as evaluate reads it for a model.
Table model_table(const std::string& name, const std::string& text, const Preprocessing& p) {
  const std::string path = file_of(name, text);
  return read_table(path, {}, p.na_values, model_plan(p, "", path));
}

std::vector<int64_t> rows_of(const Table& t) {
  std::vector<int64_t> r(static_cast<size_t>(t.rows));
  std::iota(r.begin(), r.end(), 0);
  return r;
}

const ColumnEncoding& column(const Preprocessing& p, const std::string& name) {
  for (const ColumnEncoding& c : p.features)
    if (c.name == name) return c;
  FAIL("no column " << name);
  return p.features[0];
}

// A small penguin-like table: text label, a category with a missing cell, numbers with NA.
const char* kTable =
    "id,species,island,mass,year\n"
    "1,Adelie,Biscoe,3750,2007\n"
    "2,Gentoo,Dream,NA,2008\n"
    "3,Adelie,,3250,2007\n"
    "4,Chinstrap,Biscoe,4000,2009\n"
    "5,NA,Dream,3500,2008\n";

}  // namespace

TEST_CASE("column types, ignored and forced columns, and counts") {
  const PreprocessingOptions o{.label = "species", .ignore = {"0"}, .categorical = {"year"}};
  const Table t = table_of("p.csv", kTable, o);
  const Preprocessing p = fit_preprocessing(t, rows_of(t), o);
  CHECK(p.label == "species");
  CHECK(p.ignored == std::vector<std::string>{"id"});
  REQUIRE(p.features.size() == 3);
  CHECK(column(p, "island").kind == ColumnKind::Categorical);
  CHECK(column(p, "mass").kind == ColumnKind::Numeric);
  CHECK(column(p, "year").kind == ColumnKind::Categorical);
  CHECK(column(p, "year").forced);
  CHECK(column(p, "year").categories == std::vector<std::string>{"2007", "2008", "2009"});
  CHECK(p.task == Task::Classification);
  CHECK(p.classes == std::vector<std::string>{"Adelie", "Chinstrap", "Gentoo"});
  // island: Biscoe, Dream + missing; mass: value + indicator; year: 3.
  CHECK(p.num_inputs() == 3 + 2 + 3);
  CHECK(p.input_names() == std::vector<std::string>{"island=Biscoe", "island=Dream",
                                                    "island=missing", "mass", "mass=missing",
                                                    "year=2007", "year=2008", "year=2009"});
  CHECK(columns_line(p) ==
        "columns: 1 numeric, 2 categorical (1 by --categorical), 1 ignored; label 'species' -> 8 "
        "inputs");
}

TEST_CASE("median imputation, the indicator and standardisation use the training rows only") {
  const Table t = table_of("m.csv", "x,y\n1,a\nNA,b\n3,a\n10,b\n100,a\n");
  // Training rows 0..3: x = 1, NA, 3, 10 -> median 3, imputed {1, 3, 3, 10}.
  const Preprocessing p = fit_preprocessing(t, {0, 1, 2, 3}, {.label = "y"});
  const ColumnEncoding& x = column(p, "x");
  CHECK(x.median == 3.0);
  CHECK(x.missing_indicator);
  CHECK(x.mean == doctest::Approx(4.25));
  CHECK(x.std == doctest::Approx(std::sqrt((3.25 * 3.25 + 1.25 * 1.25 * 2 + 5.75 * 5.75) / 4)));
  RowEncoder enc(p, t.columns, t.path, true);
  float out[2];
  enc.encode(t, 1, out);  // the missing cell: the median, standardised, and indicator 1
  CHECK(out[0] == doctest::Approx((3 - 4.25) / x.std));
  CHECK(out[1] == 1.0f);
  enc.encode(t, 4, out);  // row 4 was not in training: 100 is far out, indicator 0
  CHECK(out[0] == doctest::Approx((100 - 4.25) / x.std));
  CHECK(out[1] == 0.0f);
  // An even count takes the mean of the two middle values; a column without gaps has no indicator.
  const Table u = table_of("even.csv", "x,y\n4,a\n1,b\n3,a\n2,b\n");
  const Preprocessing q = fit_preprocessing(u, rows_of(u), {.label = "y"});
  CHECK(column(q, "x").median == 2.5);
  CHECK_FALSE(column(q, "x").missing_indicator);
  CHECK(q.num_inputs() == 1);
}

TEST_CASE("one-hot: training vocabulary, unseen categories all-zero, missing as its own category") {
  const Table t = table_of("c.csv", "c,y\nred,a\nblue,b\n,a\nred,b\ngreen,a\n");
  const Preprocessing p = fit_preprocessing(t, {0, 1, 2, 3}, {.label = "y"});
  const ColumnEncoding& c = column(p, "c");
  CHECK(c.categories == std::vector<std::string>{"blue", "red"});
  CHECK(c.missing_category);
  RowEncoder enc(p, t.columns, t.path, true);
  float out[3];
  enc.encode(t, 0, out);
  CHECK(std::vector<float>(out, out + 3) == std::vector<float>{0, 1, 0});
  enc.encode(t, 2, out);
  CHECK(std::vector<float>(out, out + 3) == std::vector<float>{0, 0, 1});
  enc.encode(t, 4, out);  // green was never seen: no slot lights up, and no error
  CHECK(std::vector<float>(out, out + 3) == std::vector<float>{0, 0, 0});
  // A column without missing training cells has no missing slot: a missing cell is all-zero too.
  const Preprocessing q = fit_preprocessing(t, {0, 1, 3}, {.label = "y"});
  RowEncoder enc2(q, t.columns, t.path, true);
  enc2.encode(t, 2, out);
  CHECK(std::vector<float>(out, out + 2) == std::vector<float>{0, 0});
}

TEST_CASE("columns are found by name in any order; a missing one is named") {
  const Table t = table_of("o.csv", "a,b,y\n1,x,p\n2,z,q\n");
  const Preprocessing p = fit_preprocessing(t, rows_of(t), {.label = "y"});
  RowEncoder enc(p, {"b", "extra", "a"}, "new.csv", false);
  float out[3];
  enc.encode(std::vector<std::string>{"z", "junk", "2"}, out);
  CHECK(out[0] == doctest::Approx(1.0));  // (2 - 1.5) / 0.5
  CHECK(std::vector<float>(out + 1, out + 3) == std::vector<float>{0, 1});
  const std::string msg = error_of<DataError>([&] { RowEncoder(p, {"b", "y"}, "new.csv", false); });
  CHECK(msg.find("new.csv: the model needs the column 'a', which the file lacks; its columns are: "
                 "b, y") != std::string::npos);
  CHECK(error_of<DataError>([&] {
          RowEncoder(p, {"a", "b"}, "new.csv", true);
        }).find("no label column 'y'") != std::string::npos);
}

TEST_CASE("rows without a label are left out and counted; unknown classes are errors") {
  const Table t = table_of("p2.csv", kTable, {.label = "species"});
  const Preprocessing p = fit_preprocessing(t, rows_of(t), {.label = "species"});
  const EncodedRows e = encode_rows(p, t, rows_of(t));
  CHECK(e.rows == 4);
  CHECK(e.label_missing == 1);
  CHECK(e.source_rows == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(e.y == std::vector<float>{0, 2, 0, 1});
  const Table u = model_table("p3.csv", "id,species,island,mass,year\n9,Emperor,Dream,1,2007\n", p);
  const std::string msg = error_of<DataError>([&] { encode_rows(p, u, {0}); });
  CHECK(msg.find("p3.csv:2: the label 'species' is 'Emperor', a class the model does not know") !=
        std::string::npos);
  CHECK_THROWS_AS(encode_rows(p, u, {0}), UnknownClass);
  // Held out of training, the same row names the cause.
  const std::string held = error_of<DataError>([&] { encode_held_out(p, u, {0}, "test"); });
  CHECK(held.find("p3.csv:2: the label 'species' is 'Emperor'") != std::string::npos);
  CHECK(held.find("(HINT: only the test rows hold it") != std::string::npos);
  const Table v =
      model_table("p4.csv", "id,species,island,mass,year\n9,Adelie,Dream,heavy,2007\n", p);
  CHECK(error_of<DataError>([&] {
          encode_rows(p, v, {0});
        }).find("p4.csv:2: column 'mass' is numeric") != std::string::npos);
}

TEST_CASE("the auto task rule and its reasons") {
  auto task_of = [](const std::string& labels, TaskChoice choice = TaskChoice::Auto) {
    std::string text = "x,y\n";
    size_t start = 0;
    int i = 0;
    while (start < labels.size()) {
      const size_t end = std::min(labels.find(' ', start), labels.size());
      text += std::to_string(i++) + "," + labels.substr(start, end - start) + "\n";
      start = end + 1;
    }
    const Table t = table_of("task.csv", text);
    return fit_preprocessing(t, rows_of(t), {.label = "y", .task = choice});
  };
  const Preprocessing text = task_of("cat dog cat NA");
  CHECK(text.task == Task::Classification);
  CHECK(text.task_reason == "'y' holds text such as 'cat'");
  const Preprocessing fraction = task_of("1 2 2.5 3");
  CHECK(fraction.task == Task::Regression);
  CHECK(fraction.task_reason == "'y' holds numbers with fractions such as 2.5");
  std::string many;
  for (int i = 0; i < 21; ++i) many += std::to_string(i * 3) + " ";
  many.pop_back();
  const Preprocessing wide = task_of(many);
  CHECK(wide.task == Task::Regression);
  CHECK(wide.task_reason == "'y' holds 21 distinct whole numbers (more than 20)");
  CHECK(wide.target_mean == doctest::Approx(30.0));
  const Preprocessing few = task_of("10 2 2 10 1");
  CHECK(few.task == Task::Classification);
  CHECK(few.classes == std::vector<std::string>{"1", "2", "10"});  // numeric order, not text
  CHECK(task_of("1 2 2.5 3", TaskChoice::Classification).classes.size() == 4);
  CHECK(task_of("1 2 2 1", TaskChoice::Regression).task == Task::Regression);
  CHECK(error_of<DataError>([&] {
          task_of("a b", TaskChoice::Regression);
        }).find("needs a numeric label") != std::string::npos);
  CHECK(error_of<DataError>([&] { task_of("a a a"); }).find("classification needs at least 2") !=
        std::string::npos);
  CHECK(error_of<DataError>([&] {
          task_of("NA NA");
        }).find("task.csv: the label 'y' is missing in every training row") != std::string::npos);
  // Many distinct numbers and a stray cell: neither task is guessed.
  const std::string stray = error_of<DataError>([&] { task_of(many + " inf"); });
  CHECK(stray.find("task.csv: the label 'y' holds 22 distinct values, all numbers but 'inf': a "
                   "numeric column with stray cells, or class names?") != std::string::npos);
  CHECK(task_of(many + " inf", TaskChoice::Classification).classes.size() == 22);
  // Few distinct values with one text cell stay classes (class names that happen to be numbers).
  CHECK(task_of("1 2 3 other").task == Task::Classification);
}

TEST_CASE("a column of numbers with decimal commas is not taken as categories") {
  std::string text = "w;kind\n";
  for (int i = 0; i < 20; ++i) text += fmt::format("{},{};{}\n", i, i % 10, i % 2 ? "a" : "b");
  const std::string path = file_of("commas.csv", text);
  const Table t = read_table(path, {.delimiter = ';'}, default_na_values(),
                             training_plan({.label = "kind"}, path));
  const std::string msg =
      error_of<DataError>([&] { fit_preprocessing(t, rows_of(t), {.label = "kind"}); });
  CHECK(msg.find("column 'w' holds numbers written with a comma ('0,0', 20 of its 20 distinct "
                 "values)") != std::string::npos);
  CHECK(msg.find("--decimal ,") != std::string::npos);
  // Asked for as categories, they are categories; read with --decimal , they are numbers.
  CHECK(fit_preprocessing(t, rows_of(t), {.label = "kind", .categorical = {"w"}})
            .features[0]
            .categories.size() == 20);
  const Table numbers = read_table(path, {.delimiter = ';', .decimal = ','}, default_na_values(),
                                   training_plan({.label = "kind"}, path));
  CHECK(fit_preprocessing(numbers, rows_of(numbers), {.label = "kind"}).features[0].kind ==
        ColumnKind::Numeric);
}

TEST_CASE("column_notes: a category column with about one value per row looks like an identifier") {
  std::string text = "name,colour,x,y\n";
  for (int i = 0; i < 60; ++i)
    text += fmt::format("id{},{},{},{}\n", i, i % 3 ? "red" : "blue", i, i % 2 ? "a" : "b");
  const Table t = table_of("ids.csv", text, {.label = "y"});
  const Preprocessing p = fit_preprocessing(t, rows_of(t), {.label = "y"});
  const std::vector<std::string> notes = column_notes(p, 60);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0] ==
        "column 'name' has 60 distinct values in 60 training rows: an identifier? Its one-hot "
        "inputs cannot carry to new rows (HINT: --ignore name)");
  CHECK(column_notes(p, 121).empty());  // fewer than one value for every other row
  const Preprocessing forced =
      fit_preprocessing(t, rows_of(t), {.label = "y", .categorical = {"name"}});
  CHECK(column_notes(forced, 60).empty());  // asked for: the user knows
}

TEST_CASE("a number beyond a float's range is an error where it is read or encoded") {
  const Table big = table_of("big.csv", "x,y\n1,a\n1e39,b\n2,a\n");
  CHECK(error_of<DataError>([&] {
          fit_preprocessing(big, rows_of(big), {.label = "y"});
        }).find("big.csv:3: column 'x' holds a number beyond a float's range") !=
        std::string::npos);
  const Table t = table_of("small.csv", "x,y\n1,a\n2,b\n3,a\n");
  const Preprocessing p = fit_preprocessing(t, rows_of(t), {.label = "y"});
  const RowEncoder encoder(p, {"x", "y"}, "new.csv", false);
  std::vector<float> x(static_cast<size_t>(p.num_inputs()));
  CHECK(error_of<DataError>([&] {
          encoder.encode({"-1e39", "a"}, x.data());
        }).find("new.csv: column 'x' holds a number beyond a float's range") != std::string::npos);
  // A float, but not once standardised by a standard deviation below 1.
  CHECK(error_of<DataError>([&] {
          encoder.encode({"3e38", "a"}, x.data());
        })
            .find("new.csv: column 'x' holds 3e+38, which standardises to inf with the training "
                  "mean 2") != std::string::npos);
  CHECK_NOTHROW(encoder.encode({"1e30", "a"}, x.data()));
  CHECK(std::isfinite(x[0]));
}

TEST_CASE("columns_text: three or more neighbours encoded alike share a line") {
  std::string text = "p1,p2,p3,p4,p5,colour,y\n";
  for (int i = 0; i < 6; ++i)
    text += fmt::format("0,0,0,{},0,{},{}\n", i, i % 2 ? "red" : "blue", i % 2);
  const Table t = table_of("pixels.csv", text, {.label = "y"});
  const std::string shown = columns_text(fit_preprocessing(t, rows_of(t), {.label = "y"}));
  CHECK(shown.find("p1 .. p3  numeric      missing -> median 0; (x - 0) / 1 (3 columns)\n") !=
        std::string::npos);
  auto line = [](const char* name, const char* type, const std::string& encoding) {
    return fmt::format("\n{:<8}  {:<11}  {}\n", name, type, encoding);
  };
  CHECK(shown.find(line("p4", "numeric", "missing -> median 2.5; (x - 2.5) / 1.70783")) !=
        std::string::npos);
  CHECK(shown.find(line("p5", "numeric", "missing -> median 0; (x - 0) / 1")) !=
        std::string::npos);  // encoded as p1-p3, but not their neighbour: a line of its own
  CHECK(shown.find("\ncolour    categorical") != std::string::npos);
}

TEST_CASE("bad column choices list the file's columns") {
  const Table t = table_of("p5.csv", kTable, {.label = "species"});
  CHECK(error_of<DataError>([&] {
          fit_preprocessing(t, rows_of(t), {.label = "kind"});
        }).find("--label: no column 'kind'") != std::string::npos);
  CHECK(error_of<DataError>([&] {
          fit_preprocessing(t, rows_of(t), {.label = "species", .ignore = {"sex"}});
        }).find("its columns are: id, species, island, mass, year") != std::string::npos);
  CHECK(error_of<DataError>([&] {
          fit_preprocessing(t, rows_of(t), {.label = "species", .categorical = {"species"}});
        }).find("is the label column") != std::string::npos);
  CHECK(error_of<DataError>([&] {
          fit_preprocessing(t, rows_of(t),
                            {.label = "species", .ignore = {"id", "island", "mass", "year"}});
        }).find("no feature column") != std::string::npos);
}

TEST_CASE("--na-values replaces the markers") {
  const char* text = "x,y\n1,a\n-,b\nNA,a\n4,b\n";
  const Table t = table_of("na.csv", text);
  CHECK(column(fit_preprocessing(t, rows_of(t), {.label = "y"}), "x").kind ==
        ColumnKind::Categorical);  // "-" is text by default
  const PreprocessingOptions o{.label = "y", .na_values = {"-"}};
  const Preprocessing p = fit_preprocessing(table_of("na2.csv", text, o), {0, 1, 3}, o);
  CHECK(column(p, "x").kind == ColumnKind::Numeric);
  CHECK(column(p, "x").median == 2.5);
}

TEST_CASE("the preprocessing survives JSON exactly, and bad JSON names the key") {
  const Table t = table_of("j.csv", kTable, {.label = "species"});
  Preprocessing p = fit_preprocessing(t, rows_of(t), {.label = "species", .ignore = {"id"}});
  const Preprocessing q = preprocessing_from_json(to_json(p), "m.safetensors");
  CHECK(to_json(q) == to_json(p));
  CHECK(q.input_names() == p.input_names());
  CHECK(column(q, "mass").std == column(p, "mass").std);  // doubles round-trip bit for bit
  const Table r = table_of("r.csv", "x,y\n1,2.5\n2,3.5\n3,1.25\n");
  const Preprocessing reg = fit_preprocessing(r, rows_of(r), {.label = "y"});
  const Preprocessing reg2 = preprocessing_from_json(to_json(reg), "m");
  CHECK(reg2.task == Task::Regression);
  CHECK(reg2.target_mean == reg.target_mean);
  CHECK(reg2.target_std == reg.target_std);
  CHECK(error_of<DataError>([] { preprocessing_from_json("{", "m.st"); }).find("not valid JSON") !=
        std::string::npos);
  CHECK(error_of<DataError>([] {
          preprocessing_from_json("{\"version\":1}", "m.st");
        }).find("m.st: the preprocessing metadata lacks 'label'") != std::string::npos);
  std::string bad = to_json(p);
  bad.replace(bad.find("\"numeric\""), 9, "\"numerik\"");
  CHECK(error_of<DataError>([&] {
          preprocessing_from_json(bad, "m.st");
        }).find("'features[1].type' is 'numerik'") != std::string::npos);
  std::string wrong_type = to_json(p);
  wrong_type.replace(wrong_type.find("\"median\":"), 9, "\"median\":\"x\",\"old\":");
  CHECK(error_of<DataError>([&] {
          preprocessing_from_json(wrong_type, "m.st");
        }).find("'features[1].median' has the wrong type") != std::string::npos);
}
