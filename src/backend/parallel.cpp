// One worker thread that takes the second part of a range. Hand-over protocol (all counters only
// grow, so a stale value is never mistaken for a new one):
//   caller: writes the task, posted_ += 1, wakes the worker if it sleeps, runs its own part, then
//           waits until done_ == posted_.
//   worker: waits until posted_ changes, runs its part, done_ = posted_, wakes the caller if it
//           sleeps.
// Both waits spin first (a task takes 5-100 µs here, a futex wake-up of an idle core several µs)
// and then sleep; `*_sleeping_` tells the other side whether a notify (a system call) is needed.
#include "minigrad/backend/parallel.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace minigrad::kernels {

namespace {

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Spins while `word` == `old` for at most `limit`, then sleeps in a futex wait until it changes;
// `sleeping` is raised around the sleep. seq_cst on `sleeping` and on the other side's increment
// make the pair safe: either the waiter sees the new value before sleeping, or the writer sees
// `sleeping` and notifies.
void spin_then_wait(const std::atomic<uint32_t>& word, uint32_t old, std::atomic<bool>& sleeping,
                    std::chrono::microseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  for (uint32_t i = 1; word.load(std::memory_order_acquire) == old; ++i) {
    cpu_relax();
    if (i % 64 == 0 && std::chrono::steady_clock::now() - start > limit) {
      sleeping.store(true, std::memory_order_seq_cst);
      while (word.load(std::memory_order_seq_cst) == old) word.wait(old, std::memory_order_acquire);
      sleeping.store(false, std::memory_order_relaxed);
      return;
    }
  }
}

// How long the worker keeps spinning after a task (a training step posts its tasks closer together
// than this), and how long the caller spins for the worker's part (which is about as long as its
// own, so it is usually done or nearly).
constexpr std::chrono::microseconds kWorkerSpin{500};
constexpr std::chrono::microseconds kCallerSpin{200};

class Worker {
 public:
  ~Worker() {
    if (!thread_.joinable()) return;
    stop_.store(true);
    publish();
    thread_.join();
  }
  // Starts fn(context, begin, end) on the worker and returns at once.
  void post(RangeFn fn, const void* context, int64_t begin, int64_t end) {
    if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
    fn_ = fn;
    context_ = context;
    begin_ = begin;
    end_ = end;
    publish();
  }
  // Returns once the last posted task is done.
  void wait() {
    const uint32_t target = posted_.load(std::memory_order_relaxed);
    for (uint32_t now = done_.load(std::memory_order_acquire); now != target;
         now = done_.load(std::memory_order_acquire))
      spin_then_wait(done_, now, caller_sleeping_, kCallerSpin);
  }

 private:
  void publish() {
    posted_.fetch_add(1, std::memory_order_seq_cst);
    if (worker_sleeping_.load(std::memory_order_seq_cst)) posted_.notify_one();
  }
  void loop() {
    uint32_t seen = 0;
    for (;;) {
      spin_then_wait(posted_, seen, worker_sleeping_, kWorkerSpin);
      seen = posted_.load(std::memory_order_acquire);
      if (stop_.load()) return;
      fn_(context_, begin_, end_);
      done_.store(seen, std::memory_order_seq_cst);
      if (caller_sleeping_.load(std::memory_order_seq_cst)) done_.notify_one();
    }
  }
  std::thread thread_;
  std::atomic<uint32_t> posted_{0}, done_{0};
  std::atomic<bool> worker_sleeping_{false}, caller_sleeping_{false}, stop_{false};
  RangeFn fn_ = nullptr;
  const void* context_ = nullptr;
  int64_t begin_ = 0, end_ = 0;
};

std::atomic<int> g_threads{1};

}  // namespace

void set_num_threads(int n) { g_threads.store(n < 2 ? 1 : 2); }
int num_threads() { return g_threads.load(); }

void run_split(RangeFn fn, const void* context, int64_t split, int64_t n) {
  if (g_threads.load(std::memory_order_relaxed) < 2 || split <= 0 || split >= n) {
    fn(context, 0, n);
    return;
  }
  static Worker worker;
  static std::mutex in_use;  // one split at a time; other callers run on their own thread
  std::unique_lock lock(in_use, std::try_to_lock);
  if (!lock.owns_lock()) {
    fn(context, 0, n);
    return;
  }
  worker.post(fn, context, split, n);
  fn(context, 0, split);
  worker.wait();
}

}  // namespace minigrad::kernels
