// Replays every committed fuzz input (tests/fuzz/<target>/corpus and /regressions) through the
// same code the libFuzzer harnesses run, so that the ordinary suite, and its sanitizer build,
// catch a regression without clang. The regression inputs are the reproducers of past bugs.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
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

}  // namespace

TEST_CASE("fuzz inputs: the CSV reader handles every committed input") {
  const std::vector<fs::path> files = inputs_of("csv");
  CHECK(files.size() >= 15);
  for (const fs::path& p : files) {
    INFO("input: ", p.string());
    CHECK_NOTHROW(fuzz::csv_input(bytes_of(p)));
  }
}

TEST_CASE("fuzz inputs: the safetensors reader and round trip handle every committed input") {
  const std::vector<fs::path> files = inputs_of("safetensors");
  CHECK(files.size() >= 15);
  for (const fs::path& p : files) {
    INFO("input: ", p.string());
    CHECK_NOTHROW(fuzz::safetensors_input(bytes_of(p)));
  }
}

TEST_CASE("fuzz inputs: the preprocessing metadata reader handles every committed input") {
  const std::vector<fs::path> files = inputs_of("metadata");
  CHECK(files.size() >= 10);
  for (const fs::path& p : files) {
    INFO("input: ", p.string());
    CHECK_NOTHROW(fuzz::metadata_input(bytes_of(p)));
  }
}

TEST_CASE("fuzz inputs: the tabular reader, preprocessing and encoders handle every committed input") {
  const std::vector<fs::path> files = inputs_of("table");
  CHECK(files.size() >= 10);
  for (const fs::path& p : files) {
    INFO("input: ", p.string());
    CHECK_NOTHROW(fuzz::table_input(bytes_of(p)));
  }
}
