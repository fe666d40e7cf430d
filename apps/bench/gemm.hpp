// bench --gemm: GFLOP/s of minigrad's sgemm kernels and of OpenBLAS, side by side, for the three
// product forms of Linear (x·Wᵀ forward, dyᵀ·x for the weight's gradient, dy·W for the input's)
// on one and two threads. Builds only with the fast backend (it reaches past the seam).
#pragma once

#include <string>

namespace minigrad::bench {

/// Runs the kernel benchmark and prints a table (or JSON). `sizes` is a comma-separated list of
/// "N" (square) or "MxNxK"; `threads` of 1s and 2s. Each configuration is timed for `seconds` in
/// each of `rounds` interleaved rounds; the medians are reported. Throws train::UsageError on bad
/// sizes.
int run_gemm_benchmark(const std::string& sizes, const std::string& threads, int rounds,
                       double seconds, bool json);

}  // namespace minigrad::bench
