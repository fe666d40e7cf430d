// Tests of backend/fast/parallel.hpp: run_split covers a range exactly once with one and two
// threads, hands the second part to another thread (and moves the worker off the caller's CPU
// without pinning it), falls back to the caller while the worker is taken; a background task runs
// every chunk once, on the worker between split parts or on the caller that finishes it; and the
// kernels that use them (SGD's update, the batch gather, the split products) give bit-identical
// results on one and two threads.
#include <doctest/doctest.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "backend/fast/parallel.hpp"
#include "minigrad/backend/backend.hpp"
#include "minigrad/data/dataset.hpp"
#include "minigrad/generator.hpp"
#include "minigrad/nn/batchnorm.hpp"
#include "minigrad/nn/conv.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/reduce.hpp"
#include "minigrad/optim/sgd.hpp"
#include "minigrad/tensor.hpp"

using namespace minigrad;

namespace {

// Restores one thread however a test case ends.
struct ThreadsGuard {
  explicit ThreadsGuard(int n) { kernels::set_num_threads(n); }
  ~ThreadsGuard() { kernels::set_num_threads(1); }
};

}  // namespace

TEST_CASE("split_point: about half, a multiple of 8") {
  CHECK(kernels::split_point(128) == 64);
  CHECK(kernels::split_point(64) == 32);
  CHECK(kernels::split_point(784) == 392);
  CHECK(kernels::split_point(100) == 56);
  CHECK(kernels::split_point(10) == 8);
}

TEST_CASE("run_split visits every index once, on one or two threads") {
  for (int threads : {1, 2}) {
    ThreadsGuard guard(threads);
    CHECK(kernels::num_threads() == threads);
    for (int64_t n : {0, 1, 7, 1000}) {
      for (int64_t split : {int64_t{0}, n / 3, n}) {
        INFO("threads=", threads, " n=", n, " split=", split);
        std::vector<std::atomic<int>> seen(static_cast<size_t>(n));
        std::atomic<int> parts{0};
        kernels::run_split(
            [&](int64_t b, int64_t e) {
              ++parts;
              for (int64_t i = b; i < e; ++i) ++seen[static_cast<size_t>(i)];
            },
            split, n);
        for (const auto& s : seen) CHECK(s.load() == 1);
        // Two parts only when both are non-empty and two threads are set.
        CHECK(parts.load() == (threads == 2 && split > 0 && split < n ? 2 : 1));
      }
    }
  }
}

TEST_CASE("with two threads the second part runs on another thread") {
  ThreadsGuard guard(2);
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id first, second;
  kernels::run_split(
      [&](int64_t b, int64_t) { (b == 0 ? first : second) = std::this_thread::get_id(); }, 1, 2);
  CHECK(first == caller);
  CHECK(second != caller);
}

TEST_CASE("parallel_rows splits many rows at a multiple of 8, a few in the middle") {
  // A convolution's two halves of the batch and BatchNorm's 13 channel blocks must split near
  // the middle: split_point's multiple of 8 would leave 2 rows whole and 13 as 8 and 5.
  if (std::string(backend::name()) != "fast") return;  // the reference backend never splits
  ThreadsGuard guard(2);
  auto second_part = [](int64_t rows) {
    std::atomic<int64_t> begin{-1};
    backend::parallel_rows(rows, int64_t{1} << 16, [&](int64_t b, int64_t) {
      if (b > 0) begin = b;
    });
    return begin.load();
  };
  CHECK(second_part(2) == 1);
  CHECK(second_part(13) == 7);
  CHECK(second_part(15) == 8);
  CHECK(second_part(16) == 8);
  CHECK(second_part(100) == 56);
}

TEST_CASE("run_on_worker runs on the worker without waiting; the next split waits for it") {
  std::atomic<bool> release{false}, ran{false};
  std::atomic<std::thread::id> where{};
  struct Context {
    std::atomic<bool>* release;
    std::atomic<bool>* ran;
    std::atomic<std::thread::id>* where;
  } context{&release, &ran, &where};
  kernels::run_on_worker(
      [](const void* c, int64_t, int64_t) {
        const auto* k = static_cast<const Context*>(c);
        while (!k->release->load()) std::this_thread::yield();
        k->where->store(std::this_thread::get_id());
        k->ran->store(true);
      },
      &context);
  CHECK_FALSE(ran.load());  // returned while the part still waits for `release`
  release.store(true);
  ThreadsGuard guard(2);
  std::atomic<int> parts{0};
  kernels::run_split([&](int64_t, int64_t) { ++parts; }, 1, 2);
  CHECK(ran.load());  // the split began only once the earlier part was done
  CHECK(where.load() != std::this_thread::get_id());
  CHECK(parts.load() == 2);
}

TEST_CASE("a worker that starts a part on the caller's CPU moves to another and stays unpinned") {
  cpu_set_t all;
  REQUIRE(sched_getaffinity(0, sizeof all, &all) == 0);
  if (CPU_COUNT(&all) < 2) {
    MESSAGE("this process may run on one CPU only: no other CPU to move to");
    return;
  }
  int caller_cpu = 0;
  while (!CPU_ISSET(caller_cpu, &all)) ++caller_cpu;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(caller_cpu, &one);
  // The caller stays on one CPU; a first part puts the worker there too, free to run anywhere.
  struct Unpin {
    cpu_set_t mask;
    ~Unpin() { sched_setaffinity(0, sizeof mask, &mask); }
  } unpin{all};
  REQUIRE(sched_setaffinity(0, sizeof one, &one) == 0);
  ThreadsGuard guard(2);
  kernels::run_split(
      [&](int64_t b, int64_t) {
        if (b == 0) return;
        sched_setaffinity(0, sizeof one, &one);
        sched_setaffinity(0, sizeof all, &all);
      },
      1, 2);
  int worker_cpu = -1;
  cpu_set_t worker_mask;
  CPU_ZERO(&worker_mask);
  kernels::run_split(
      [&](int64_t b, int64_t) {
        if (b == 0) return;
        worker_cpu = sched_getcpu();
        sched_getaffinity(0, sizeof worker_mask, &worker_mask);
      },
      1, 2);
  CHECK(worker_cpu != caller_cpu);
  CHECK(CPU_EQUAL(&worker_mask, &all));
}

TEST_CASE("callers on several threads at once each get their range done") {
  ThreadsGuard guard(2);
  constexpr int kCallers = 4, kRounds = 200;
  std::vector<std::vector<int>> hits(kCallers, std::vector<int>(64, 0));
  std::vector<std::thread> callers;
  for (int t = 0; t < kCallers; ++t)
    callers.emplace_back([&hits, t] {
      for (int r = 0; r < kRounds; ++r)
        kernels::run_split(
            [&](int64_t b, int64_t e) {
              for (int64_t i = b; i < e; ++i)
                ++hits[static_cast<size_t>(t)][static_cast<size_t>(i)];
            },
            32, 64);
    });
  for (auto& c : callers) c.join();
  for (const auto& h : hits)
    for (int v : h) CHECK(v == kRounds);
}

TEST_CASE("a background task runs every chunk once, however it is finished") {
  for (int threads : {1, 2}) {
    ThreadsGuard guard(threads);
    for (int64_t size : {0, 1, 37, 5000}) {
      for (int64_t chunk : {1, 7, 64}) {
        INFO("threads=", threads, " size=", size, " chunk=", chunk);
        std::vector<std::atomic<int>> seen(static_cast<size_t>(size));
        auto mark = [](const void* c, int64_t b, int64_t e) {
          auto& s = *static_cast<std::vector<std::atomic<int>>*>(const_cast<void*>(c));
          for (int64_t i = b; i < e; ++i) ++s[static_cast<size_t>(i)];
        };
        const kernels::BackgroundTicket t = kernels::post_background({mark, &seen, size, chunk});
        CHECK(t.generation != 0);
        // Split products meanwhile: the worker takes them first and goes back to the task.
        for (int r = 0; r < 20; ++r) kernels::run_split([](int64_t, int64_t) {}, 8, 16);
        kernels::finish_background(t);
        for (const auto& s : seen) CHECK(s.load() == 1);
        kernels::finish_background(t);  // again: nothing left to do
      }
    }
  }
}

TEST_CASE("posting a background task finishes the previous one first") {
  ThreadsGuard guard(2);
  std::vector<std::atomic<int>> first(1000), second(1000);
  auto mark = [](const void* c, int64_t b, int64_t e) {
    auto& s = *static_cast<std::vector<std::atomic<int>>*>(const_cast<void*>(c));
    for (int64_t i = b; i < e; ++i) ++s[static_cast<size_t>(i)];
  };
  const kernels::BackgroundTicket t1 = kernels::post_background({mark, &first, 1000, 3});
  const kernels::BackgroundTicket t2 = kernels::post_background({mark, &second, 1000, 3});
  for (const auto& s : first) CHECK(s.load() == 1);  // done before t2 was posted
  kernels::finish_background(t1);                    // a stale ticket: returns at once
  kernels::finish_background(t2);
  for (const auto& s : second) CHECK(s.load() == 1);
  CHECK_THROWS_WITH_AS(kernels::post_background({mark, &first, 10, 0}),
                       doctest::Contains("chunk 0"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(kernels::post_background({mark, &first, int64_t{1} << 33, 1}),
                       doctest::Contains("fewer than 2^32 chunks"), std::invalid_argument);
  CHECK_THROWS_AS(kernels::post_background({nullptr, &first, 10, 1}), std::invalid_argument);
}

TEST_CASE("with two threads the worker runs background chunks while the caller does not wait") {
  ThreadsGuard guard(2);
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<int> by_worker{0};
  struct Context {
    std::thread::id caller;
    std::atomic<int>* by_worker;
  } ctx{caller, &by_worker};
  const kernels::BackgroundTicket t =
      kernels::post_background({[](const void* c, int64_t, int64_t) {
                                  const auto& x = *static_cast<const Context*>(c);
                                  if (std::this_thread::get_id() != x.caller) ++*x.by_worker;
                                },
                                &ctx, 1, 1});
  // The caller leaves the only chunk to the worker for up to 10 s before finishing it itself.
  for (int i = 0; i < 10000 && by_worker.load() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  kernels::finish_background(t);
  CHECK(by_worker.load() == 1);
}

TEST_CASE("SGD steps and batch gathers are bit-identical on one and two threads") {
  // A weight large enough to be split (>= 32k elements), with momentum, weight decay and
  // Nesterov so every loop of the update runs in both parts.
  auto run = [](int threads) {
    ThreadsGuard guard(threads);
    Generator gen(3);
    Tensor w = Tensor::uniform({200, 300}, -1.0f, 1.0f, gen).requires_grad_();
    optim::SGD opt({w}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-3, .nesterov = true});
    for (int step = 0; step < 3; ++step) {
      opt.zero_grad();
      sum(w * w).backward();
      opt.step();
    }
    return std::vector<float>(w.data(), w.data() + w.numel());
  };
  CHECK(run(1) == run(2));

  std::vector<uint8_t> bytes(100 * 784);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7 % 256);
  std::vector<int32_t> labels(100);
  for (int i = 0; i < 100; ++i) labels[static_cast<size_t>(i)] = i % 10;
  data::Dataset ds = data::Dataset::from_bytes(std::move(bytes), std::move(labels), 784);
  ds.set_transform(data::FeatureTransform::divide_by(255.0f));
  const std::vector<int64_t> rows = {5,  99, 0,  42, 42, 7,  63, 18, 1,  2,  3,
                                     4,  80, 81, 82, 9,  10, 11, 12, 13, 14, 15,
                                     16, 17, 50, 51, 52, 53, 54, 55, 56, 57};
  auto gather = [&](int threads) {
    ThreadsGuard guard(threads);
    std::vector<float> x(rows.size() * 784), y(rows.size());
    std::vector<int32_t> yi(rows.size());
    ds.prefetch(rows);
    ds.gather(rows, x.data(), y.data(), yi.data());
    x.insert(x.end(), y.begin(), y.end());
    for (int32_t v : yi) x.push_back(static_cast<float>(v));
    return x;
  };
  const auto one = gather(1);
  CHECK(one == gather(2));
  CHECK(one[784 + 3] == static_cast<float>((99 * 784 + 3) * 7 % 256) / 255.0f);  // row 1 is row 99
}

TEST_CASE("a convolution and BatchNorm2d are bit-identical on one and two threads") {
  // Images split between the threads (the convolution's forward and dx), halves of the batch
  // (its dW and db), channel blocks (BatchNorm2d's passes): every value and gradient the same
  // bits. Odd sizes, and groups, so the parts are uneven; planes of 1,230 pixels: one channel a
  // block.
  auto run = [](int threads) {
    ThreadsGuard guard(threads);
    Generator gen(5);
    nn::Conv2d conv(6, 12, 3, gen, {.padding = 1, .groups = 2});
    nn::BatchNorm2d bn(12);
    bn.train();
    Tensor x = Tensor::uniform({23, 6, 41, 30}, -1.0f, 1.0f, gen).requires_grad_();
    Tensor y = bn(conv(x));
    sum(y * y).backward();
    std::vector<float> all(y.data(), y.data() + y.numel());
    for (const Tensor& t :
         {x.grad(), conv.weight().grad(), conv.bias().grad(), bn.weight().grad(), bn.running_var()})
      all.insert(all.end(), t.data(), t.data() + t.numel());
    return all;
  };
  const auto one = run(1);
  CHECK(one == run(2));
}
