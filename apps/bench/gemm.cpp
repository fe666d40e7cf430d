// bench --gemm (see gemm.hpp). Every configuration (form, size, thread count, kernel) is timed
// once per round, the kernels of one configuration back to back, so that a neighbour's build
// slows them alike; the table gives the median over rounds and the ratio of the medians.
#include "gemm.hpp"

#include <cblas.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "blas.hpp"
#include "gemm_kernels.hpp"
#include "minigrad/backend/scratch.hpp"
#include "minigrad/generator.hpp"
#include "minigrad/train/args.hpp"

namespace minigrad::bench {

namespace {

using Clock = std::chrono::steady_clock;

struct Shape {
  int64_t m, n, k;
};

struct Form {
  const char* name;
  bool ta, tb;
};
// Linear's products: y = x·Wᵀ, dW = dyᵀ·x, dx = dy·W.
constexpr Form kForms[] = {{"A·Bᵀ", false, true}, {"Aᵀ·B", true, false}, {"A·B", false, false}};

std::vector<Shape> parse_shapes(const std::string& text) {
  const char* expected = "comma-separated sizes, each N or MxNxK with positive whole numbers";
  std::vector<Shape> shapes;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    std::vector<int64_t> sides;
    size_t s = 0;
    while (s <= item.size()) {
      const size_t x = std::min(item.find('x', s), item.size());
      const int64_t side =
          train::parse_number<int64_t>("gemm-sizes", item.substr(s, x - s), expected, 1);
      if (side > 16384) train::bad_flag("gemm-sizes", "sides of at most 16384", text);
      sides.push_back(side);
      s = x + 1;
    }
    if (sides.size() == 1)
      shapes.push_back({sides[0], sides[0], sides[0]});
    else if (sides.size() == 3)
      shapes.push_back({sides[0], sides[1], sides[2]});
    else
      train::bad_flag("gemm-sizes", expected, text);
    start = comma + 1;
  }
  return shapes;
}

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// GFLOP per second of wall time and per second of the process's CPU time (all its threads: on a
// loaded machine the second is what a kernel costs, the first also what the scheduler gave it)
// of `multiply`, one product of `flop`, called until `seconds` have passed (at least twice, the
// first call a warm-up that is not counted).
struct Rate {
  double wall, cpu;
};
template <class F>
Rate gflops(const F& multiply, double flop, double seconds) {
  multiply();
  int64_t calls = 0;
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  double elapsed = 0;
  do {
    multiply();
    ++calls;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  const double total = flop * static_cast<double>(calls) / 1e9;
  return {total / elapsed, total / (cpu_seconds() - cpu_start)};
}

// One operand or result. "tensor" memory is the backend's, where a Tensor's storage comes from:
// buffers of 256 KiB and more lie in 2 MiB pages that Linux backs with huge
// pages (src/backend/fast/buffer_cache.cpp), so a 4096 x 4096 matrix spans 32 pages, not 16,384.
// "malloc" memory is a std::vector's, on 4 KiB pages. Every kernel in a row reads the same buffers.
class Operand {
 public:
  Operand(int64_t count, bool tensor_memory) {
    if (tensor_memory)
      scratch_.emplace(count, 0.0f);
    else
      vector_.assign(static_cast<size_t>(count), 0.0f);
  }
  float* data() { return scratch_ ? scratch_->data() : vector_.data(); }
  std::span<float> values() {
    return {data(), scratch_ ? static_cast<size_t>(scratch_->size()) : vector_.size()};
  }

 private:
  std::optional<backend::Scratch<float>> scratch_;
  std::vector<float> vector_;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

// The kernels compared: minigrad's gemm() as training calls it (tiles or packed panels by size,
// split in two with 2 threads), the unpacked tiles alone (one thread: the kernels before packing
// existed), and OpenBLAS.
enum Kernel { kMinigrad, kTiles, kOpenBlas, kKernels };
constexpr const char* kKernelNames[] = {"minigrad", "tiles", "openblas"};

}  // namespace

double openblas_sgemm_gflops(int threads, double seconds) {
  constexpr int n = 2048;
  blas::set_num_threads(threads);
  Generator gen(5);
  Operand a(int64_t{n} * n, true), b(int64_t{n} * n, true), c(int64_t{n} * n, true);
  for (auto& v : a.values()) v = static_cast<float>(gen.randint(1000)) / 1000.0f;
  for (auto& v : b.values()) v = static_cast<float>(gen.randint(1000)) / 1000.0f;
  const Rate rate = gflops(
      [&] {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(),
                    n, 0.0f, c.data(), n);
      },
      2.0 * n * n * n, seconds);
  blas::set_num_threads(1);
  return rate.wall;
}

int run_gemm_benchmark(const std::string& sizes, const std::string& threads, int rounds,
                       double seconds, const std::string& memory, bool json) {
  if (memory != "tensor" && memory != "malloc")
    train::bad_flag("gemm-memory", "tensor or malloc", memory);
  const bool tensor_memory = memory == "tensor";
  const std::vector<Shape> shapes = parse_shapes(sizes);
  const std::vector<int64_t> thread_counts =
      train::parse_positive_list("threads", threads, "comma-separated thread counts, each 1 or 2");
  for (const int64_t t : thread_counts)
    if (t > 2) train::bad_flag("threads", "comma-separated thread counts, each 1 or 2", threads);
  const kernels::Isa isa = kernels::isa();

  struct Row {
    Shape shape;
    const Form* form;
    int threads;
    std::vector<double> runs[kKernels], cpu_runs[kKernels];
  };
  std::vector<Row> rows;
  for (const Shape& s : shapes)
    for (const Form& f : kForms)
      for (const int64_t t : thread_counts) rows.push_back({s, &f, static_cast<int>(t), {}, {}});

  Generator gen(5);
  for (int round = 0; round < rounds; ++round) {
    for (Row& row : rows) {
      const int64_t m = row.shape.m, n = row.shape.n,
                    k = row.shape.k;  // named, not bound: lambdas capture them
      Operand a(m * k, tensor_memory), b(k * n, tensor_memory), c(m * n, tensor_memory);
      for (float& v : a.values()) v = gen.uniform(-1.0f, 1.0f);
      for (float& v : b.values()) v = gen.uniform(-1.0f, 1.0f);
      const bool ta = row.form->ta, tb = row.form->tb;
      const double flop = 2.0 * static_cast<double>(m) * static_cast<double>(n) * k;
      // Alternate which kernel goes first from round to round.
      for (int step = 0; step < kKernels; ++step) {
        const int which = (step + round) % kKernels;
        if (which == kTiles && (row.threads != 1 || isa == kernels::Isa::None)) continue;
        if (which == kMinigrad && isa == kernels::Isa::None) continue;
        Rate rate{};
        // OpenBLAS's pool threads spin for a while after its last threaded call (and from the
        // program's start): ended before every timing that runs without them, so that their
        // CPU time is counted for neither library.
        blas::set_num_threads(which == kOpenBlas ? row.threads : 1);
        if (which != kOpenBlas || row.threads == 1) blas::stop_idle_pool();
        if (which == kMinigrad) {
          kernels::set_num_threads(row.threads);
          rate = gflops(
              [&] { kernels::gemm(ta, tb, m, n, k, 1.0f, a.data(), b.data(), 0.0f, c.data()); },
              flop, seconds);
          kernels::set_num_threads(1);
        } else if (which == kTiles) {
          rate = gflops(
              [&] {
                kernels::gemm_with(isa, ta, tb, m, n, k, 1.0f, a.data(), b.data(), 0.0f, c.data());
              },
              flop, seconds);
        } else {
          rate = gflops(
              [&] {
                cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                            tb ? CblasTrans : CblasNoTrans, static_cast<int>(m),
                            static_cast<int>(n), static_cast<int>(k), 1.0f, a.data(),
                            static_cast<int>(ta ? m : k), b.data(), static_cast<int>(tb ? k : n),
                            0.0f, c.data(), static_cast<int>(n));
              },
              flop, seconds);
          blas::set_num_threads(1);
        }
        row.runs[which].push_back(rate.wall);
        row.cpu_runs[which].push_back(rate.cpu);
      }
    }
    std::fprintf(stderr, "bench --gemm: round %d of %d done\n", round + 1, rounds);
  }

  const blas::KernelInfo blas_kernels = blas::kernel_info();
  nlohmann::json j;
  j["minigrad_kernels"] = kernels::isa_name();
  j["openblas"] =
      fmt::format("{} kernels (chosen by {})", blas_kernels.core, blas_kernels.chosen_by);
  j["rounds"] = rounds;
  j["seconds_per_run"] = seconds;
  j["memory"] = memory;
  for (const Row& row : rows) {
    nlohmann::json r = {{"form", row.form->name},
                        {"m", row.shape.m},
                        {"n", row.shape.n},
                        {"k", row.shape.k},
                        {"threads", row.threads}};
    for (int which = 0; which < kKernels; ++which)
      if (!row.runs[which].empty()) {
        r[kKernelNames[which]] = median(row.runs[which]);
        r[fmt::format("{}_per_cpu_second", kKernelNames[which])] = median(row.cpu_runs[which]);
      }
    // The ratio of each round's pair, measured side by side, then their median.
    if (r.contains("minigrad")) {
      std::vector<double> ratios, cpu_ratios;
      for (size_t i = 0; i < row.runs[kMinigrad].size(); ++i) {
        ratios.push_back(row.runs[kMinigrad][i] / row.runs[kOpenBlas][i]);
        cpu_ratios.push_back(row.cpu_runs[kMinigrad][i] / row.cpu_runs[kOpenBlas][i]);
      }
      r["ratio"] = median(ratios);
      r["ratio_per_cpu_second"] = median(cpu_ratios);
    }
    j["runs"].push_back(r);
  }
  if (json) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("minigrad's kernels: %s; OpenBLAS: %s\n",
              j["minigrad_kernels"].get<std::string>().c_str(),
              j["openblas"].get<std::string>().c_str());
  std::printf("Matrices in %s. ", tensor_memory ? "tensor memory (2 MiB pages from 256 KiB up)"
                                                : "malloc memory (4 KiB pages)");
  std::printf("Medians of %d interleaved rounds of %.2f s each. ", rounds, seconds);
  std::printf("GFLOP/s of wall time (and per CPU-second); ratios of each round's pair\n\n");
  std::printf(
      "| form | m x n x k | threads | minigrad | tiles alone | OpenBLAS | minigrad / OpenBLAS |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|\n");
  auto cell = [](const nlohmann::json& r, const std::string& key) {
    const std::string cpu = key + "_per_cpu_second";
    return r.contains(key)
               ? fmt::format("{:.1f} ({:.1f})", r[key].get<double>(), r[cpu].get<double>())
               : std::string("-");
  };
  for (const auto& r : j["runs"])
    std::printf("| %s | %lld x %lld x %lld | %d | %s | %s | %s | %s |\n",
                r["form"].get<std::string>().c_str(), static_cast<long long>(r["m"].get<int64_t>()),
                static_cast<long long>(r["n"].get<int64_t>()),
                static_cast<long long>(r["k"].get<int64_t>()), r["threads"].get<int>(),
                cell(r, "minigrad").c_str(), cell(r, "tiles").c_str(), cell(r, "openblas").c_str(),
                r.contains("ratio") ? fmt::format("{:.2f} ({:.2f})", r["ratio"].get<double>(),
                                                  r["ratio_per_cpu_second"].get<double>())
                                          .c_str()
                                    : "-");
  return 0;
}

}  // namespace minigrad::bench
