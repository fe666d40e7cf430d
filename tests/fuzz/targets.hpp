// What each fuzz target does with one input, shared by the libFuzzer harnesses (fuzz_*.cpp) and
// the doctest suite, which replays every committed input (test_fuzz_inputs.cpp). A target
// returns when the input is handled: parsed, or refused with the documented exception. Anything
// else is a finding: another exception escapes, or a broken invariant calls std::abort().
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>

#include "minigrad/data/csv.hpp"
#include "minigrad/io/safetensors.hpp"

namespace fuzz {

// An invariant the code under test promises; a failure is a finding, reported loudly.
inline void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

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
    for (int32_t label : t.labels) require(label >= 0, "labels are non-negative");
  } catch (const DataError&) {
  }
}

/// The safetensors reader, and the writer on what it read: a file that loads is saved again,
/// and the saved bytes load to the same tensors and save to the same bytes.
inline void safetensors_input(std::span<const uint8_t> input) {
  using namespace minigrad;
  io::SafetensorsContents first;
  try {
    first = io::deserialize_safetensors(input, "fuzz.safetensors");
  } catch (const std::runtime_error&) {
    return;
  }
  for (const NamedTensor& nt : first.tensors)
    for (float v : nt.tensor.to_vector()) require(std::isfinite(v), "loaded values are finite");
  std::vector<uint8_t> saved;
  try {
    saved = io::serialize_safetensors(first.tensors, first.metadata);
  } catch (const std::invalid_argument&) {
    return;  // an I64 value beyond what float32 holds exactly cannot be written back
  }
  const io::SafetensorsContents second = io::deserialize_safetensors(saved, "saved");
  require(second.metadata == first.metadata, "metadata survives a round trip");
  require(second.tensors.size() == first.tensors.size(), "every tensor survives a round trip");
  for (size_t i = 0; i < first.tensors.size(); ++i) {
    const NamedTensor& a = first.tensors[i];
    const NamedTensor* b = nullptr;
    for (const NamedTensor& nt : second.tensors)
      if (nt.name == a.name) b = &nt;
    require(b != nullptr && b->dtype == a.dtype && b->tensor.shape() == a.tensor.shape(),
            "names, dtypes and shapes survive a round trip");
    const auto n = static_cast<size_t>(a.tensor.numel());
    require(n == 0 || std::memcmp(a.tensor.data(), b->tensor.data(), n * sizeof(float)) == 0,
            "values survive a round trip bit for bit");
  }
  require(io::serialize_safetensors(second.tensors, second.metadata) == saved,
          "saving what was loaded gives the same bytes");
}

}  // namespace fuzz
