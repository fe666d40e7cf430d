// What the metadata fuzz target does with one input: the text is the preprocessing JSON that the
// tabular tool stores in a model file's "__metadata__" and reads back before predicting. Shared
// by the libFuzzer harness (fuzz_metadata.cpp) and the doctest suite (test_fuzz_inputs.cpp).
// Refused inputs end in a DataError; anything else is a finding.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "minigrad/tabular/preprocessing.hpp"
#include "require.hpp"

namespace fuzz {

/// Metadata that loads must describe a usable model: as many input names as inputs, at least one
/// output, the same preprocessing after a save and reload, and finite inputs for a row of
/// missing cells (each numeric cell imputed with its median).
inline void metadata_input(std::span<const uint8_t> input) {
  using namespace minigrad::tabular;
  const std::string text(reinterpret_cast<const char*>(input.data()), input.size());
  Preprocessing p;
  try {
    p = preprocessing_from_json(text, "fuzz.safetensors");
  } catch (const minigrad::data::DataError&) {
    return;
  }
  const int64_t inputs = p.num_inputs();
  require(inputs >= 1 && static_cast<int64_t>(p.input_names().size()) == inputs,
          "one name per input");
  require(p.num_outputs() >= 1, "a model has outputs");
  const std::string saved = to_json(p);
  require(to_json(preprocessing_from_json(saved, "saved")) == saved,
          "saving what was loaded gives the same text");
  std::vector<std::string> columns;
  for (const ColumnEncoding& f : p.features) columns.push_back(f.name);
  const RowEncoder encoder(p, columns, "fuzz.csv", false);
  std::vector<float> x(static_cast<size_t>(inputs));
  encoder.encode(std::vector<std::string>(columns.size(), ""), x.data());
  for (float v : x) require(std::isfinite(v), "a row of missing cells encodes to finite inputs");
}

}  // namespace fuzz
