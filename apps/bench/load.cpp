// bench --load (see load.hpp). The competitors are forked before any of minigrad's threads exist,
// spin on arithmetic until bench kills them, and die with bench if it dies first. auto starts
// afresh in every timed run, so its figure pays for its own trials as a real run does.
#include "load.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "minigrad/backend/backend.hpp"
#include "minigrad/data/dataloader.hpp"
#include "minigrad/generator.hpp"
#include "minigrad/nn/mlp.hpp"
#include "minigrad/optim/sgd.hpp"
#include "minigrad/train/thread_chooser.hpp"
#include "minigrad/train/trainer.hpp"

namespace minigrad::bench {

namespace {

using Clock = std::chrono::steady_clock;

// N busy processes, killed when this goes out of scope.
class Competitors {
 public:
  explicit Competitors(int n) {
    for (int i = 0; i < n; ++i) {
      const pid_t pid = fork();
      if (pid < 0) throw std::runtime_error("bench --load: cannot start a competing process");
      if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        volatile double x = 1.0;
        for (;;) x = x * 1.0000001 + 1e-9;  // CPU-bound, no memory traffic to speak of
      }
      pids_.push_back(pid);
    }
  }
  ~Competitors() {
    for (const pid_t pid : pids_) kill(pid, SIGKILL);
    for (const pid_t pid : pids_) waitpid(pid, nullptr, 0);
  }
  Competitors(const Competitors&) = delete;
  Competitors& operator=(const Competitors&) = delete;

 private:
  std::vector<pid_t> pids_;
};

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return in ? one + " " + five + " " + fifteen : "unknown";
}

struct Run {
  double samples_per_second;
  int threads_at_end;  // auto: the count it ran on last
};

// Training samples/s of the documents' model over `seconds` on `requested` threads (0: auto),
// after 30 warm-up steps on one thread.
Run train_rate(const data::Dataset& train, int64_t batch_size, int requested, double seconds) {
  backend::set_num_threads(1);
  Generator gen(0);
  auto model =
      nn::make_mlp({.in_features = train.num_features(), .hidden = {128, 64}, .classes = 10}, gen);
  optim::SGD sgd(model->parameters(), {.lr = 0.1});
  data::DataLoader loader(train, {.batch_size = batch_size, .shuffle = true}, Generator(1));
  std::vector<int> predictions;
  model->train();
  int64_t b = loader.size();
  auto next = [&]() -> const data::Batch& {
    if (b >= loader.size()) {
      loader.new_epoch();
      b = 0;
    }
    return loader.batch(b++);
  };
  for (int i = 0; i < 30; ++i) train::train_step(*model, sgd, next(), predictions);
  backend::set_num_threads(requested == 0 ? 1 : requested);
  train::ThreadChooser chooser(requested, int64_t{1} << 40);
  int64_t samples = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    const data::Batch& batch = next();
    chooser.before_step();
    train::train_step(*model, sgd, batch, predictions);
    chooser.after_step(batch.size());
    samples += batch.size();
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  const Run run{static_cast<double>(samples) / elapsed, chooser.threads()};
  backend::set_num_threads(1);
  return run;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int run_load_benchmark(const data::Dataset& train, const std::vector<int64_t>& batch_sizes,
                       int load, int rounds, double seconds, bool json) {
  constexpr int kModes[] = {1, 2, 0};  // 0: auto
  const std::string before = load_average();
  // rate[batch][mode][round]; auto's final count per round
  std::vector<std::vector<std::vector<double>>> rate(batch_sizes.size(),
                                                     std::vector<std::vector<double>>(3));
  std::vector<std::vector<int>> auto_threads(batch_sizes.size());
  {
    const Competitors competitors(load);
    for (int round = 0; round < rounds; ++round)
      for (size_t i = 0; i < batch_sizes.size(); ++i)
        for (int k = 0; k < 3; ++k) {
          const int mode = kModes[(k + round) % 3];
          const Run run = train_rate(train, batch_sizes[i], mode, seconds);
          rate[i][mode == 0 ? 2 : mode - 1].push_back(run.samples_per_second);
          if (mode == 0) auto_threads[i].push_back(run.threads_at_end);
          if (!json)
            std::fprintf(stderr, "  round %d, batch %4lld, %s: %9.0f samples/s\n", round + 1,
                         static_cast<long long>(batch_sizes[i]),
                         mode == 0 ? fmt::format("auto (ended on {})", run.threads_at_end).c_str()
                                   : fmt::format("{} thread{}", mode, mode == 1 ? "" : "s").c_str(),
                         run.samples_per_second);
        }
  }
  const std::string after = load_average();
  nlohmann::ordered_json j;
  j["backend"] = backend::describe();
  j["load_processes"] = load;
  j["rounds"] = rounds;
  j["seconds"] = seconds;
  j["load_average_before"] = before;
  j["load_average_after"] = after;
  nlohmann::ordered_json rows = nlohmann::json::array();
  for (size_t i = 0; i < batch_sizes.size(); ++i) {
    const double one = median(rate[i][0]), two = median(rate[i][1]), aut = median(rate[i][2]);
    std::vector<double> ratios;  // auto / best within each round: the rounds' noise cancels
    for (int r = 0; r < rounds; ++r)
      ratios.push_back(rate[i][2][r] / std::max(rate[i][0][r], rate[i][1][r]));
    rows.push_back({{"batch_size", batch_sizes[i]},
                    {"threads_1", one},
                    {"threads_2", two},
                    {"auto", aut},
                    {"auto_over_best", aut / std::max(one, two)},
                    {"auto_over_best_per_round", median(ratios)},
                    {"auto_ended_on", auto_threads[i]},
                    {"rounds_threads_1", rate[i][0]},
                    {"rounds_threads_2", rate[i][1]},
                    {"rounds_auto", rate[i][2]}});
  }
  j["training"] = rows;
  if (json) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("%s\n", j["backend"].get<std::string>().c_str());
  std::printf("competing CPU-bound processes: %d; load average before %s, after %s\n", load,
              before.c_str(), after.c_str());
  std::printf("training samples/s, medians of %d interleaved rounds of %g s:\n\n", rounds, seconds);
  std::printf(
      "| batch | 1 thread | 2 threads | auto | auto / best | median of the rounds' auto / best | "
      "auto ended on |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---|\n");
  for (const auto& row : rows) {
    std::string ended;
    for (const int t : row["auto_ended_on"])
      ended += (ended.empty() ? "" : ", ") + std::to_string(t);
    std::printf("| %lld | %.0f | %.0f | %.0f | %.2f | %.2f | %s |\n",
                static_cast<long long>(row["batch_size"].get<int64_t>()),
                row["threads_1"].get<double>(), row["threads_2"].get<double>(),
                row["auto"].get<double>(), row["auto_over_best"].get<double>(),
                row["auto_over_best_per_round"].get<double>(), ended.c_str());
  }
  return 0;
}

}  // namespace minigrad::bench
