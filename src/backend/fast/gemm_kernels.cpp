// Picks the tiled sgemm kernels for this CPU once, and runs each product on one thread or, when
// two are allowed and the product is large enough, splits it between the caller and the worker
// thread of parallel.hpp (by the weight's rows, or for packed products by the longer side of the
// output, see gemm()). A split leaves every element's sum in the same order, so one and two threads
// give bit-identical results.
#include "gemm_kernels.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "parallel.hpp"

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
        "default)",
        want));
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
    case Isa::Avx512:
      return "AVX-512";
    case Isa::Avx2:
      return "AVX2";
    case Isa::None:
      break;
  }
  return "none";
}

namespace {

// The kernels of `which` with explicit leading dimensions; false if the CPU lacks them or the
// product is Aᵀ·Bᵀ.
bool run(Isa which, bool packed, bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
         const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
         int64_t ldc, const float* bias) {
  if (packed) {
    if (which == Isa::Avx512 && cpu_has_avx512())
      return detail::gemm_packed_avx512(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);
    if (which == Isa::Avx2 && cpu_has_avx2())
      return detail::gemm_packed_avx2(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);
    return false;
  }
  switch (which) {
    case Isa::Avx512:
      return cpu_has_avx512() &&
             detail::gemm_avx512(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);
    case Isa::Avx2:
      return cpu_has_avx2() &&
             detail::gemm_avx2(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);
    case Isa::None:
      break;
  }
  return false;
}

// One product, tightly stored as gemm() takes it.
struct Product {
  Isa isa;
  bool packed;  // chosen from the whole product's size, so that both parts of a split agree
  bool ta, tb;
  int64_t m, n, k;
  float alpha;
  const float* a;
  const float* b;
  float beta;
  float* c;
  const float* bias;  // n values or null
};

// Rows [i0, i1) of C: they need rows [i0, i1) of op(A) only, which start at a + i0·k when A is
// stored (m, k) and at a + i0 (columns of a (k, m) matrix, leading dimension m) when transposed.
void run_rows(const Product& p, int64_t i0, int64_t i1) {
  const int64_t lda = p.ta ? p.m : p.k, ldb = p.tb ? p.k : p.n;
  const float* a = p.ta ? p.a + i0 : p.a + i0 * p.k;
  run(p.isa, p.packed, p.ta, p.tb, i1 - i0, p.n, p.k, p.alpha, a, lda, p.b, ldb, p.beta,
      p.c + i0 * p.n, p.n, p.bias);
}

// Columns [j0, j1) of C: they need columns [j0, j1) of op(B) only, which start at b + j0·k when
// B is stored transposed, (n, k) as a weight in the dot form, and at b + j0 when stored (k, n).
void run_columns(const Product& p, int64_t j0, int64_t j1) {
  const int64_t lda = p.ta ? p.m : p.k, ldb = p.tb ? p.k : p.n;
  const float* b = p.tb ? p.b + j0 * p.k : p.b + j0;
  run(p.isa, p.packed, p.ta, p.tb, p.m, j1 - j0, p.k, p.alpha, p.a, lda, b, ldb, p.beta, p.c + j0,
      p.n, p.bias ? p.bias + j0 : nullptr);
}

}  // namespace

// The packed kernels take over where packing pays: at least kPackedMinFlops and every side at
// least kPackedMinSide. Below that the tiles win or tie (measured with bench --gemm: the
// documents' model at batch 512, 512x128x784, ran 13-19% faster on the tiles in A·Bᵀ and A·B and
// 20% slower in Aᵀ·B; 512x512x512 alike in A·Bᵀ and 35% faster packed in the two other forms,
// whose unpacked tiles lose their operands from cache as sizes grow: a quarter of the packed
// speed at 1024x1024x1024).
constexpr int64_t kPackedMinSide = 64;
constexpr double kPackedMinFlops = 2.0 * 512 * 512 * 512;

bool gemm_with(Isa which, bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
               float alpha, const float* a, const float* b, float beta, float* c) {
  return run(which, false, transpose_a, transpose_b, m, n, k, alpha, a, transpose_a ? m : k, b,
             transpose_b ? k : n, beta, c, n, nullptr);
}

bool gemm_packed_with(Isa which, bool transpose_a, bool transpose_b, int64_t m, int64_t n,
                      int64_t k, float alpha, const float* a, const float* b, float beta,
                      float* c) {
  return run(which, true, transpose_a, transpose_b, m, n, k, alpha, a, transpose_a ? m : k, b,
             transpose_b ? k : n, beta, c, n, nullptr);
}

void ready_pack_buffers() {
  if (isa() == Isa::Avx512) detail::ready_pack_buffers_avx512();
  if (isa() == Isa::Avx2) detail::ready_pack_buffers_avx2();
}

bool has_pack_buffers() {
  if (isa() == Isa::Avx512) return detail::has_pack_buffers_avx512();
  if (isa() == Isa::Avx2) return detail::has_pack_buffers_avx2();
  return false;
}

bool use_packed(int64_t m, int64_t n, int64_t k) {
  const double flops =
      2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  return m >= kPackedMinSide && n >= kPackedMinSide && k >= kPackedMinSide &&
         flops >= kPackedMinFlops;
}

bool gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, const float* b, float beta, float* c, const float* bias) {
  const Isa which = isa();
  if (which == Isa::None || (transpose_a && transpose_b)) return false;
  if (bias != nullptr && (transpose_a || !transpose_b || beta != 0.0f)) return false;
  const Product p{
      which, use_packed(m, n, k), transpose_a, transpose_b, m, n, k, alpha, a, b, beta, c, bias};
  // With two threads, a product of at least 1 MFLOP (the first layer's at batch 5 and above) is
  // split in two along the weight's rows, at split_point: the columns of x·Wᵀ (B = W, (out, in)),
  // the rows of dW = dyᵀ·x, and so also the rows of the other outer-form products (dx = dy·W).
  // A column split makes both threads read all of A (the layer's input, most of it in the other
  // core's cache), which pays only for wide outputs of 128 columns and more (measured at batch
  // 256: the 64-unit layer's product took 30 µs on one thread and 48 split in two). A row split
  // needs one whole register tile (6 rows) in each part.
  constexpr double kMinFlops = 1e6;
  const double flops =
      2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  const bool dot_form = !transpose_a && transpose_b;
  const int64_t along = dot_form ? n : m, min_part = dot_form ? 64 : 6;
  // A packed product (a large batch, or wide layers) splits the longer side of C instead, so that
  // each thread packs half of the larger operand: at batch 2048 the first layer's x·Wᵀ by rows
  // (each thread reads half of the 6.4 MB batch, and all of the 0.4 MB weight) and dW = dyᵀ·x by
  // columns (half of x each). Split along the weight's rows, both threads packed all of x.
  if (num_threads() > 1 && p.packed && m != n) {
    if (m > n)
      run_split([&p](int64_t i0, int64_t i1) { run_rows(p, i0, i1); }, split_point(m), m);
    else
      run_split([&p](int64_t j0, int64_t j1) { run_columns(p, j0, j1); }, split_point(n), n);
    return true;
  }
  if (num_threads() > 1 && flops >= kMinFlops && along >= 2 * min_part) {
    if (dot_form)
      run_split([&p](int64_t j0, int64_t j1) { run_columns(p, j0, j1); }, split_point(n), n);
    else
      run_split([&p](int64_t i0, int64_t i1) { run_rows(p, i0, i1); }, split_point(m), m);
    return true;
  }
  run_rows(p, 0, m);
  return true;
}

}  // namespace minigrad::kernels
