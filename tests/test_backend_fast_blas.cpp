// Tests of backend/fast/blas.hpp's stop_idle_pool: it ends the threads OpenBLAS keeps for its own
// products, and OpenBLAS's next product (Aᵀ·Bᵀ, which the tiles leave to it) starts them again
// and gives the same sums.
#include <dirent.h>
#include <dlfcn.h>
#include <doctest/doctest.h>

#include <vector>

#include "backend/fast/blas.hpp"
#include "minigrad/backend/backend.hpp"

using namespace minigrad;

namespace {

// How many threads this process has now: the entries of /proc/self/task.
int process_threads() {
  DIR* dir = opendir("/proc/self/task");
  REQUIRE(dir != nullptr);
  int n = 0;
  while (const dirent* e = readdir(dir))
    if (e->d_name[0] != '.') ++n;
  closedir(dir);
  return n;
}

// C = Aᵀ·Bᵀ for A (k, m) and B (n, k): a product OpenBLAS computes, not the tiles.
std::vector<float> product_by_openblas(int64_t m, int64_t n, int64_t k) {
  std::vector<float> a(k * m), b(n * k), c(m * n, 0.0f);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i % 13) * 0.25f - 1.5f;
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i % 7) * 0.5f - 1.0f;
  backend::gemm(true, true, m, n, k, 1.0f, a.data(), b.data(), 0.0f, c.data());
  return c;
}

}  // namespace

TEST_CASE("stop_idle_pool ends OpenBLAS's pool; its next product starts it again, same sums") {
  // A serial OpenBLAS has no pool and no shutdown to look up: nothing to test there.
  if (dlsym(RTLD_DEFAULT, "blas_thread_shutdown_") == nullptr) return;
  const int before = blas::num_threads();
  blas::set_num_threads(2);  // one pool thread at least, whatever the machine's CPU count
  const std::vector<float> with_pool = product_by_openblas(256, 256, 256);
  const int threads = process_threads();
  blas::stop_idle_pool();
  CHECK(process_threads() < threads);
  const std::vector<float> after_stop = product_by_openblas(256, 256, 256);
  CHECK(after_stop == with_pool);
  blas::stop_idle_pool();  // twice in a row is harmless
  CHECK(product_by_openblas(256, 256, 256) == with_pool);
  blas::set_num_threads(before);
}
