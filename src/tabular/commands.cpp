// minigrad evaluate / predict / summary, and the pieces every subcommand shares.
#include "minigrad/tabular/commands.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "minigrad/io/atomic_file.hpp"
#include "minigrad/nn/summary.hpp"
#include "minigrad/tabular/evaluate.hpp"
#include "minigrad/train/args.hpp"
#include "minigrad/train/interrupt.hpp"

namespace minigrad::tabular {

int run_command(const std::string& program, const std::function<int()>& body) {
  return run_command(program, false, body);
}

int run_command(const std::string& program, bool quiet_interrupt,
                const std::function<int()>& body) {
  try {
    return body();
  } catch (const train::Interrupted& e) {  // Ctrl-C or SIGTERM: 128 + signal, as a shell says
    if (!quiet_interrupt) std::fprintf(stderr, "%s: %s\n", program.c_str(), e.what());
    return 128 + e.signal();
  } catch (const std::invalid_argument& e) {  // train::UsageError and bad option values
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), e.what());
    return 2;
  } catch (const std::runtime_error& e) {  // DataError, unreadable or unwritable files
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: internal error: %s\n", program.c_str(), e.what());
    return 1;
  }
}

const Flag kReadFlags[4] = {
    {"Data", "delimiter", "Field delimiter: , ; | or 'tab'", ","},
    {"Data", "header", "First row is a header: auto, yes or no", "auto"},
    {"Data", "skip-rows", "Lines to skip before the header or data", "0"},
    {"Data", "decimal", "Decimal mark of numbers: . or , (',' reads 9,60 as 9.6)", "."},
};

void add_flags(cxxopts::Options& options, std::span<const Flag> flags) {
  for (const Flag& f : flags) {
    if (f.value)
      options.add_option(f.group, "", f.name, f.help,
                         cxxopts::value<std::string>()->default_value(f.value), "");
    else
      options.add_option(f.group, "", f.name, f.help, cxxopts::value<bool>(), "");
  }
}

void add_help(cxxopts::Options& options) {
  options.add_option("", "h", "help", "Show this help", cxxopts::value<bool>(), "");
}

ReadOptions read_flags(const cxxopts::ParseResult& r) {
  ReadOptions o;
  const std::string d = r["delimiter"].as<std::string>();
  if (d == "\\t" || d == "tab")
    o.delimiter = '\t';
  else if (d.size() == 1)
    o.delimiter = d[0];
  else
    train::bad_flag("delimiter", "one character such as , ; | or 'tab'", d);
  const std::string h = r["header"].as<std::string>();
  if (h == "auto")
    o.header = data::Header::Auto;
  else if (h == "yes")
    o.header = data::Header::Present;
  else if (h == "no")
    o.header = data::Header::Absent;
  else
    train::bad_flag("header", "auto, yes or no", h);
  o.skip_rows = train::parse_number<int64_t>("skip-rows", r["skip-rows"].as<std::string>(),
                                             "a non-negative integer", 0);
  const std::string decimal = r["decimal"].as<std::string>();
  if (decimal != "." && decimal != ",") train::bad_flag("decimal", "'.' or ','", decimal);
  o.decimal = decimal[0];
  if (o.decimal == o.delimiter)
    throw train::UsageError(
        "--decimal ',' is also the field delimiter (HINT: files with decimal commas separate "
        "fields by another mark: add --delimiter ';')");
  return o;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    std::string item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    out.push_back(item);
    start = comma + 1;
  }
  return out;
}

namespace {

std::string required(const cxxopts::ParseResult& r, const char* flag, const std::string& what) {
  const std::string v = r[flag].as<std::string>();
  if (v.empty())
    throw train::UsageError(
        fmt::format("--{} is required: {} (HINT: --help lists the flags)", flag, what));
  return v;
}

constexpr Flag kEvaluateFlags[] = {
    {"", "model", "Model file written by minigrad train --save", ""},
    {"", "data", "Labelled CSV table with the model's feature columns", ""},
    {"", "label", "The label column, if its name differs from training's", ""},
    {"", "report", "Write the metrics as JSON", ""},
};
constexpr Flag kPredictFlags[] = {
    {"", "model", "Model file written by minigrad train --save", ""},
    {"", "data", "CSV table with the model's feature columns (any order; others are ignored)", ""},
    {"", "output", "Write the predictions here instead of standard output", ""},
    {"", "keep", "Columns of --data to copy before the prediction (e.g. an id): names or indexes",
     ""},
    {"", "proba", "Add one probability column per class, named by the class", nullptr},
};
constexpr Flag kSummaryFlags[] = {
    {"", "model", "Model file written by minigrad train --save", ""},
};

void write_text(const std::string& path, const std::string& text, const std::string& flag) {
  io::write_file_atomically(
      path, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()), flag);
}

}  // namespace

int evaluate_command(int argc, char** argv) {
  return run_command("minigrad evaluate", [&] {
    cxxopts::Options options("minigrad evaluate", "Metrics of a trained model on a labelled table");
    options.set_width(100);
    add_flags(options, kEvaluateFlags);
    add_flags(options, kReadFlags);
    add_help(options);
    const auto parsed = train::parse_command_line(options, argc, argv);
    if (!parsed) return 0;
    const cxxopts::ParseResult& r = *parsed;
    const std::string model_path = required(r, "model", "the model file to evaluate");
    const std::string data_path = required(r, "data", "a labelled CSV table");
    TabularModel m = load_model(model_path);
    const std::string label = r["label"].as<std::string>();
    Table table = read_table(data_path, read_flags(r), m.prep.na_values,
                             model_plan(m.prep, label, data_path));
    if (!label.empty()) {
      const int64_t c = find_column(table.columns, label, "--label", data_path);
      table.columns[static_cast<size_t>(c)] = m.prep.label;
    }
    std::vector<int64_t> rows(static_cast<size_t>(table.rows));
    for (int64_t i = 0; i < table.rows; ++i) rows[i] = i;
    const EncodedRows enc = encode_rows(m.prep, table, rows);
    if (enc.label_missing)
      std::printf("%lld rows without a label left out\n",
                  static_cast<long long>(enc.label_missing));
    for (const std::string& note : enc.unseen_categories)
      std::printf("note: %s: %s\n", data_path.c_str(), note.c_str());
    if (enc.rows == 0)
      throw DataError(fmt::format("{}: no row has a label in '{}'", data_path, m.prep.label));
    const TabularEvaluation e = evaluate_model(m, enc);
    std::printf("%s", evaluation_text(e, m.prep, "").c_str());
    if (const std::string report = r["report"].as<std::string>(); !report.empty()) {
      nlohmann::ordered_json j = nlohmann::ordered_json::parse(evaluation_json(e, "test"));
      j["model"] = model_path;
      j["data"] = data_path;
      j["rows_without_label"] = enc.label_missing;
      write_text(report, j.dump(2) + "\n", "--report");
    }
    return 0;
  });
}

int predict_command(int argc, char** argv) {
  return run_command("minigrad predict", [&] {
    cxxopts::Options options("minigrad predict",
                             "Predictions of a trained model for the rows of a CSV table");
    options.set_width(100);
    add_flags(options, kPredictFlags);
    add_flags(options, kReadFlags);
    add_help(options);
    const auto parsed = train::parse_command_line(options, argc, argv);
    if (!parsed) return 0;
    const cxxopts::ParseResult& r = *parsed;
    const std::string model_path = required(r, "model", "the model file to predict with");
    const std::string data_path = required(r, "data", "the CSV table to predict for");
    std::vector<std::string> unseen;
    PredictOptions po{read_flags(r), r.count("proba") > 0, &unseen,
                      split_list(r["keep"].as<std::string>())};
    const TabularModel m = load_model(model_path);
    if (po.proba && m.prep.task == Task::Regression)
      throw train::UsageError(
          fmt::format("--proba: {} is a regression model; it has no class "
                      "probabilities",
                      model_path));
    if (const std::string out = r["output"].as<std::string>(); !out.empty()) {
      predict_to_file(m, data_path, out, po);
    } else {
      std::ios::sync_with_stdio(false);
      predict_csv(m, data_path, std::cout, po);
      std::cout.flush();
    }
    for (const std::string& note : unseen)
      std::fprintf(stderr, "minigrad predict: note: %s: %s\n", data_path.c_str(), note.c_str());
    return 0;
  });
}

int summary_command(int argc, char** argv) {
  return run_command("minigrad summary", [&] {
    cxxopts::Options options("minigrad summary",
                             "A model's layers, its columns and how each is encoded");
    options.set_width(100);
    add_flags(options, kSummaryFlags);
    add_help(options);
    const auto parsed = train::parse_command_line(options, argc, argv);
    if (!parsed) return 0;
    const std::string model_path = required(*parsed, "model", "the model file to describe");
    const TabularModel m = load_model(model_path);
    std::printf("%s", nn::summary(*m.model, {1, m.prep.num_inputs()}).c_str());
    std::printf("\n%s", columns_text(m.prep).c_str());
    return 0;
  });
}

}  // namespace minigrad::tabular
