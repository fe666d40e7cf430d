// minigrad's own sgemm kernels, in two designs: unpacked register tiles for the small products
// of MLP training (batch x features by features x units), where packing operands that are used
// only a few times costs more than it saves (gemm_tiles.hpp), and cache-blocked packed panels for
// large products (gemm_packed.hpp). Each for AVX-512 and for AVX2+FMA, picked at run time from the
// CPU; the rest (CPUs without AVX2, Aᵀ·Bᵀ) stays with OpenBLAS.
#pragma once

#include <cstdint>

#include "parallel.hpp"  // set_num_threads: 2 splits large products

namespace minigrad::kernels {

/// The instruction set of the tiled kernels in use.
enum class Isa { None, Avx2, Avx512 };

/// Chosen once from the CPU and the environment variable MINIGRAD_GEMM: "auto" (default: the
/// widest the CPU supports), "avx512", "avx2" (if the CPU has it) or "blas" (OpenBLAS only).
Isa isa();
/// "AVX-512", "AVX2" or "none", for the kernel line the apps print.
const char* isa_name();

/// C (m, n) = alpha·op(A)·op(B) + beta·C, row-major, op(X) = Xᵀ when its flag is set; the same
/// contract as cblas_sgemm with tight leading dimensions. Returns false, touching nothing, when the
/// tiled kernels do not take this product (the caller then uses OpenBLAS).
/// With `bias` (n values; beta must be 0 and the product A·Bᵀ, Linear's forward, else false):
/// C = alpha·A·Bᵀ + bias in every row, bit-identical to rows that start as the bias and beta = 1.
bool gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, const float* b, float beta, float* c, const float* bias = nullptr);

/// Runs the tiled kernels of `isa` regardless of the size policy (for tests); false if this CPU
/// cannot run them or the product is Aᵀ·Bᵀ.
bool gemm_with(Isa isa, bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
               float alpha, const float* a, const float* b, float beta, float* c);

/// The packed kernels of `isa` regardless of the size policy (for tests and bench); false if this
/// CPU cannot run them or the product is Aᵀ·Bᵀ.
bool gemm_packed_with(Isa isa, bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                      float alpha, const float* a, const float* b, float beta, float* c);

/// Whether gemm() takes the packed kernels for a product of this size (else the tiles).
bool use_packed(int64_t m, int64_t n, int64_t k);

/// Allocates and touches the calling thread's packing buffers for the kernels in use (each thread
/// has its own, made at its first packed product otherwise).
void ready_pack_buffers();
/// Whether the calling thread has run a packed product of the kernels in use.
bool has_pack_buffers();

namespace detail {
// With BLAS's leading dimensions (row strides of A, B and C as stored).
bool gemm_avx512(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc, const float* bias);
bool gemm_avx2(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
               int64_t ldc, const float* bias);
bool gemm_packed_avx512(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                        float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                        float beta, float* c, int64_t ldc, const float* bias);
bool gemm_packed_avx2(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                      float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                      float beta, float* c, int64_t ldc, const float* bias);
void ready_pack_buffers_avx512();
void ready_pack_buffers_avx2();
bool has_pack_buffers_avx512();
bool has_pack_buffers_avx2();
}  // namespace detail

}  // namespace minigrad::kernels
