// bench --gemm: GFLOP/s of minigrad's sgemm kernels and of OpenBLAS, side by side, for the three
// product forms of Linear (x·Wᵀ forward, dyᵀ·x for the weight's gradient, dy·W for the input's)
// on one and two threads; and the sgemm bound of bench --sgemm-bound. Builds only with the fast
// backend (it reaches past the seam).
#pragma once

#include <string>

namespace minigrad::bench {

/// OpenBLAS sgemm, C = A·B on 2048 x 2048 matrices, in GFLOP/s over `seconds` on `threads` BLAS
/// threads (after a warm-up call). Large square products are where sgemm runs at its best, so
/// this bounds any training step (bench --sgemm-bound). The matrices are in tensor memory.
double openblas_sgemm_gflops(int threads, double seconds);

/// Runs the kernel benchmark and prints a table (or JSON). `sizes` is a comma-separated list of
/// "N" (square) or "MxNxK"; `threads` of 1s and 2s. Each configuration is timed for `seconds` in
/// each of `rounds` interleaved rounds; the medians are reported. `memory` is where the matrices
/// live, for every kernel alike: "tensor" (the backend's memory, as a Tensor's storage) or
/// "malloc" (a std::vector's). Throws train::UsageError on bad sizes or memory.
int run_gemm_benchmark(const std::string& sizes, const std::string& threads, int rounds,
                       double seconds, const std::string& memory, bool json);

}  // namespace minigrad::bench
