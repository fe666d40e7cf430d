// bench: measured throughput of the documents' model (784-128-64-10, BatchNorm1d, Dropout 0.3,
// SGD lr 0.1) with the same training step the apps use. Prints a table, or JSON with --json:
// training samples/s per batch size and thread count, inference samples/s per thread count, CSV
// load speed, peak memory and the backend in use. Reads --data (by default
// data/fashion-mnist_train.csv; when that default is absent, or with --synthetic, synthetic bytes
// of the same shape). With --sgemm-bound it also times OpenBLAS's sgemm on large matrices, the
// machine's limit for a step made almost only of products, and gives each training row's share.
// With --tabular it times instead what `minigrad train` does before training on a mixed table:
// read, fit the preprocessing, encode (100,000 rows, 10 numeric and 10 categorical columns).
// --model cnn measures make_cnn()'s convolutional model on the same data instead. --load N times
// the thread choice under competition (bench/load.hpp).
// "The documents": README.md#the-documents.
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cxxopts.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <numeric>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "minigrad/autograd.hpp"
#include "minigrad/backend/backend.hpp"
#include "minigrad/data/csv.hpp"
#include "minigrad/data/dataloader.hpp"
#include "minigrad/nn/cnn.hpp"
#include "minigrad/generator.hpp"
#include "minigrad/nn/mlp.hpp"
#include "minigrad/optim/sgd.hpp"
#include "minigrad/train/args.hpp"
#include "minigrad/train/trainer.hpp"
#include "bench/load.hpp"
#include "bench/tabular.hpp"
#include "version_flag.hpp"

#if MINIGRAD_WITH_OPENBLAS
// --sgemm-bound and --gemm measure OpenBLAS and minigrad's kernels themselves, so bench alone
// reaches into the fast backend (src/backend/fast/), past the seam the rest of minigrad uses.
#include "bench/gemm.hpp"
#include "blas.hpp"
#endif

using namespace minigrad;
using Clock = std::chrono::steady_clock;

constexpr const char* kDefaultData = "data/fashion-mnist_train.csv";

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// CPU time of the whole process (all threads), so that a busy machine can still be compared.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

struct Rate {
  double wall;  // samples per second of elapsed time
  double cpu;   // samples per second of CPU time (all threads together)
};

// The model measured: the documents' MLP (or one of other hidden widths, --hidden), or
// make_cnn()'s convolutional one for 1x28x28 images.
struct ModelSpec {
  std::string kind;             // mlp or cnn
  std::vector<int64_t> hidden;  // the MLP's hidden widths
};

std::shared_ptr<nn::Module> make_model(const ModelSpec& spec, int64_t features, Generator& gen) {
  if (spec.kind == "cnn") return nn::make_cnn({}, gen);
  return nn::make_mlp({.in_features = features, .hidden = spec.hidden, .classes = 10}, gen);
}

// Training samples/s over `seconds` of steps, after a warm-up that reaches the steady state
// (buffers allocated, caches warm).
Rate train_throughput(const ModelSpec& spec, const data::Dataset& train, int64_t batch_size,
                      int threads, double seconds) {
  backend::set_num_threads(threads);
  Generator gen(0);
  auto model = make_model(spec, train.num_features(), gen);
  // A CNN step takes about 50 times an MLP step: fewer warm-up steps, and the clock read each step.
  const int warm_up = spec.kind == "cnn" ? 3 : 30, chunk = spec.kind == "cnn" ? 1 : 20;
  optim::SGD sgd(model->parameters(), {.lr = 0.1});
  data::DataLoader loader(train, {.batch_size = batch_size, .shuffle = true}, Generator(1));
  std::vector<int> predictions;
  model->train();
  int64_t b = loader.size();  // forces a new epoch on the first step
  auto next = [&]() -> const data::Batch& {
    if (b >= loader.size()) {
      loader.new_epoch();
      b = 0;
    }
    return loader.batch(b++);
  };
  for (int i = 0; i < warm_up; ++i) train::train_step(*model, sgd, next(), predictions);
  int64_t samples = 0;
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < chunk; ++i) {
      const data::Batch& batch = next();
      train::train_step(*model, sgd, batch, predictions);
      samples += batch.size();
    }
    elapsed = seconds_since(start);
  }
  return {static_cast<double>(samples) / elapsed,
          static_cast<double>(samples) / (cpu_seconds() - cpu_start)};
}

double inference_throughput(const ModelSpec& spec, const data::Dataset& test, double seconds,
                            int threads) {
  backend::set_num_threads(threads);
  Generator gen(0);
  auto model = make_model(spec, test.num_features(), gen);
  model->eval();
  NoGradGuard no_grad;
  // Batches of the rows evaluation forwards at once (kEvalRows): the same products, without the
  // copy that evaluation's cutting of its 1000-row batches into halves makes (narrow).
  data::DataLoader loader(test, {.batch_size = train::kEvalRows});
  int64_t samples = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int64_t b = 0; b < loader.size() && elapsed < seconds; ++b) {  // a CNN batch is slow
      const data::Batch& batch = loader.batch(b);
      train::forward_in_parts(*model, batch.x);  // one part: batch.x has kEvalRows rows
      samples += batch.size();
      elapsed = seconds_since(start);
    }
  }
  return static_cast<double>(samples) / elapsed;
}

// Multiply-adds of one training sample of an MLP (in -> hidden... -> 10; the documents' model is
// 784 -> 128 -> 64 -> 10), counted as 2 FLOP each: the forward product of every layer, its weight
// gradient, and the input gradient of every layer but the first (whose input needs none). Biases,
// BatchNorm, Dropout and the loss are left out.
constexpr int64_t flop_per_sample(int64_t in_features, const std::vector<int64_t>& hidden) {
  int64_t flop = 0, in = in_features;
  for (size_t i = 0; i <= hidden.size(); ++i) {
    const int64_t out = i < hidden.size() ? hidden[i] : 10, mac = in * out;
    flop += 2 * mac /* forward */ + 2 * mac /* dW */ + (i > 0 ? 2 * mac : 0) /* dx */;
    in = out;
  }
  return flop;
}
static_assert(flop_per_sample(784, {128, 64}) == 454400);

// The same count for make_cnn()'s model on 1x28x28 images: each convolution is a product of
// (C_out, C_in·9) by (C_in·9, H·W) per image; the first layer needs no input gradient.
constexpr int64_t cnn_flop_per_sample() {
  const int64_t conv1 = 32 * 1 * 9 * 28 * 28, conv2 = 64 * 32 * 9 * 14 * 14;
  const int64_t fc1 = 3136 * 128, fc2 = 128 * 10;
  return 2 * conv1 * 2 + 2 * (conv2 + fc1 + fc2) * 3;
}
static_assert(cnn_flop_per_sample() == 24995328);

data::Dataset synthetic(int64_t rows) {
  Generator gen(3);
  std::vector<uint8_t> pixels(static_cast<size_t>(rows * 784));
  std::vector<int32_t> labels(static_cast<size_t>(rows));
  for (auto& p : pixels) p = static_cast<uint8_t>(gen.randint(256));
  for (auto& l : labels) l = static_cast<int32_t>(gen.randint(10));
  return data::Dataset::from_bytes(std::move(pixels), std::move(labels), 784);
}

}  // namespace

int main(int argc, char** argv) {
  if (minigrad_app::print_version_if_asked(argc, argv, "bench")) return 0;
  cxxopts::Options options("bench", "Throughput of the documents' model: training, inference, CSV loading");
  options.add_options()
      ("data", "Training CSV (label first, 784 pixels); when this default is absent, synthetic data of its shape", cxxopts::value<std::string>()->default_value(kDefaultData))
      ("synthetic", "Use synthetic data of Fashion-MNIST's shape (60000 x 784 bytes, 10 classes)")
      ("batch-sizes", "Training batch sizes", cxxopts::value<std::string>()->default_value("32,128,256"))
      ("threads", "Thread counts to measure (1 or 2 each)", cxxopts::value<std::string>()->default_value("1,2"))
      ("seconds", "Seconds of measurement per configuration", cxxopts::value<std::string>()->default_value("3"))
      ("sgemm-bound", "Also time OpenBLAS sgemm (2048x2048) on each thread count and give each training row's share of the bound it sets (MINIGRAD_BLAS_CORE=best picks the fastest OpenBLAS kernels for this CPU)")
      ("hidden", "Hidden widths of the MLP (the documents' model: 128,64)", cxxopts::value<std::string>()->default_value("128,64"))
      ("model", "mlp (the documents' MLP) or cnn (make_cnn's convolutional model, 1x28x28 images)", cxxopts::value<std::string>()->default_value("mlp"))
      ("tabular", "Time only the tabular load: read, fit the preprocessing and encode a 100,000-row table of 10 numeric and 10 categorical columns")
      ("gemm", "Time only the sgemm kernels: minigrad's and OpenBLAS's GFLOP/s per product form, size (--gemm-sizes) and thread count (--threads), medians of --rounds interleaved rounds of --seconds each (default 0.25)")
      ("gemm-sizes", "Sizes for --gemm: N or MxNxK, comma-separated", cxxopts::value<std::string>()->default_value("32x128x784,512x128x784,128x784x512,256,512,1024,2048"))
      ("gemm-memory", "Where --gemm's matrices live, for every kernel alike: tensor (the memory a Tensor's storage takes: 2 MiB pages from 256 KiB up) or malloc (4 KiB pages)", cxxopts::value<std::string>()->default_value("tensor"))
      ("rounds", "Interleaved rounds for --gemm and --load", cxxopts::value<std::string>()->default_value("3"))
      ("load", "Time only the thread choice: start N busy processes (0: none) and train --batch-sizes on 1 thread, 2 threads and auto (the apps' default) in --rounds interleaved rounds of --seconds each", cxxopts::value<std::string>())
      ("json", "Print JSON instead of a table")
      ("h,help", "Show this help")
      ("version", "Print the version");
  std::vector<int64_t> batch_sizes, thread_counts;
  double seconds = 3;
  std::string data_path;
  bool synthetic_data = false;
  bool json = false;
  bool sgemm_bound = false;
  int load = -1, rounds = 3;  // load < 0: no --load
  std::string model_kind;
  std::vector<int64_t> hidden;  // --hidden: the MLP's hidden widths
  try {
    const std::optional<cxxopts::ParseResult> parsed = train::parse_command_line(options, argc, argv);
    if (!parsed) return 0;  // --help
    const cxxopts::ParseResult& r = *parsed;
    batch_sizes = train::parse_positive_list("batch-sizes", r["batch-sizes"].as<std::string>(),
                                             "comma-separated positive batch sizes such as 32,256");
    const char* threads_expected = "comma-separated thread counts, each 1 or 2";
    thread_counts = train::parse_positive_list("threads", r["threads"].as<std::string>(),
                                               threads_expected);
    for (const int64_t t : thread_counts)
      if (t > 2) train::bad_flag("threads", threads_expected, r["threads"].as<std::string>());
    const std::string s = r["seconds"].as<std::string>();
    seconds = train::parse_number<double>("seconds", s, "a positive number of seconds");
    if (!(seconds > 0 && seconds < 1e6)) train::bad_flag("seconds", "a positive number of seconds", s);
    data_path = r["data"].as<std::string>();
    synthetic_data = r.count("synthetic") > 0 || (r.count("data") == 0 && !std::filesystem::exists(data_path));
    if (r.count("synthetic") && r.count("data"))
      throw train::UsageError("--data and --synthetic exclude each other (HINT: give one)");
    json = r.count("json") > 0;
    sgemm_bound = r.count("sgemm-bound") > 0;
    backend::name();  // an unknown MINIGRAD_BACKEND is a usage error
#if MINIGRAD_WITH_OPENBLAS
    // Only the bound needs OpenBLAS's best kernels; this may restart bench with them (blas.hpp).
    if (sgemm_bound) blas::init(argc, argv);
#else
    if (sgemm_bound)
      throw train::UsageError(
          "--sgemm-bound times OpenBLAS, which this build leaves out (HINT: configure without "
          "-DMINIGRAD_BACKEND=reference)");
#endif
    model_kind = r["model"].as<std::string>();
    if (model_kind != "mlp" && model_kind != "cnn") train::bad_flag("model", "mlp or cnn", model_kind);
    hidden = train::parse_positive_list("hidden", r["hidden"].as<std::string>(),
                                        "comma-separated positive layer widths such as 128,64");
    if (r.count("hidden") && model_kind != "mlp")
      throw train::UsageError("--hidden sets the MLP's widths (HINT: leave it out with --model cnn)");
    if (r.count("tabular")) return bench::bench_tabular(json);
    rounds = train::parse_number<int>("rounds", r["rounds"].as<std::string>(),
                                      "a positive number of rounds", 1);
    if (r.count("load"))
      load = train::parse_number<int>("load", r["load"].as<std::string>(),
                                      "a number of busy processes from 0 to 8", 0);
    if (load > 8) train::bad_flag("load", "a number of busy processes from 0 to 8", r["load"].as<std::string>());
    if (r.count("gemm")) {
#if MINIGRAD_WITH_OPENBLAS
      blas::init(argc, argv);  // MINIGRAD_BLAS_CORE=best: OpenBLAS's fastest kernels as the peer
      return bench::run_gemm_benchmark(r["gemm-sizes"].as<std::string>(),
                                       r["threads"].as<std::string>(), rounds,
                                       r.count("seconds") ? seconds : 0.25,
                                       r["gemm-memory"].as<std::string>(), json);
#else
      throw train::UsageError(
          "--gemm needs the fast backend (HINT: configure without -DMINIGRAD_BACKEND=reference)");
#endif
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench: error: %s\n", e.what());
    return 2;
  }

  try {
    nlohmann::ordered_json j;
    backend::set_num_threads(1);  // the backend line names one thread; each row sets its own
    j["backend"] = backend::describe();
    data::Dataset train;
    if (!synthetic_data) {
      const auto t0 = Clock::now();
      data::CsvTable table = data::read_csv(data_path);  // names the file and line of any problem
      const double load_s = seconds_since(t0);
      const auto size_mb = static_cast<double>(std::filesystem::file_size(data_path)) / 1e6;
      train = data::Dataset::from_csv(std::move(table));
      j["data"] = data_path;
      j["csv_load"] = {{"megabytes", size_mb}, {"seconds", load_s}, {"mb_per_second", size_mb / load_s}};
      // The documents' model: 10 classes, and every batch size needs that many rows (at least 2,
      // for BatchNorm's variance).
      const int64_t largest = *std::max_element(batch_sizes.begin(), batch_sizes.end());
      if (train.size() < std::max<int64_t>(largest, 2))
        throw train::UsageError(fmt::format(
            "{}: {} row{}, too few for --batch-sizes up to {} (HINT: use smaller batches or more "
            "rows)", data_path, train.size(), train.size() == 1 ? "" : "s", largest));
      if (train.num_classes() > 10)
        throw train::UsageError(fmt::format(
            "{}: labels go up to {}, but the documents' model has 10 classes (0..9) (HINT: use "
            "train_csv for other tables)", data_path, train.num_classes() - 1));
    } else {
      train = synthetic(60000);
      j["data"] = "synthetic 60000 x 784 bytes";
    }
    if (model_kind == "cnn" && train.num_features() != 784)
      throw train::UsageError(fmt::format(
          "{}: {} features per row, but --model cnn takes 1x28x28 images (784 pixels) (HINT: use "
          "--model mlp for other tables)", j["data"].get<std::string>(), train.num_features()));
    j["model"] = model_kind;
    if (model_kind == "mlp") j["hidden"] = hidden;
    train.set_transform(data::FeatureTransform::divide_by(255.0f));
    j["rows"] = train.size();
    if (load >= 0) return bench::run_load_benchmark(train, batch_sizes, load, rounds, seconds, json);

    nlohmann::ordered_json runs = nlohmann::json::array();
    for (int64_t bs : batch_sizes)
      for (int64_t th : thread_counts) {
        const Rate rate = train_throughput({model_kind, hidden}, train, bs, static_cast<int>(th), seconds);
        runs.push_back({{"batch_size", bs}, {"threads", th}, {"samples_per_second", rate.wall},
                        {"samples_per_cpu_second", rate.cpu}});
        if (!json) std::fprintf(stderr, "  batch %4lld, %lld thread(s): %9.0f samples/s (%.0f per CPU-second)\n",
                                static_cast<long long>(bs), static_cast<long long>(th), rate.wall, rate.cpu);
      }
    j["training"] = runs;
    backend::empty_cache();  // as the apps do when training ends: inference's buffers differ
    nlohmann::ordered_json inference = nlohmann::json::array();
    for (int64_t th : thread_counts)
      inference.push_back({{"threads", th},
                           {"samples_per_second", inference_throughput({model_kind, hidden}, train, seconds, static_cast<int>(th))}});
    j["inference"] = inference;
    // The single figure of earlier versions: one thread when measured, else the first count.
    j["inference_samples_per_second"] = inference[0]["samples_per_second"];
    for (const auto& run : inference)
      if (run["threads"] == 1) j["inference_samples_per_second"] = run["samples_per_second"];
    j["peak_rss_mb"] = peak_rss_mb();

    // The bound: training samples/s if every FLOP of a step ran at large-sgemm speed. Measured
    // last, so that its 48 MB of matrices stay out of the peak memory figure.
    std::map<int64_t, double> bound;  // thread count -> samples/s
    const int64_t flop =
        model_kind == "cnn" ? cnn_flop_per_sample() : flop_per_sample(train.num_features(), hidden);
#if MINIGRAD_WITH_OPENBLAS
    if (sgemm_bound) {
      nlohmann::ordered_json rows = nlohmann::json::array();
      for (int64_t th : thread_counts) {
        const double gflops = bench::openblas_sgemm_gflops(static_cast<int>(th), seconds);
        bound[th] = gflops * 1e9 / static_cast<double>(flop);
        rows.push_back(
            {{"threads", th}, {"gflops", gflops}, {"bound_samples_per_second", bound[th]}});
        if (!json) std::fprintf(stderr, "  sgemm 2048x2048, %lld thread(s): %.0f GFLOP/s\n",
                                static_cast<long long>(th), gflops);
      }
      const blas::KernelInfo kernel = blas::kernel_info();
      const std::string kernel_name =
          fmt::format("OpenBLAS, {} kernels chosen by {}", kernel.core, kernel.chosen_by);
      j["sgemm_bound"] = {
          {"kernel", kernel_name},
          {"flop_per_sample", flop},
          {"runs", rows}};
      for (auto& run : j["training"])
        run["share_of_sgemm_bound"] =
            run["samples_per_second"].get<double>() / bound[run["threads"].get<int64_t>()];
    }
#endif

    if (json) {
      std::printf("%s\n", j.dump(2).c_str());
      return 0;
    }
    std::printf("%s\n", j["backend"].get<std::string>().c_str());
    std::printf("model: %s\n", model_kind.c_str());
    std::printf("data: %s (%lld rows)\n", j["data"].get<std::string>().c_str(), static_cast<long long>(train.size()));
    if (j.contains("csv_load"))
      std::printf("CSV load: %.1f MB in %.3f s (%.0f MB/s)\n", j["csv_load"]["megabytes"].get<double>(),
                  j["csv_load"]["seconds"].get<double>(), j["csv_load"]["mb_per_second"].get<double>());
    if (sgemm_bound) {
      std::printf("sgemm bound (%s; %lld FLOP per training sample):",
                  j["sgemm_bound"]["kernel"].get<std::string>().c_str(),
                  static_cast<long long>(flop));
      for (const auto& [th, samples] : bound)
        std::printf(" %.0f samples/s on %lld thread%s%s", samples, static_cast<long long>(th),
                    th == 1 ? "" : "s", th == bound.rbegin()->first ? "\n" : ",");
    }
    std::printf("\n| batch | threads | training samples/s | per CPU-second |%s\n",
                sgemm_bound ? " share of the sgemm bound |" : "");
    std::printf("|---:|---:|---:|---:|%s\n", sgemm_bound ? "---:|" : "");
    for (const auto& run : j["training"]) {
      std::printf("| %lld | %lld | %.0f | %.0f |",
                  static_cast<long long>(run["batch_size"].get<int64_t>()),
                  static_cast<long long>(run["threads"].get<int64_t>()),
                  run["samples_per_second"].get<double>(),
                  run["samples_per_cpu_second"].get<double>());
      if (sgemm_bound) std::printf(" %.2f |", run["share_of_sgemm_bound"].get<double>());
      std::printf("\n");
    }
    std::printf("\ninference (eval mode, batches of %lld rows):",
                static_cast<long long>(train::kEvalRows));
    for (size_t i = 0; i < inference.size(); ++i) {
      const int64_t th = inference[i]["threads"].get<int64_t>();
      std::printf("%s %.0f samples/s on %lld thread%s", i == 0 ? "" : ",",
                  inference[i]["samples_per_second"].get<double>(), static_cast<long long>(th),
                  th == 1 ? "" : "s");
    }
    std::printf("\n");
    std::printf("peak resident memory: %.0f MB\n", j["peak_rss_mb"].get<double>());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench: error: %s\n", e.what());
    return 2;
  }
}
