// OpenBLAS inside the fast backend: which kernels it runs, and on how many threads.
//
// Debian's OpenBLAS picks its kernels at load time from the CPU's model number. On a CPU newer
// than the library it falls back to generic "Prescott" kernels, 5x slower than the AVX-512 ones
// the CPU can run. init() detects that case from the CPU's feature flags and restarts the
// program once with OPENBLAS_CORETYPE set. Only bench's --sgemm-bound calls it: training runs
// minigrad's own tiles, and OpenBLAS only takes the rare product they do not.
#pragma once

#include <string>

namespace minigrad::blas {

/// How the kernel was chosen, for the line apps print.
struct KernelInfo {
  std::string core;       // what OpenBLAS runs now, e.g. "SkylakeX", "Haswell", "Prescott"
  std::string chosen_by;  // "OpenBLAS's own detection", "OPENBLAS_CORETYPE=...", ...
  int threads = 1;
};

/// Call at the top of main(), before any thread starts. If OpenBLAS runs generic kernels on a CPU
/// that has AVX-512 (or AVX2+FMA), re-executes the program once with OPENBLAS_CORETYPE=SKYLAKEX (or
/// HASWELL); returns normally otherwise. An OPENBLAS_CORETYPE set in the environment is respected.
/// The environment variable MINIGRAD_BLAS_CORE changes the policy: "auto" (the default, as above),
/// "best" (the best kernels for this CPU even over OPENBLAS_CORETYPE), "off" (never restart), or a
/// core name such as "Haswell" (force it).
void init(int argc, char** argv);
/// The kernel OpenBLAS runs, as it names it.
std::string core_name();
KernelInfo kernel_info();
/// OpenBLAS's own thread count.
void set_num_threads(int n);
int num_threads();
/// Ends OpenBLAS's pool threads until its next threaded call. The pool starts when the library
/// loads, and its threads spin looking for work for about a tenth of a second before they sleep:
/// beside a program that runs none of its products that is a second busy thread, which takes a
/// core and reads as a competing program to the thread chooser.
void stop_idle_pool();

}  // namespace minigrad::blas
