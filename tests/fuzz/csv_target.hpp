// What the CSV fuzz target does with one input, shared by the libFuzzer harness (fuzz_csv.cpp)
// and the doctest suite, which replays every committed input (test_fuzz_inputs.cpp). The target
// returns when the input is handled: parsed, or refused with a DataError. Anything else is a
// finding: another exception escapes, or a broken invariant calls std::abort().
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "minigrad/data/class_labels.hpp"
#include "minigrad/data/csv.hpp"
#include "require.hpp"

namespace fuzz {

/// The CSV reader: the first byte picks the options (delimiter, header mode, label column), the
/// rest is the text. A table that loads must be consistent and finite.
inline void csv_input(std::span<const uint8_t> input) {
  using namespace minigrad::data;
  if (input.empty()) return;
  const uint8_t choice = input[0];
  const std::string_view text(reinterpret_cast<const char*>(input.data()) + 1, input.size() - 1);
  CsvOptions options;
  constexpr char kDelimiters[] = {',', ';', '\t', '|', ' ', ',', ',', ','};
  options.delimiter = kDelimiters[choice & 7];
  options.header = (choice >> 3 & 3) == 1   ? Header::Present
                   : (choice >> 3 & 3) == 2 ? Header::Absent
                                            : Header::Auto;
  switch (choice >> 5 & 3) {
    case 1:
      options.label = LabelColumn::last();
      break;
    case 2:
      options.label = LabelColumn::none();
      break;
    case 3:
      options.label = LabelColumn::name("label");
      break;
    default:
      break;
  }
  options.skip_rows = choice >> 7;
  try {
    const CsvTable t = parse_csv(text, "fuzz.csv", options);
    const auto cells = static_cast<size_t>(t.rows * t.cols);
    require(t.rows > 0 && t.cols >= 0, "a table has rows");
    require((t.features_are_bytes ? t.feature_bytes.size() : t.features.size()) == cells,
            "features hold rows x cols values");
    require(t.labels.empty() || t.labels.size() == static_cast<size_t>(t.rows),
            "one label per row");
    for (float v : t.features) require(std::isfinite(v), "features are finite");
    const ClassLabels classes = ClassLabels::of(t.labels);
    require(classes.size() <= options.max_classes, "at most max_classes distinct labels");
    const std::vector<int32_t> indices = encode_labels(t, classes, "the table");
    for (size_t i = 0; i < indices.size(); ++i)
      require(classes.label(indices[i]) == t.labels[i], "a label's index stands for it");
  } catch (const DataError&) {
  }
}

}  // namespace fuzz
