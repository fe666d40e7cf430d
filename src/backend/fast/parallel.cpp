// One worker thread that takes the second part of a range, and in its idle time works through a
// background task (see parallel.hpp). Hand-over protocol (all counters only grow, so a stale value
// is never mistaken for a new one):
//   caller: writes the task, posted_ += 1, signal_ += 1, wakes the worker if it sleeps, runs its
//           own part, then waits until done_ == posted_.
//   worker: waits until signal_ changes; runs a posted part first (done_ = posted_, wakes the
//           caller if it sleeps), then background chunks one at a time while no part is posted.
// Both waits spin first (a task takes 5-100 µs here, a futex wake-up of an idle core several µs)
// and then sleep; `*_sleeping_` tells the other side whether a notify (a system call) is needed.
//
// The two threads must run on two cores. Each side notes the CPU it runs on (caller_cpu_,
// worker_cpu_); a waiter that finds the awaited thread on its own CPU yields instead of spinning
// (the awaited thread can only run when the waiter stops), and a worker that starts a part on the
// caller's CPU moves itself to another one (see step_aside). Left alone, the scheduler can keep
// both on one core of an idle two-core machine for a whole run: two threads that hand over every
// few microseconds both count as cache-hot, so its load balancing moves neither to the idle core.
//
// Background chunks are claimed with a compare-and-swap on one word, (generation << 32) | next
// chunk, by the worker and by finish_background() alike, so each chunk runs exactly once and a
// claim made for an older task can never succeed on a newer one.
#include "parallel.hpp"

#include <fmt/format.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
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
// `sleeping` and notifies. Every 64 turns the waiter notes its CPU in `own_cpu` and, when the
// thread it waits for last ran on that same CPU (`awaited_cpu`), yields to it.
void spin_then_wait(const std::atomic<uint32_t>& word, uint32_t old, std::atomic<bool>& sleeping,
                    std::chrono::microseconds limit, std::atomic<int>& own_cpu,
                    const std::atomic<int>& awaited_cpu) {
  const auto start = std::chrono::steady_clock::now();
  for (uint32_t i = 1; word.load(std::memory_order_acquire) == old; ++i) {
    cpu_relax();
    if (i % 64 != 0) continue;
    const int cpu = sched_getcpu();
    if (own_cpu.load(std::memory_order_relaxed) != cpu)
      own_cpu.store(cpu, std::memory_order_relaxed);
    if (cpu == awaited_cpu.load(std::memory_order_relaxed)) std::this_thread::yield();
    if (std::chrono::steady_clock::now() - start > limit) {
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

// Set while this thread runs its part of a split: a split inside it (a product within a part of
// parallel_rows) runs whole, on this thread, since the other thread is busy with its own part.
thread_local bool t_in_part = false;

struct InPart {
  InPart() { t_in_part = true; }
  ~InPart() { t_in_part = false; }
};

class Worker {
 public:
  ~Worker() {
    if (!thread_.joinable()) return;
    stop_.store(true);
    publish();
    thread_.join();
  }
  // Starts fn(context, begin, end) on the worker and returns at once, once the part posted
  // before (which run_on_worker does not wait for) is done.
  void post(RangeFn fn, const void* context, int64_t begin, int64_t end) {
    wait();
    start();
    fn_ = fn;
    context_ = context;
    caller_cpu_.store(sched_getcpu(), std::memory_order_relaxed);
    begin_ = begin;
    end_ = end;
    posted_.fetch_add(1, std::memory_order_release);
    publish();
  }

  // Makes `task` the background task (the previous one must be finished) and lets the worker
  // start on it if `wake`; returns the task's generation.
  uint32_t post_background(const BackgroundFn& task, bool wake) {
    uint32_t generation = background_generation() + 1;
    if (generation == 0) generation = 1;  // 0 means "no task"
    bg_fn_.store(task.fn, std::memory_order_relaxed);
    bg_context_.store(task.context, std::memory_order_relaxed);
    bg_size_.store(task.size, std::memory_order_relaxed);
    bg_chunk_.store(task.chunk, std::memory_order_relaxed);
    bg_done_.store(0, std::memory_order_relaxed);
    claim_.store(static_cast<uint64_t>(generation) << 32, std::memory_order_release);
    if (wake) {
      start();
      publish();
    }
    return generation;
  }

  uint32_t background_generation() const {
    return static_cast<uint32_t>(claim_.load(std::memory_order_acquire) >> 32);
  }

  // Runs what is left of background task `generation` on the calling thread, then waits for a
  // chunk the worker may still be running. Nothing to do if a newer task replaced it.
  void finish_background(uint32_t generation) {
    while (run_chunk(generation)) {
    }
    const int64_t chunks = chunk_count();
    if (background_generation() != generation) return;
    // A chunk takes microseconds; yield now and then in case the worker's vCPU was taken away.
    for (int i = 1; bg_done_.load(std::memory_order_acquire) < chunks; ++i) {
      cpu_relax();
      if (i % 1024 == 0) std::this_thread::yield();
    }
  }
  // Returns once the last posted task is done.
  void wait() {
    const uint32_t target = posted_.load(std::memory_order_relaxed);
    for (uint32_t now = done_.load(std::memory_order_acquire); now != target;
         now = done_.load(std::memory_order_acquire))
      spin_then_wait(done_, now, caller_sleeping_, kCallerSpin, caller_cpu_, worker_cpu_);
  }

 private:
  void start() {
    if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
  }

  void publish() {
    signal_.fetch_add(1, std::memory_order_seq_cst);
    if (worker_sleeping_.load(std::memory_order_seq_cst)) signal_.notify_one();
  }

  int64_t chunk_count() const {
    const int64_t size = bg_size_.load(std::memory_order_relaxed);
    const int64_t chunk = bg_chunk_.load(std::memory_order_relaxed);
    return (size + chunk - 1) / chunk;
  }

  // Claims and runs the next chunk of background task `generation` (0: whichever is current);
  // false when there is none left.
  bool run_chunk(uint32_t generation) {
    uint64_t word = claim_.load(std::memory_order_acquire);
    for (;;) {
      const auto current = static_cast<uint32_t>(word >> 32);
      if (current == 0 || (generation != 0 && current != generation)) return false;
      const RangeFn fn = bg_fn_.load(std::memory_order_relaxed);
      const void* context = bg_context_.load(std::memory_order_relaxed);
      const int64_t size = bg_size_.load(std::memory_order_relaxed);
      const int64_t chunk = bg_chunk_.load(std::memory_order_relaxed);
      const auto index = static_cast<int64_t>(word & 0xFFFFFFFFu);
      if (index * chunk >= size) return false;
      // Success means the word did not change since these fields were read, so they are this
      // generation's (a new task is stored only once every chunk of the old one has run).
      if (claim_.compare_exchange_weak(word, word + 1, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
        const int64_t begin = index * chunk;
        fn(context, begin, begin + chunk < size ? begin + chunk : size);
        bg_done_.fetch_add(1, std::memory_order_release);
        return true;
      }
    }
  }

  bool part_posted() const {
    return posted_.load(std::memory_order_acquire) != done_.load(std::memory_order_relaxed);
  }

  // Before each part: a worker on the CPU the caller posted from (where the caller now waits
  // for it) moves itself to another CPU by leaving that one out of its affinity mask (the kernel
  // migrates it before the call returns), then restores the mask, so that it stays pinned
  // nowhere: on a busy machine the scheduler remains free to place it. Nothing to do when the
  // mask allows no other CPU.
  void step_aside() {
    const int cpu = sched_getcpu();
    worker_cpu_.store(cpu, std::memory_order_relaxed);
    if (cpu < 0 || cpu != caller_cpu_.load(std::memory_order_relaxed)) return;
    cpu_set_t own;
    if (sched_getaffinity(0, sizeof own, &own) != 0 || !CPU_ISSET(cpu, &own)) return;
    cpu_set_t others = own;
    CPU_CLR(cpu, &others);
    if (CPU_COUNT(&others) == 0 || sched_setaffinity(0, sizeof others, &others) != 0) return;
    sched_setaffinity(0, sizeof own, &own);
    worker_cpu_.store(sched_getcpu(), std::memory_order_relaxed);
  }

  void loop() {
    uint32_t seen = 0;
    for (;;) {
      spin_then_wait(signal_, seen, worker_sleeping_, kWorkerSpin, worker_cpu_, caller_cpu_);
      seen = signal_.load(std::memory_order_acquire);
      if (stop_.load()) return;
      if (part_posted()) {
        const uint32_t part = posted_.load(std::memory_order_acquire);
        step_aside();
        {
          const InPart in_part;
          fn_(context_, begin_, end_);
        }
        done_.store(part, std::memory_order_seq_cst);
        if (caller_sleeping_.load(std::memory_order_seq_cst)) done_.notify_one();
      }
      while (!part_posted() && run_chunk(0)) {
      }
    }
  }

  std::thread thread_;
  std::atomic<uint32_t> signal_{0}, posted_{0}, done_{0};
  std::atomic<bool> worker_sleeping_{false}, caller_sleeping_{false}, stop_{false};
  RangeFn fn_ = nullptr;
  const void* context_ = nullptr;
  int64_t begin_ = 0, end_ = 0;
  std::atomic<int> caller_cpu_{-1}, worker_cpu_{-1};  // where each side last noted it ran
  // The background task: its fields, the claim word and the count of chunks run.
  std::atomic<uint64_t> claim_{0};
  std::atomic<RangeFn> bg_fn_{nullptr};
  std::atomic<const void*> bg_context_{nullptr};
  std::atomic<int64_t> bg_size_{0}, bg_chunk_{1}, bg_done_{0};
};

std::atomic<int> g_threads{1};

Worker& the_worker() {
  static Worker worker;
  return worker;
}

std::mutex g_background;  // post_background and finish_background, one caller at a time
std::mutex g_in_use;      // one caller of the worker's parts at a time

}  // namespace

void set_num_threads(int n) { g_threads.store(n < 2 ? 1 : 2); }
int num_threads() { return g_threads.load(); }

void run_on_worker(RangeFn fn, const void* context) {
  std::unique_lock lock(g_in_use, std::try_to_lock);
  if (lock.owns_lock()) the_worker().post(fn, context, 0, 0);
}

void run_split(RangeFn fn, const void* context, int64_t split, int64_t n) {
  if (g_threads.load(std::memory_order_relaxed) < 2 || split <= 0 || split >= n || t_in_part) {
    fn(context, 0, n);
    return;
  }
  Worker& worker = the_worker();
  // One split at a time; other callers run on their own thread.
  std::unique_lock lock(g_in_use, std::try_to_lock);
  if (!lock.owns_lock()) {
    fn(context, 0, n);
    return;
  }
  worker.post(fn, context, split, n);
  {
    const InPart in_part;
    fn(context, 0, split);
  }
  worker.wait();
}

BackgroundTicket post_background(const BackgroundFn& task) {
  // The claim word counts chunks in 32 bits.
  if (task.fn == nullptr || task.size < 0 || task.chunk < 1 ||
      (task.size + task.chunk - 1) / task.chunk > int64_t{0xFFFFFFFF})
    throw std::invalid_argument(fmt::format(
        "post_background: size {} and chunk {}, expected a function, size >= 0, chunk >= 1 and "
        "fewer than 2^32 chunks",
        task.size, task.chunk));
  Worker& worker = the_worker();
  const std::lock_guard lock(g_background);
  worker.finish_background(worker.background_generation());
  return BackgroundTicket{
      worker.post_background(task, g_threads.load(std::memory_order_relaxed) > 1)};
}

void finish_background(BackgroundTicket ticket) {
  if (ticket.generation == 0) return;
  const std::lock_guard lock(g_background);
  the_worker().finish_background(ticket.generation);
}

}  // namespace minigrad::kernels
