// backend.hpp's functions: pick a backend once, from MINIGRAD_BACKEND, and forward each call to
// its table. A build with -DMINIGRAD_BACKEND=reference compiles this file without the fast
// backend (MINIGRAD_WITH_FAST_BACKEND is 0), and then accepts only "reference".
#include "minigrad/backend/backend.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "table.hpp"

namespace minigrad::backend {

namespace {

const Table& choose() {
  const char* env = std::getenv("MINIGRAD_BACKEND");
  const std::string_view want = env != nullptr && *env != '\0' ? env : MINIGRAD_DEFAULT_BACKEND;
  if (want == "reference") return reference_table();
#if MINIGRAD_WITH_FAST_BACKEND
  if (want == "fast") return fast_table();
  constexpr const char* kAccepted = "fast or reference";
#else
  constexpr const char* kAccepted = "reference (this build has no fast backend)";
#endif
  throw std::invalid_argument(fmt::format(
      "MINIGRAD_BACKEND is \"{}\", expected {} (HINT: unset it for this build's default, {})", want,
      kAccepted, MINIGRAD_DEFAULT_BACKEND));
}

// Chosen on first use, then fixed for the life of the program. A failed choice throws again on
// every call, so the error reaches whoever asks first.
const Table& active() {
  static const Table& table = choose();
  return table;
}

}  // namespace

const char* name() { return active().name; }
std::string describe() { return active().describe(); }

void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, const float* b, float beta, float* c) {
  if (m < 0 || n < 0 || k < 0)
    throw std::invalid_argument(fmt::format("gemm: negative size m={} n={} k={}", m, n, k));
  active().gemm(transpose_a, transpose_b, m, n, k, alpha, a, b, beta, c);
}
void linear(int64_t m, int64_t n, int64_t k, const float* x, const float* w, const float* bias,
            float* y) {
  active().linear(m, n, k, x, w, bias, y);
}

void max_pool2d(const PoolWindows& g, const float* x, float* y, int32_t* argmax) {
  active().max_pool2d(g, x, y, argmax);
}
void max_pool2d_backward(const PoolWindows& g, const int32_t* argmax, const float* dy, float* dx) {
  active().max_pool2d_backward(g, argmax, dy, dx);
}

void im2col(const ConvColumns& g, const float* x, float* cols) { active().im2col(g, x, cols); }
void col2im(const ConvColumns& g, const float* dcols, float* dx) { active().col2im(g, dcols, dx); }

void set_num_threads(int n) { active().set_num_threads(n); }
int num_threads() { return active().num_threads(); }
std::string why_one_thread() { return active().why_one_thread(); }
void prepare_threads() { active().prepare_threads(); }
void parallel_rows(int64_t rows, int64_t row_size, RangeFn fn, const void* context) {
  active().parallel_rows(rows, row_size, fn, context);
}
BackgroundTicket post_background(const BackgroundFn& task) {
  return active().post_background(task);
}
void finish_background(BackgroundTicket ticket) { active().finish_background(ticket); }

float* allocate(int64_t count) { return active().allocate(count); }
void release(float* p, int64_t count) { active().release(p, count); }
void* allocate_bytes(size_t bytes) { return active().allocate_bytes(bytes); }
void release_bytes(void* p, size_t bytes) { active().release_bytes(p, bytes); }
void empty_cache() { active().empty_cache(); }
bool reuses(size_t bytes) { return active().reuses(bytes); }

void zero_later(float* p, int64_t count) { active().zero_later(p, count); }
float* settle(float* p) { return active().settle(p); }
bool take_zeros(float* p, int64_t count) { return active().take_zeros(p, count); }

}  // namespace minigrad::backend
