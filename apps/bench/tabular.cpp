// bench --tabular (see tabular.hpp).
#include "tabular.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "minigrad/generator.hpp"
#include "minigrad/tabular/preprocessing.hpp"

namespace minigrad::bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

// A deterministic 100,000-row table (10 numeric columns with 2% missing cells, 10 categorical
// ones with 5 to 50 levels, a text label) written to a temporary file; prints the median of 5
// rounds of read_table, fit_preprocessing and encode_rows.
int bench_tabular(bool json) {
  const int64_t rows = 100000;
  const std::string path =
      (std::filesystem::temp_directory_path() / fmt::format("minigrad_bench_{}.csv", getpid()))
          .string();
  {
    Generator gen(7);
    std::string text;
    for (int c = 0; c < 10; ++c) text += fmt::format("num{},", c);
    for (int c = 0; c < 10; ++c) text += fmt::format("cat{},", c);
    text += "label\n";
    for (int64_t r = 0; r < rows; ++r) {
      for (int c = 0; c < 10; ++c)
        text += gen.uniform() < 0.02f ? std::string("NA,") : fmt::format("{:.4f},", gen.normal());
      for (int c = 0; c < 10; ++c) text += fmt::format("level{},", gen.randint(5 + 5 * c));
      text += gen.uniform() < 0.5f ? "yes\n" : "no\n";
    }
    std::FILE* f = std::fopen(path.c_str(), "wb");
    const bool ok = f && std::fwrite(text.data(), 1, text.size(), f) == text.size();
    if (f) std::fclose(f);
    if (!ok) throw std::runtime_error("bench --tabular: cannot write " + path);
  }
  // CPU seconds beside the wall clock: on a shared machine the wall clock also counts the time
  // other processes held the cores.
  std::vector<double> read_s, fit_s, encode_s, total_s, cpu_s;
  int64_t inputs = 0;
  for (int round = 0; round < 5; ++round) {
    const std::clock_t cpu0 = std::clock();
    auto t = Clock::now();
    const tabular::PreprocessingOptions options{.label = "label"};
    const tabular::Table table =
        tabular::read_table(path, {}, options.na_values, tabular::training_plan(options, path));
    read_s.push_back(seconds_since(t));
    std::vector<int64_t> all(static_cast<size_t>(table.rows));
    std::iota(all.begin(), all.end(), int64_t{0});
    t = Clock::now();
    const tabular::Preprocessing prep = tabular::fit_preprocessing(table, all, options);
    fit_s.push_back(seconds_since(t));
    t = Clock::now();
    inputs = tabular::encode_rows(prep, table, all).inputs;
    encode_s.push_back(seconds_since(t));
    total_s.push_back(read_s.back() + fit_s.back() + encode_s.back());
    cpu_s.push_back(static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC);
  }
  const auto mb = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
  std::filesystem::remove(path);
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  if (json) {
    const nlohmann::ordered_json j = {{"rows", rows},
                                      {"columns", 21},
                                      {"megabytes", mb},
                                      {"inputs", inputs},
                                      {"read_s", median(read_s)},
                                      {"fit_s", median(fit_s)},
                                      {"encode_s", median(encode_s)},
                                      {"total_s", median(total_s)},
                                      {"cpu_s", median(cpu_s)}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf(
        "tabular load: %lld rows x 21 columns (%.1f MB; %lld inputs after encoding), "
        "median of 5: read %.3f s + fit %.3f s + encode %.3f s = %.3f s (%.3f s of CPU)\n",
        static_cast<long long>(rows), mb, static_cast<long long>(inputs), median(read_s),
        median(fit_s), median(encode_s), median(total_s), median(cpu_s));
  }
  return 0;
}
}  // namespace minigrad::bench
