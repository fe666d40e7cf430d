// OpenBLAS: which kernels it runs, the restart that changes them (see blas.hpp), its threads.
#include "blas.hpp"

#include <cblas.h>
#include <dlfcn.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <string>

extern "C" {
char* openblas_get_corename(void);
char* openblas_get_config(void);
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
}

namespace minigrad::blas {

namespace {
const char* kRestartMarker = "MINIGRAD_BLAS_RESTARTED";
std::string g_chosen_by;  // set by init(); empty: the environment or OpenBLAS chose

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_generic(const std::string& core) {
  const std::string c = lower(core);
  return c == "prescott" || c == "core2" || c == "nehalem" || c == "atom" || c == "katmai" ||
         c == "coppermine" || c == "northwood" || c == "banias" || c == "penryn" ||
         c == "dunnington";
}

// The fastest OpenBLAS core type this CPU can run, from its feature flags (not its model number,
// which is what OpenBLAS 0.3.21 looks at and does not know for newer CPUs).
// True when OpenBLAS already runs kernels at least as good as `best`: its own detection may name
// a newer core of the same family (Cooperlake, SapphireRapids for SKYLAKEX).
bool is_native_match(const std::string& core, const std::string& best) {
  const std::string c = lower(core);
  if (lower(best) == "skylakex") return c == "cooperlake" || c == "sapphirerapids";
  if (lower(best) == "haswell")
    return c == "zen" || c == "skylakex" || c == "cooperlake" || c == "sapphirerapids";
  return false;
}

std::string best_core_for_cpu() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return "SKYLAKEX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "HASWELL";
  if (__builtin_cpu_supports("avx")) return "SANDYBRIDGE";
#endif
  return "";
}

void restart_with(const std::string& core, char** argv) {
  setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
  setenv(kRestartMarker, core.c_str(), 1);
  execv("/proc/self/exe", argv);
  // execv returned: restarting is impossible here (no /proc?). Carry on with what we have.
  unsetenv(kRestartMarker);
  g_chosen_by = "OpenBLAS's own detection (restart with " + core + " failed)";
}
}  // namespace

void init(int /*argc*/, char** argv) {
  const char* restarted = std::getenv(kRestartMarker);
  const char* user_core = std::getenv("OPENBLAS_CORETYPE");
  const char* mode_env = std::getenv("MINIGRAD_BLAS_CORE");
  const std::string mode = mode_env && *mode_env ? lower(mode_env) : "auto";

  if (restarted != nullptr) {
    g_chosen_by =
        "minigrad from the CPU's features (OpenBLAS's own detection gave generic kernels)";
    if (mode != "auto") g_chosen_by = fmt::format("MINIGRAD_BLAS_CORE={}", mode_env);
    unsetenv(kRestartMarker);
    return;
  }
  if (mode == "off") {
    g_chosen_by = user_core ? fmt::format("OPENBLAS_CORETYPE={}", user_core)
                            : "OpenBLAS's own detection (MINIGRAD_BLAS_CORE=off)";
    return;
  }
  if (mode == "best") {
    // Like auto, but also overrides an OPENBLAS_CORETYPE set by the environment.
    const std::string best = best_core_for_cpu();
    if (!best.empty() && lower(core_name()) != lower(best) && !is_native_match(core_name(), best))
      restart_with(best, argv);
    g_chosen_by = "MINIGRAD_BLAS_CORE=best";
    return;
  }
  if (mode != "auto") {
    // An explicit core name: make OpenBLAS load it unless it already runs it.
    if (lower(core_name()) != mode) restart_with(mode_env, argv);
    g_chosen_by = fmt::format("MINIGRAD_BLAS_CORE={}", mode_env);
    return;
  }
  if (user_core != nullptr) {
    g_chosen_by = fmt::format("OPENBLAS_CORETYPE={} (set by the environment)", user_core);
    return;
  }
  if (is_generic(core_name())) {
    const std::string best = best_core_for_cpu();
    if (!best.empty()) restart_with(best, argv);
  }
}

std::string core_name() {
  const char* name = openblas_get_corename();
  return name ? std::string(name) : std::string("unknown");
}

KernelInfo kernel_info() {
  std::string chosen_by = g_chosen_by;
  if (chosen_by.empty()) {
    const char* user_core = std::getenv("OPENBLAS_CORETYPE");
    chosen_by = user_core ? fmt::format("OPENBLAS_CORETYPE={} (set by the environment)", user_core)
                          : "OpenBLAS's own detection";
  }
  return {core_name(), chosen_by, num_threads()};
}

void set_num_threads(int n) { openblas_set_num_threads(n < 1 ? 1 : n); }
int num_threads() { return openblas_get_num_threads(); }

void stop_idle_pool() {
  // blas_thread_shutdown_ is what OpenBLAS itself calls before a fork; its pthreads builds export
  // it, and its next threaded call starts the pool again. Looked up at run time, so that an
  // OpenBLAS without it (a serial build) links too.
  using Shutdown = int (*)();
  static const auto shutdown =
      reinterpret_cast<Shutdown>(dlsym(RTLD_DEFAULT, "blas_thread_shutdown_"));
  if (shutdown) shutdown();
}

}  // namespace minigrad::blas
