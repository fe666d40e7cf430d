// Replays every committed fuzz input (tests/fuzz/<target>/corpus and /regressions) through the
// same code the libFuzzer harnesses run, so that the ordinary suite, and its sanitizer build,
// catch a regression without clang. The regression inputs are the reproducers of past bugs.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "fuzz/csv_target.hpp"
#include "fuzz/metadata_target.hpp"
#include "fuzz/safetensors_target.hpp"
#include "fuzz/table_target.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> inputs_of(const std::string& target) {
  std::vector<fs::path> files;
  for (const char* kind : {"corpus", "regressions"})
    for (const auto& e :
         fs::directory_iterator(fs::path(MINIGRAD_SOURCE_DIR) / "tests" / "fuzz" / target / kind))
      if (e.is_regular_file()) files.push_back(e.path());
  return files;
}

std::vector<uint8_t> bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every committed input of `target` (at least `at_least` of them) through its harness `run`: an
// exception escaping a harness is a finding, as under libFuzzer.
void replay(const std::string& target, size_t at_least, void (*run)(std::span<const uint8_t>)) {
  const std::vector<fs::path> files = inputs_of(target);
  CHECK(files.size() >= at_least);
  for (const fs::path& p : files) {
    INFO("input: ", p.string());
    CHECK_NOTHROW(run(bytes_of(p)));
  }
}

}  // namespace

TEST_CASE("fuzz inputs: the CSV reader handles every committed input") {
  replay("csv", 15, fuzz::csv_input);
}

TEST_CASE("fuzz inputs: the safetensors reader and round trip handle every committed input") {
  replay("safetensors", 15, fuzz::safetensors_input);
}

TEST_CASE("fuzz inputs: the preprocessing metadata reader handles every committed input") {
  replay("metadata", 10, fuzz::metadata_input);
}

TEST_CASE(
    "fuzz inputs: the tabular reader, preprocessing and encoders handle every committed input") {
  replay("table", 10, fuzz::table_input);
}
