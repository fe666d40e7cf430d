// What the table fuzz target does with one input: the text is a CSV file as `minigrad train`
// reads it, then learns its preprocessing, encodes its rows, saves the preprocessing as a model
// file's metadata and reads it back, and streams the file through the encoder as `predict` does.
// Shared by the libFuzzer harness (fuzz_table.cpp) and the doctest suite (test_fuzz_inputs.cpp).
// Refused inputs end in a DataError; anything else is a finding.
#pragma once

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "minigrad/tabular/preprocessing.hpp"
#include "require.hpp"

namespace fuzz {

/// The first byte picks the options: bits 0-1 the delimiter (, ; tab |), bits 2-3 the header
/// mode (auto, present, absent), bit 4 decimal commas (with a delimiter other than ','), bits 5-6
/// the label (first, last, 'label', second), bit 7 the task (auto, or classification). The rest is
/// the file. Rows that encode must be finite, one per labelled row, with class ids in range, and
/// the predict path must encode each row as train did.
inline void table_input(std::span<const uint8_t> input) {
  using namespace minigrad::tabular;
  using minigrad::data::DataError;
  if (input.empty()) return;
  const uint8_t choice = input[0];
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("minigrad_fuzz_table_" + std::to_string(getpid()) + ".csv"))
                               .string();
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(input.data()) + 1,
             static_cast<std::streamsize>(input.size() - 1));
  ReadOptions read;
  constexpr char kDelimiters[] = {',', ';', '\t', '|'};
  read.delimiter = kDelimiters[choice & 3];
  read.header = (choice >> 2 & 3) == 1   ? minigrad::data::Header::Present
                : (choice >> 2 & 3) == 2 ? minigrad::data::Header::Absent
                                         : minigrad::data::Header::Auto;
  if ((choice >> 4 & 1) && read.delimiter != ',') read.decimal = ',';
  PreprocessingOptions options;
  constexpr const char* kLabels[] = {"0", "last", "label", "1"};
  options.label = kLabels[choice >> 5 & 3];
  if (choice >> 7) options.task = TaskChoice::Classification;
  try {
    const Table t = read_table(path, read, options.na_values, training_plan(options, path));
    std::vector<int64_t> rows(static_cast<size_t>(t.rows));
    std::iota(rows.begin(), rows.end(), 0);
    const Preprocessing p = fit_preprocessing(t, rows, options);
    const EncodedRows e = encode_rows(p, t, rows);
    require(e.inputs == p.num_inputs() && e.x.size() == static_cast<size_t>(e.rows * e.inputs),
            "rows x inputs values");
    require(e.rows + e.label_missing == t.rows, "every row encoded or counted as unlabelled");
    for (float v : e.x) require(std::isfinite(v), "encoded inputs are finite");
    for (float y : e.y) {
      require(std::isfinite(y), "targets are finite");
      if (p.task == Task::Classification)
        require(y >= 0 && y < static_cast<float>(p.classes.size()) && y == std::floor(y),
                "a class id names a class");
    }
    const std::string saved = to_json(p);
    require(to_json(preprocessing_from_json(saved, "fuzz.safetensors")) == saved,
            "the metadata reads back as it was saved");
    // predict's path: the same file streamed row by row, each row encoded as train encoded it.
    TableReader reader(path, read);
    const RowEncoder encoder(p, reader.columns(), path, false);
    std::vector<std::string> cells;
    std::vector<float> x(static_cast<size_t>(e.inputs));
    int64_t row = 0, labelled = 0;
    while (reader.next(cells)) {
      encoder.encode(cells, x.data());
      if (labelled < e.rows && e.source_rows[static_cast<size_t>(labelled)] == row) {
        const float* want = e.x.data() + labelled * e.inputs;
        for (int64_t i = 0; i < e.inputs; ++i)
          require(x[static_cast<size_t>(i)] == want[i], "predict encodes a row as train did");
        ++labelled;
      }
      ++row;
    }
    require(row == t.rows, "predict reads every row train read");
  } catch (const DataError&) {
  }
  std::filesystem::remove(path);
}

}  // namespace fuzz
