// Training and inference throughput of the documents' Fashion-MNIST model (or, with --model cnn,
// make_cnn()'s convolutional model) in libtorch (C++), the peer of
// tests/reference/peer_pytorch_bench.py: same workload, flags and JSON fields.
//
// Workload, per (batch size, thread count) configuration:
//   model  MyNN: Linear(784,128) BatchNorm1d ReLU Dropout(0.3) Linear(128,64) BatchNorm1d ReLU
//          Dropout(0.3) Linear(64,10); cross-entropy loss; SGD lr 0.1 (--model cnn: models.hpp's
//          Net("cnn") on the rows seen as 1x28x28 images, SGD lr 0.05 momentum 0.9; the
//          convolution backend libtorch picks, oneDNN (mkldnn) when built with it, is reported)
//   data   preloaded float32 tensor [N,784] (pixels/255) and int64 labels, from a
//          label,pixel1..pixel784 CSV (all rows are training rows), or synthetic data of the same
//          shape when no CSV is found
//   train  each epoch: randperm(N), batches by index_select, forward, loss, zero_grad, backward,
//          step, loss.item(); only this loop is timed, for --seconds after a few warm-up steps
//          (--warmup-steps, default 5), or for exactly --steps steps: with --warmup-steps 0
//          --steps 30 on the 60,000 rows of Fashion-MNIST at batch 2048, a first epoch from cold
//   infer  eval mode, NoGradGuard, forward over consecutive batches of the same size
// Each configuration runs in a fresh process (this executable again, through /proc/self/exe) so
// that its peak RSS and thread settings are its own. Threads are set in ATen
// (at::set_num_threads) and in OpenBLAS (openblas_set_num_threads, looked up at run time);
// --blas-threads N gives OpenBLAS a count of its own.
//
// machine.cpp reports the BLAS, threads and memory. Built on its own, never by minigrad's build or
// CI:
//   cmake -S tests/reference/peer_libtorch -B build-peer-libtorch -DCMAKE_BUILD_TYPE=Release
//   cmake --build build-peer-libtorch
//   build-peer-libtorch/peer_libtorch_bench [--data F] [--batch-sizes 32,128,256] [--threads 1,2]
//       [--seconds 3] [--model mlp|cnn] [--hidden 128,64] [--json out.json|-]
// "The documents": README.md#the-documents.

#include <torch/torch.h>
#include <torch/version.h>
#include <ATen/Context.h>

#include "machine.hpp"
#include "models.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace peer;

constexpr int64_t kFeatures = 784;
constexpr int64_t kClasses = 10;

// ------------------------------------------------------------------------------------------------
// Options
// ------------------------------------------------------------------------------------------------
struct Options {
    std::string data = "data/fmnist_small.csv";
    std::optional<int64_t> rows;
    std::vector<int> batch_sizes{32, 128, 256};
    std::vector<int> threads{1, 2};
    int blas_threads = 0;  // 0: the same as the configuration's thread count
    double seconds = 3.0;
    int warmup_steps = 5;
    int64_t steps = 0;  // > 0: time exactly this many training steps instead of --seconds
    uint64_t seed = 0;
    std::string json;
    std::string model = "mlp";
    std::vector<int> hidden{128, 64};  // the MLP's hidden widths
    bool same_process = false;
    bool child = false;
};

[[noreturn]] void usage(const std::string& message) {
    std::cerr << "peer_libtorch_bench: " << message << "\n"
              << "usage: peer_libtorch_bench [--data CSV] [--rows N] [--batch-sizes 32,128,256]\n"
              << "       [--threads 1,2] [--seconds S] [--warmup-steps N] [--steps N] [--seed N]\n"
              << "       [--json FILE|-]\n"
              << "       [--blas-threads N] [--same-process] [--model mlp|cnn] [--hidden 128,64]\n";
    std::exit(2);
}

// A flag's number, read by parse(text, &end) (strtoll, strtoull or strtod); anything else (or a
// number with text after it) is a usage error naming the flag and what it needs, as parse_list's.
template <class Parse>
auto flag_number(const std::string& flag, const std::string& text, const char* what, Parse parse) {
    char* end = nullptr;
    errno = 0;
    const auto v = parse(text.c_str(), &end);
    if (text.empty() || *end != '\0' || errno == ERANGE)
        usage(flag + " needs " + what + ", not '" + text + "'");
    return v;
}
long long whole_value(const std::string& flag, const std::string& text) {
    return flag_number(flag, text, "a whole number",
                       [](const char* s, char** end) { return std::strtoll(s, end, 10); });
}
uint64_t seed_value(const std::string& flag, const std::string& text) {
    return flag_number(flag, text, "a whole number",
                       [](const char* s, char** end) { return std::strtoull(s, end, 10); });
}
double decimal_value(const std::string& flag, const std::string& text) {
    return flag_number(flag, text, "a number",
                       [](const char* s, char** end) { return std::strtod(s, end); });
}

std::vector<int> parse_list(const std::string& text) {
    std::vector<int> values;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        if (item.empty()) continue;
        char* end = nullptr;
        long v = std::strtol(item.c_str(), &end, 10);
        if (*end != '\0' || v <= 0) usage("not a positive integer list: " + text);
        values.push_back(static_cast<int>(v));
    }
    if (values.empty()) usage("empty list: " + text);
    return values;
}

// [128,64]: the MLP's hidden widths as a JSON list (also the printed header's form).
std::string hidden_json(const std::vector<int>& hidden) {
    std::string text = "[";
    for (size_t i = 0; i < hidden.size(); ++i) text += (i ? "," : "") + std::to_string(hidden[i]);
    return text + "]";
}

Options parse_args(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(a + " needs a value");
            return argv[++i];
        };
        if (a == "--data") o.data = value();
        else if (a == "--rows") o.rows = whole_value(a, value());
        else if (a == "--batch-sizes") o.batch_sizes = parse_list(value());
        else if (a == "--threads") o.threads = parse_list(value());
        else if (a == "--blas-threads") o.blas_threads = static_cast<int>(whole_value(a, value()));
        else if (a == "--seconds") o.seconds = decimal_value(a, value());
        else if (a == "--warmup-steps") o.warmup_steps = static_cast<int>(whole_value(a, value()));
        else if (a == "--steps") {
            o.steps = whole_value(a, value());
            if (o.steps <= 0) usage("--steps must be a positive integer");
        }
        else if (a == "--seed") o.seed = seed_value(a, value());
        else if (a == "--json") o.json = value();
        else if (a == "--model") {
            o.model = value();
            if (o.model != "mlp" && o.model != "cnn") usage("--model must be mlp or cnn, not " + o.model);
        }
        else if (a == "--hidden") o.hidden = parse_list(value());
        else if (a == "--same-process") o.same_process = true;
        else if (a == "--child") o.child = true;
        else if (a == "-h" || a == "--help") usage("help");
        else usage("unknown argument " + a);
    }
    return o;
}

// ------------------------------------------------------------------------------------------------
// Data
// ------------------------------------------------------------------------------------------------
struct Data {
    torch::Tensor x;  // float32 [N,784], pixels/255
    torch::Tensor y;  // int64 [N]
    std::string source;
};

Data load_data(const Options& o) {
    std::ifstream in(o.data, std::ios::binary);
    if (in) {
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const char* p = text.c_str();
        const char* end = p + text.size();
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', text.size()));
        if (!nl) usage(o.data + ": no header line");
        p = nl + 1;
        std::vector<float> pixels;
        std::vector<int64_t> labels;
        while (p < end && (!o.rows || static_cast<int64_t>(labels.size()) < *o.rows)) {
            if (*p == '\n' || *p == '\r') { ++p; continue; }
            for (int64_t col = 0; col <= kFeatures; ++col) {
                char* next = nullptr;
                long v = std::strtol(p, &next, 10);
                if (next == p) usage(o.data + ": bad number in row " + std::to_string(labels.size() + 1));
                if (col == 0) {
                    if (v < 0 || v >= kClasses) usage(o.data + ": label out of range");
                    labels.push_back(v);
                } else {
                    if (v < 0 || v > 255) usage(o.data + ": pixel out of range");
                    pixels.push_back(static_cast<float>(static_cast<double>(v) / 255.0));
                }
                p = next;
                if (col < kFeatures) {
                    if (*p != ',') usage(o.data + ": expected " + std::to_string(kFeatures + 1) + " columns");
                    ++p;
                }
            }
        }
        const auto n = static_cast<int64_t>(labels.size());
        Data d;
        d.x = torch::from_blob(pixels.data(), {n, kFeatures}, torch::kFloat32).clone();
        d.y = torch::from_blob(labels.data(), {n}, torch::kInt64).clone();
        d.source = "csv:" + o.data;
        return d;
    }
    const int64_t n = o.rows.value_or(6000);
    std::mt19937_64 rng(o.seed);
    std::uniform_int_distribution<int> pixel(0, 255), label(0, kClasses - 1);
    std::vector<float> pixels(static_cast<size_t>(n * kFeatures));
    std::vector<int64_t> labels(static_cast<size_t>(n));
    for (auto& v : pixels) v = static_cast<float>(pixel(rng) / 255.0);
    for (auto& v : labels) v = label(rng);
    Data d;
    d.x = torch::from_blob(pixels.data(), {n, kFeatures}, torch::kFloat32).clone();
    d.y = torch::from_blob(labels.data(), {n}, torch::kInt64).clone();
    d.source = "synthetic:" + std::to_string(n) + "x" + std::to_string(kFeatures);
    return d;
}

// ------------------------------------------------------------------------------------------------
// One configuration
// ------------------------------------------------------------------------------------------------
struct Result {
    int batch_size = 0, threads = 0;
    double train_rate = 0, train_seconds = 0, train_cpu = 0, last_loss = 0;
    double infer_rate = 0, infer_seconds = 0, infer_cpu = 0;
    int64_t infer_samples = 0;
    int64_t train_steps = 0;
    long rss_before = 0, rss_after = 0, peak_rss = 0;
    double load = 0;
    int torch_threads = 0, openblas_threads = -1;

    std::string json() const {
        std::ostringstream j;
        j.setf(std::ios::fixed);
        j.precision(1);
        j << "{\"batch_size\": " << batch_size << ", \"threads\": " << threads
          << ", \"train_samples_per_s\": " << train_rate << ", \"train_steps\": " << train_steps;
        j.precision(3);
        j << ", \"train_seconds\": " << train_seconds << ", \"train_cpu_seconds\": " << train_cpu;
        j.precision(1);
        j << ", \"train_samples_per_cpu_s\": " << (train_cpu > 0 ? train_rate * train_seconds / train_cpu : 0.0);
        j.precision(5);
        j << ", \"last_loss\": " << last_loss;
        j.precision(1);
        j << ", \"infer_samples_per_s\": " << infer_rate;
        j.precision(3);
        j << ", \"infer_seconds\": " << infer_seconds << ", \"infer_cpu_seconds\": " << infer_cpu;
        j.precision(1);
        j << ", \"infer_samples_per_cpu_s\": " << (infer_cpu > 0 ? static_cast<double>(infer_samples) / infer_cpu : 0.0);
        j << ", \"rss_before_model_kib\": " << rss_before
          << ", \"rss_after_kib\": " << rss_after << ", \"peak_rss_kib\": " << peak_rss;
        j.precision(2);
        j << ", \"load_average_1min\": " << load << ", \"torch_threads\": " << torch_threads
          << ", \"openblas_threads\": ";
        if (openblas_threads >= 0) j << openblas_threads; else j << "null";
        j << "}";
        return j.str();
    }
};

Result run_config(const Data& d, int batch_size, int threads, const Options& o) {
    using clock = std::chrono::steady_clock;
    set_threads(threads, o.blas_threads);
    torch::manual_seed(o.seed);
    const int64_t n = d.x.size(0);
    Result r;
    r.batch_size = batch_size;
    r.threads = threads;
    r.rss_before = current_rss_kib();

    Net model(o.model, o.hidden);
    torch::optim::SGD optimizer(model->parameters(), o.model == "cnn"
                                                         ? torch::optim::SGDOptions(0.05).momentum(0.9)
                                                         : torch::optim::SGDOptions(0.1));

    torch::Tensor perm;
    int64_t cursor = n;  // forces a new permutation on the first call
    auto next_batch = [&](torch::Tensor& xb, torch::Tensor& yb) {
        for (;;) {
            if (cursor >= n) {
                perm = torch::randperm(n, torch::kInt64);
                cursor = 0;
            }
            const int64_t stop = std::min(n, cursor + batch_size);
            auto idx = perm.slice(0, cursor, stop);
            cursor = stop;
            if (idx.numel() < 2) continue;  // BatchNorm cannot train on a single row
            xb = d.x.index_select(0, idx);
            yb = d.y.index_select(0, idx);
            return;
        }
    };
    auto step = [&](const torch::Tensor& xb, const torch::Tensor& yb) {
        auto outputs = model->forward(xb);
        auto loss = torch::nn::functional::cross_entropy(outputs, yb);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        return loss.item<float>();
    };

    model->train();
    torch::Tensor xb, yb;
    for (int i = 0; i < o.warmup_steps; ++i) {
        next_batch(xb, yb);
        step(xb, yb);
    }
    int64_t samples = 0;
    const auto t0 = clock::now();
    const double c0 = cpu_seconds();
    double elapsed = 0;
    while (o.steps > 0 ? r.train_steps < o.steps : elapsed < o.seconds) {
        next_batch(xb, yb);
        r.last_loss = step(xb, yb);
        samples += yb.size(0);
        ++r.train_steps;
        elapsed = std::chrono::duration<double>(clock::now() - t0).count();
    }
    r.train_cpu = cpu_seconds() - c0;
    r.train_seconds = elapsed;
    r.train_rate = static_cast<double>(samples) / elapsed;

    model->eval();
    {
        torch::NoGradGuard no_grad;
        for (int64_t s = 0; s < std::min(n, static_cast<int64_t>(batch_size) * o.warmup_steps); s += batch_size)
            model->forward(d.x.slice(0, s, std::min(n, s + batch_size)));
        int64_t infer_samples = 0, position = 0;
        const auto t1 = clock::now();
        const double c1 = cpu_seconds();
        double elapsed_i = 0;
        while (elapsed_i < o.seconds) {
            auto chunk = d.x.slice(0, position, std::min(n, position + batch_size));
            model->forward(chunk);
            infer_samples += chunk.size(0);
            position = position + batch_size < n ? position + batch_size : 0;
            elapsed_i = std::chrono::duration<double>(clock::now() - t1).count();
        }
        r.infer_cpu = cpu_seconds() - c1;
        r.infer_samples = infer_samples;
        r.infer_seconds = elapsed_i;
        r.infer_rate = static_cast<double>(infer_samples) / elapsed_i;
    }
    r.rss_after = current_rss_kib();
    r.peak_rss = peak_rss_kib();
    r.load = load_average();
    r.torch_threads = at::get_num_threads();
    if (auto nt = blas_symbol<int (*)()>("openblas_get_num_threads")) r.openblas_threads = nt();
    return r;
}

// Runs one configuration in a fresh copy of this executable and returns its JSON line.
std::string run_child(int argc, char** argv, int batch_size, int threads) {
    std::vector<std::string> args;
    for (int i = 0; i < argc; ++i) args.emplace_back(argv[i]);
    args.insert(args.end(), {"--child", "--batch-sizes", std::to_string(batch_size), "--threads",
                             std::to_string(threads), "--json", "-"});
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        std::vector<char*> cargs;
        for (auto& a : args) cargs.push_back(a.data());
        cargs.push_back(nullptr);
        execv("/proc/self/exe", cargs.data());
        std::perror("execv");
        _exit(127);
    }
    close(fds[1]);
    std::string out;
    char buf[4096];
    ssize_t got;
    while ((got = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(got));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error("configuration batch " + std::to_string(batch_size) + " threads " +
                                 std::to_string(threads) + " failed");
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    auto last = out.find_last_of('\n');
    return last == std::string::npos ? out : out.substr(last + 1);
}

// Pulls a number out of a flat JSON line written by Result::json.
double field(const std::string& line, const std::string& key) {
    auto pos = line.find("\"" + key + "\": ");
    if (pos == std::string::npos) return NAN;
    return std::strtod(line.c_str() + pos + key.size() + 4, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse_args(argc, argv);
    Data d = load_data(o);

    if (o.child) {
        std::cout << run_config(d, o.batch_sizes.front(), o.threads.front(), o).json() << std::endl;
        return 0;
    }

    std::printf("libtorch %s; OpenBLAS core %s (OPENBLAS_CORETYPE=%s); data %s, %lld rows\n", TORCH_VERSION,
                openblas_corename().c_str(), std::getenv("OPENBLAS_CORETYPE") ? std::getenv("OPENBLAS_CORETYPE") : "",
                d.source.c_str(), static_cast<long long>(d.x.size(0)));
    std::printf("model %s (hidden %s); mkldnn (oneDNN) convolutions available: %s\n", o.model.c_str(),
                o.model == "mlp" ? hidden_json(o.hidden).c_str() : "-", at::hasMKLDNN() ? "true" : "false");
    std::printf("%5s %3s %15s %15s %11s %11s %12s %20s %5s\n", "batch", "thr", "train samples/s",
                "infer samples/s", "train/cpu-s", "infer/cpu-s", "peak RSS MiB", "RSS MiB before/after", "load");
    std::fflush(stdout);

    std::vector<std::string> lines;
    for (int batch_size : o.batch_sizes)
        for (int threads : o.threads) {
            std::string line = o.same_process ? run_config(d, batch_size, threads, o).json()
                                              : run_child(argc, argv, batch_size, threads);
            lines.push_back(line);
            char before_after[64];
            std::snprintf(before_after, sizeof before_after, "%.1f/%.1f", field(line, "rss_before_model_kib") / 1024,
                          field(line, "rss_after_kib") / 1024);
            std::printf("%5d %3d %15.0f %15.0f %11.0f %11.0f %12.1f %20s %5.2f\n", batch_size, threads,
                        field(line, "train_samples_per_s"), field(line, "infer_samples_per_s"),
                        field(line, "train_samples_per_cpu_s"), field(line, "infer_samples_per_cpu_s"),
                        field(line, "peak_rss_kib") / 1024, before_after, field(line, "load_average_1min"));
            std::fflush(stdout);
        }

    if (!o.json.empty()) {
        std::ostringstream j;
        j << "{\n  \"framework\": \"libtorch\",\n  \"version\": " << json_string(TORCH_VERSION) << ",\n"
          << "  \"environment\": {\"OPENBLAS_CORETYPE\": " << env_json("OPENBLAS_CORETYPE")
          << ", \"OPENBLAS_L2_SIZE\": " << env_json("OPENBLAS_L2_SIZE")
          << ", \"OPENBLAS_NUM_THREADS\": " << env_json("OPENBLAS_NUM_THREADS")
          << ", \"OMP_NUM_THREADS\": " << env_json("OMP_NUM_THREADS") << "},\n"
          << "  \"blas\": " << blas_json(2) << ",\n"
          << "  \"data\": {\"source\": " << json_string(d.source) << ", \"rows\": " << d.x.size(0) << "},\n"
          << "  \"model\": " << json_string(o.model) << ", \"hidden\": " << (o.model == "mlp" ? hidden_json(o.hidden) : "null")
          << ", \"mkldnn_available\": " << (at::hasMKLDNN() ? "true" : "false") << ",\n"
          << "  \"seconds_per_phase\": " << o.seconds << ",\n  \"results\": [\n";
        for (size_t i = 0; i < lines.size(); ++i) j << "    " << lines[i] << (i + 1 < lines.size() ? ",\n" : "\n");
        j << "  ]\n}\n";
        if (o.json == "-") std::cout << j.str();
        else std::ofstream(o.json) << j.str();
    }
    return 0;
}
