// Tests of tabular/model_file.hpp and tabular/evaluate.hpp: a model file round-trips weights and
// preprocessing, a weights-only file is refused with a clear message, predict streams CSV with
// class names and probabilities, its labels reproduce evaluate's accuracy exactly, and an error
// leaves no output file behind; a CNN's file keeps its image shape, and columns a CNN cannot read
// are named.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <sstream>
#include <string>

#include "minigrad/generator.hpp"
#include "minigrad/io/safetensors.hpp"
#include "minigrad/tabular/evaluate.hpp"
#include "support/error_of.hpp"

using namespace minigrad;
using namespace minigrad::tabular;
using minigrad::error_of;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir() {
  const fs::path dir = fs::temp_directory_path() / ("minigrad_eval_" + std::to_string(getpid()));
  fs::create_directories(dir);
  return dir;
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = (temp_dir() / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// A table read as minigrad train reads it, with `label` as the label.
Table training_table(const std::string& path, const std::string& label) {
  const PreprocessingOptions o{.label = label};
  return read_table(path, {}, o.na_values, training_plan(o, path));
}

// Two features and a text class: "big" when a + b > 1, with a colour that carries no signal.
std::string table_text(int rows, uint64_t seed) {
  Generator gen(seed);
  std::string text = "a,colour,b,kind\n";
  for (int i = 0; i < rows; ++i) {
    const float a = gen.uniform(), b = gen.uniform();
    const char* colour = i % 3 == 0 ? "red" : i % 3 == 1 ? "blue" : "NA";
    text += fmt::format("{:.4f},{},{:.4f},{}\n", a, colour, b, a + b > 1 ? "big" : "small");
  }
  return text;
}

TabularModel trained_model(const Table& t) {
  std::vector<int64_t> rows(static_cast<size_t>(t.rows));
  std::iota(rows.begin(), rows.end(), 0);
  const Preprocessing prep = fit_preprocessing(t, rows, {.label = "kind"});
  TabularModel m = make_model(prep, {.hidden = {8}, .dropout = 0.0f}, 3);
  const EncodedRows enc = encode_rows(prep, t, rows);
  fit(*m.model, enc, EncodedRows{}, prep.task, {.epochs = 20, .lr = 0.01, .optimizer = "adam"});
  m.model->eval();
  return m;
}

}  // namespace

TEST_CASE("a model file round-trips weights and preprocessing; predict matches evaluate") {
  const Table t = training_table(write_temp("train.csv", table_text(300, 1)), "kind");
  const TabularModel m = trained_model(t);
  const std::string path = (temp_dir() / "m.safetensors").string();
  save_model(path, m);
  const TabularModel back = load_model(path);
  CHECK(to_json(back.prep) == to_json(m.prep));
  CHECK(back.mlp.hidden == std::vector<int64_t>{8});
  // PyTorch's names for the weights.
  const io::SafetensorsContents file = io::load_safetensors_with_metadata(path);
  CHECK(file.tensors.front().name.rfind("network.", 0) == 0);
  CHECK(file.metadata.at("format") == "pt");

  // Test rows with the columns shuffled, an extra column, and the label (ignored by predict).
  const std::string test_path = write_temp("test.csv", [] {
    const std::string text = table_text(120, 2);
    std::istringstream in(text);
    std::string line, out;
    bool header = true;
    while (std::getline(in, line)) {
      std::vector<std::string> c;
      std::stringstream ss(line);
      for (std::string cell; std::getline(ss, cell, ',');) c.push_back(cell);
      out += (header ? "kind,extra" : c[3] + ",x") + std::string(",") + c[2] + "," + c[0] + "," +
             c[1] + "\n";
      header = false;
    }
    return out;
  }());
  std::ostringstream out;
  CHECK(predict_csv(back, test_path, out, {.proba = true}) == 120);
  std::istringstream lines(out.str());
  std::string line;
  std::getline(lines, line);
  CHECK(line == "prediction,big,small");
  const Table test =
      read_table(test_path, {}, back.prep.na_values, model_plan(back.prep, "", test_path));
  int64_t correct = 0, n = 0;
  while (std::getline(lines, line)) {
    const std::string predicted = line.substr(0, line.find(','));
    CHECK((predicted == "big" || predicted == "small"));
    const double p_big = std::stod(line.substr(line.find(',') + 1));
    CHECK(((predicted == "big") == (p_big >= 0.5)));
    correct += predicted == test.text(n, 0);
    ++n;
  }
  CHECK(n == 120);
  std::vector<int64_t> rows(120);
  std::iota(rows.begin(), rows.end(), 0);
  const TabularEvaluation e = evaluate_model(back, encode_rows(back.prep, test, rows));
  CHECK(e.confusion.correct() == correct);
  CHECK(e.accuracy > 0.85);
  CHECK(evaluation_json(e, "test").find("\"test_accuracy\"") != std::string::npos);
}

TEST_CASE("regression predictions come back in the target's units") {
  std::string text = "x,y\n";
  for (int i = 0; i < 200; ++i) text += fmt::format("{},{}\n", i * 0.01, 1000 + 30 * i * 0.01);
  const Table t = training_table(write_temp("reg.csv", text), "y");
  std::vector<int64_t> rows(200);
  std::iota(rows.begin(), rows.end(), 0);
  const Preprocessing prep = fit_preprocessing(t, rows, {.label = "y"});
  REQUIRE(prep.task == Task::Regression);
  TabularModel m = make_model(prep, {.hidden = {8}, .batchnorm = false, .dropout = 0.0f}, 1);
  fit(*m.model, encode_rows(prep, t, rows), EncodedRows{}, prep.task,
      {.epochs = 60, .lr = 0.01, .optimizer = "adam"});
  const TabularEvaluation e = evaluate_model(m, encode_rows(prep, t, rows));
  CHECK(e.regression.r2 > 0.99);
  CHECK(e.regression.mae < 3.0);  // in y's units (y spans 1000..1060)
  std::ostringstream out;
  predict_csv(m, write_temp("reg_new.csv", "x\n1.0\n"), out, {});
  const double y = std::stod(out.str().substr(out.str().find('\n') + 1));
  CHECK(y == doctest::Approx(1030).epsilon(0.005));
}

TEST_CASE("a category training never saw is encoded as zeros and named in a note") {
  const Table t = training_table(write_temp("train3.csv", table_text(60, 4)), "kind");
  const TabularModel m = trained_model(t);
  // 'green' and 'pink' are new, 'NA' is missing (its own category), 'red' is known.
  const std::string path =
      write_temp("new_colours.csv", "a,colour,b\n0.5,green,0.5\n0.5,red,0.5\n0.5,pink,0.5\n");
  std::vector<std::string> unseen;
  std::ostringstream out;
  CHECK(predict_csv(m, path, out, {.unseen_categories = &unseen}) == 3);
  REQUIRE(unseen.size() == 1);
  CHECK(unseen[0] ==
        "column 'colour': 2 rows held a category not seen in training ('green', ...), encoded as "
        "all zeros");
  // The encoding itself: all of colour's one-hot inputs zero for 'green', one set for 'red'.
  const Table rows = read_table(path, {}, m.prep.na_values, model_plan(m.prep, "", path));
  const RowEncoder encoder(m.prep, rows.columns, path, false);
  const std::vector<std::string> names = m.prep.input_names();
  std::vector<float> green(names.size()), red(names.size());
  encoder.encode(rows, 0, green.data());
  encoder.encode(rows, 1, red.data());
  float green_sum = 0, red_sum = 0;
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i].rfind("colour=", 0) == 0) green_sum += green[i], red_sum += red[i];
  CHECK(green_sum == 0.0f);
  CHECK(red_sum == 1.0f);
  CHECK(encoder.unseen_categories().size() == 1);
  // Known categories only: no note.
  std::vector<std::string> none;
  predict_csv(m, write_temp("known.csv", "a,colour,b\n0.5,blue,0.5\n0.5,NA,0.5\n"), out,
              {.unseen_categories = &none});
  CHECK(none.empty());
}

TEST_CASE("predict --keep copies columns in front of each prediction, quoted as needed") {
  const Table t = training_table(write_temp("train4.csv", table_text(60, 5)), "kind");
  const TabularModel m = trained_model(t);
  std::string text = "id,a,colour,b,note\n";
  for (int i = 0; i < 1500; ++i)  // more than a chunk of rows
    text += fmt::format("r{},0.{},red,0.5,\"x, {}\"\n", i, i % 10, i);
  const std::string path = write_temp("keep.csv", text);
  std::ostringstream plain, kept;
  CHECK(predict_csv(m, path, plain, {}) == 1500);
  CHECK(predict_csv(m, path, kept, {.keep = {"id", "-1"}}) == 1500);
  std::istringstream a(plain.str()), b(kept.str());
  std::string la, lb;
  std::getline(a, la);
  std::getline(b, lb);
  CHECK(lb == "id,note,prediction");
  for (int i = 0; std::getline(a, la) && std::getline(b, lb); ++i)
    REQUIRE(lb == fmt::format("r{},\"x, {}\",{}", i, i, la));
  const std::string out_path = (temp_dir() / "keep_out.csv").string();
  CHECK(error_of<DataError>([&] {
          predict_to_file(m, path, out_path, {.keep = {"ident"}});
        }).find("--keep: no column 'ident' in") != std::string::npos);
  CHECK_FALSE(fs::exists(out_path));
}

TEST_CASE("model files without metadata, missing columns and bad cells are clear errors") {
  const Table t = training_table(write_temp("train2.csv", table_text(50, 3)), "kind");
  const TabularModel m = trained_model(t);
  const std::string weights_only = (temp_dir() / "plain.safetensors").string();
  io::save_safetensors(weights_only, m.model->state_dict());
  CHECK(error_of<std::runtime_error>([&] {
          load_model(weights_only);
        }).find("no preprocessing metadata") != std::string::npos);
  const std::string out_path = (temp_dir() / "pred.csv").string();
  const std::string lacking = write_temp("lacking.csv", "a,colour\n0.5,red\n");
  CHECK(error_of<std::runtime_error>([&] {
          predict_to_file(m, lacking, out_path, {});
        }).find("the model needs the column 'b'") != std::string::npos);
  CHECK_FALSE(fs::exists(out_path));
  CHECK_FALSE(fs::exists(out_path + ".partial"));
  // A bad cell after the first chunk: the error names its line and still no file is left.
  std::string big = "a,colour,b\n";
  for (int i = 0; i < 3000; ++i) big += "0.5,red,0.25\n";
  big += "0.5,red,heavy\n";
  const std::string bad = write_temp("bad.csv", big);
  CHECK(error_of<std::runtime_error>([&] {
          predict_to_file(m, bad, out_path, {});
        }).find("bad.csv:3002: column 'b' is numeric in the model, but a cell holds 'heavy'") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(out_path));
  CHECK(csv_cell("a,b") == "\"a,b\"");
  CHECK(csv_cell("say \"x\"") == "\"say \"\"x\"\"\"");
  CHECK(csv_cell("plain") == "plain");
}

TEST_CASE("a CNN's model file keeps its image shape and weights; non-pixel columns are named") {
  // 1x4x4 images: "top" when the upper half is brighter.
  Generator gen(5);
  std::string text = "kind";
  for (int j = 0; j < 16; ++j) text += fmt::format(",p{}", j);
  for (int i = 0; i < 64; ++i) {
    text += i % 2 ? "\ntop" : "\nbottom";
    for (int j = 0; j < 16; ++j)
      text += fmt::format(",{:.3f}", gen.uniform() + ((j < 8) == (i % 2 == 1) ? 1.0f : 0.0f));
  }
  const Table t = training_table(write_temp("images.csv", text + "\n"), "kind");
  std::vector<int64_t> rows(64);
  std::iota(rows.begin(), rows.end(), 0);
  const Preprocessing prep = fit_preprocessing(t, rows, {.label = "kind"});
  nn::CnnOptions shape;
  shape.channels = 1, shape.height = 4, shape.width = 4, shape.hidden = 8;
  TabularModel m = make_cnn_model(prep, shape, 2);
  const EncodedRows enc = encode_rows(prep, t, rows);
  fit(*m.model, enc, EncodedRows{}, prep.task, {.epochs = 2, .batch_size = 16, .lr = 0.05});
  m.model->eval();
  const std::string path = (temp_dir() / "cnn.safetensors").string();
  save_model(path, m);
  const TabularModel back = load_model(path);
  REQUIRE(back.cnn.has_value());
  CHECK(back.cnn->height == 4);
  CHECK(back.cnn->hidden == 8);
  CHECK(back.model->type_name() == "CNN");
  const io::SafetensorsContents file = io::load_safetensors_with_metadata(path);
  CHECK(std::any_of(file.tensors.begin(), file.tensors.end(),
                    [](const auto& t) { return t.name == "network.0.weight"; }));
  CHECK(evaluate_model(back, enc).loss == evaluate_model(m, enc).loss);

  shape.height = 5;
  CHECK(error_of<std::invalid_argument>([&] {
          make_cnn_model(prep, shape, 2);
        }).find("the table has 16 pixel columns, which is not the 20 pixels of a 1x5x4 image") !=
        std::string::npos);
  const Table mixed = training_table(write_temp("mixed.csv", table_text(40, 3)), "kind");
  std::vector<int64_t> mixed_rows(40);
  std::iota(mixed_rows.begin(), mixed_rows.end(), 0);
  const Preprocessing mixed_prep = fit_preprocessing(mixed, mixed_rows, {.label = "kind"});
  CHECK(error_of<std::invalid_argument>([&] {
          make_cnn_model(mixed_prep, shape, 2);
        }).find("column 'colour' is categorical") != std::string::npos);
}
