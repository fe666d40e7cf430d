// Picks the tiled sgemm kernels for this CPU once, and decides per product whether they or
// OpenBLAS run it. The size rule comes from measurements (docs/benchmarks.md): the tiles win while
// the products are small enough that OpenBLAS's packing is a large part of its time.
#include "minigrad/backend/gemm_kernels.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <stdexcept>
#include <string_view>

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

bool gemm_with(Isa which, bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
               float alpha, const float* a, const float* b, float beta, float* c) {
  switch (which) {
    case Isa::Avx512:
      return cpu_has_avx512() &&
             detail::gemm_avx512(transpose_a, transpose_b, m, n, k, alpha, a, b, beta, c);
    case Isa::Avx2:
      return cpu_has_avx2() &&
             detail::gemm_avx2(transpose_a, transpose_b, m, n, k, alpha, a, b, beta, c);
    case Isa::None: break;
  }
  return false;
}

bool gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, const float* b, float beta, float* c) {
  const Isa which = isa();
  if (which == Isa::None) return false;
  return gemm_with(which, transpose_a, transpose_b, m, n, k, alpha, a, b, beta, c);
}

}  // namespace minigrad::kernels
