// Picks the tiled sgemm kernels for this CPU once, and runs each product on one thread or, when
// two are allowed and the product is large enough, splits C's rows between the caller and one
// worker thread. A row split leaves every element's sum in the same order, so one and two
// threads give bit-identical results.
#include "minigrad/backend/gemm_kernels.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace minigrad::kernels {

namespace {

bool cpu_has_avx512() { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma"); }
bool cpu_has_avx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

Isa choose() {
  const char* env = std::getenv("MINIGRAD_GEMM");
  const std::string_view want = env ? env : "auto";
  if (want == "blas") return Isa::None;
  if (want == "avx2") return cpu_has_avx2() ? Isa::Avx2 : Isa::None;
  if (want == "avx512") return cpu_has_avx512() ? Isa::Avx512 : Isa::None;
  if (want != "auto" && !want.empty())
    throw std::invalid_argument(fmt::format(
        "MINIGRAD_GEMM is \"{}\", expected auto, avx512, avx2 or blas (HINT: unset it for the "
        "default)", want));
  if (cpu_has_avx512()) return Isa::Avx512;
  if (cpu_has_avx2()) return Isa::Avx2;
  return Isa::None;
}

}  // namespace

Isa isa() {
  static const Isa chosen = choose();
  return chosen;
}

const char* isa_name() {
  switch (isa()) {
    case Isa::Avx512: return "AVX-512";
    case Isa::Avx2: return "AVX2";
    case Isa::None: break;
  }
  return "none";
}

namespace {

// The kernels of `which` with explicit leading dimensions; false if the CPU lacks them or the
// product is Aᵀ·Bᵀ.
bool run(Isa which, bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
         int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  switch (which) {
    case Isa::Avx512:
      return cpu_has_avx512() &&
             detail::gemm_avx512(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    case Isa::Avx2:
      return cpu_has_avx2() &&
             detail::gemm_avx2(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    case Isa::None: break;
  }
  return false;
}

// One product, tightly stored as gemm() takes it.
struct Product {
  Isa isa;
  bool ta, tb;
  int64_t m, n, k;
  float alpha;
  const float* a;
  const float* b;
  float beta;
  float* c;
};

// Rows [i0, i1) of C: they need rows [i0, i1) of op(A) only, which start at a + i0·k when A is
// stored (m, k) and at a + i0 (columns of a (k, m) matrix, leading dimension m) when transposed.
void run_rows(const Product& p, int64_t i0, int64_t i1) {
  const int64_t lda = p.ta ? p.m : p.k, ldb = p.tb ? p.k : p.n;
  const float* a = p.ta ? p.a + i0 : p.a + i0 * p.k;
  run(p.isa, p.ta, p.tb, i1 - i0, p.n, p.k, p.alpha, a, lda, p.b, ldb, p.beta, p.c + i0 * p.n, p.n);
}

// The second thread: waits for a share of a product, runs it, reports back. Both waits are
// std::atomic::wait (a futex after a short spin), so an idle or descheduled worker costs the
// caller a wake-up, never a core spinning against it.
class Worker {
 public:
  ~Worker() {
    if (!thread_.joinable()) return;
    stop_.store(true);
    posted_.fetch_add(1, std::memory_order_release);
    posted_.notify_one();
    thread_.join();
  }
  // Starts rows [i0, i1) of `p` on the worker and returns at once.
  void post(const Product& p, int64_t i0, int64_t i1) {
    if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
    product_ = p;
    i0_ = i0;
    i1_ = i1;
    posted_.fetch_add(1, std::memory_order_release);
    posted_.notify_one();
  }
  // Returns once the last posted share is done.
  void wait() {
    const uint32_t target = posted_.load(std::memory_order_relaxed);
    for (uint32_t now = done_.load(std::memory_order_acquire); now != target;
         now = done_.load(std::memory_order_acquire))
      done_.wait(now, std::memory_order_acquire);
  }

 private:
  void loop() {
    uint32_t seen = 0;
    for (;;) {
      posted_.wait(seen, std::memory_order_acquire);
      seen = posted_.load(std::memory_order_acquire);
      if (stop_.load()) return;
      run_rows(product_, i0_, i1_);
      done_.store(seen, std::memory_order_release);
      done_.notify_one();
    }
  }
  std::thread thread_;
  std::atomic<uint32_t> posted_{0}, done_{0};
  std::atomic<bool> stop_{false};
  Product product_{};
  int64_t i0_ = 0, i1_ = 0;
};

std::atomic<int> g_threads{1};

}  // namespace

void set_num_threads(int n) { g_threads.store(n < 2 ? 1 : 2); }
int num_threads() { return g_threads.load(); }

bool gemm_with(Isa which, bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
               float alpha, const float* a, const float* b, float beta, float* c) {
  return run(which, transpose_a, transpose_b, m, n, k, alpha, a, transpose_a ? m : k, b,
             transpose_b ? k : n, beta, c, n);
}

bool gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, const float* b, float beta, float* c) {
  const Isa which = isa();
  if (which == Isa::None || (transpose_a && transpose_b)) return false;
  // With two threads, the rows of C are split when each half has whole tiles to do and the
  // product is large enough to pay for a wake-up (a few microseconds): 4 MFLOP is the first
  // layer's product at batch 20 and above.
  constexpr int64_t kMinRows = 16;
  constexpr double kMinFlops = 4e6;
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (g_threads.load(std::memory_order_relaxed) > 1 && m >= 2 * kMinRows && flops >= kMinFlops) {
    static Worker worker;
    static std::mutex in_use;  // one split product at a time; other callers run on their own
    std::unique_lock lock(in_use, std::try_to_lock);
    if (!lock.owns_lock()) return gemm_with(which, transpose_a, transpose_b, m, n, k, alpha, a, b, beta, c);
    const Product p{which, transpose_a, transpose_b, m, n, k, alpha, a, b, beta, c};
    const int64_t half = (m / 2 + 5) / 6 * 6;  // a multiple of 6 rows: whole outer-form tiles
    worker.post(p, half, m);
    run_rows(p, 0, half);
    worker.wait();
    return true;
  }
  return gemm_with(which, transpose_a, transpose_b, m, n, k, alpha, a, b, beta, c);
}

}  // namespace minigrad::kernels
