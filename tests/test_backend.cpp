// Tests of backend/backend.hpp, on whichever backend runs (MINIGRAD_BACKEND): gemm against a
// product written out by its definition on odd shapes, all transposes, alpha and beta; beta = 0
// never reads C; linear equals the bias plus gemm; aligned memory; every row of parallel_rows
// and every index of a background task visited once; the name and the apps' line.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "minigrad/backend/backend.hpp"
#include "minigrad/backend/scratch.hpp"
#include "minigrad/generator.hpp"

using namespace minigrad;

namespace {

std::vector<float> random_values(int64_t n, Generator& gen) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = gen.uniform(-1.0f, 1.0f);
  return v;
}

// C = alpha·op(A)·op(B) + beta·C by the definition, in double.
std::vector<float> by_definition(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
                                 const std::vector<float>& a, const std::vector<float>& b,
                                 float beta, std::vector<float> c) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p)
        s += static_cast<double>(a[static_cast<size_t>(ta ? p * m + i : i * k + p)]) *
             b[static_cast<size_t>(tb ? j * k + p : p * n + j)];
      float& out = c[static_cast<size_t>(i * n + j)];
      out = static_cast<float>(alpha * s + (beta == 0.0f ? 0.0 : beta * static_cast<double>(out)));
    }
  return c;
}

double max_diff(const std::vector<float>& x, const std::vector<float>& y) {
  double d = 0;
  for (size_t i = 0; i < x.size(); ++i) d = std::max(d, std::fabs(double{x[i]} - y[i]));
  return d;
}

struct ThreadsGuard {
  explicit ThreadsGuard(int n) { backend::set_num_threads(n); }
  ~ThreadsGuard() { backend::set_num_threads(1); }
};

}  // namespace

TEST_CASE("the backend is named, and its line for the apps names it") {
  const std::string name = backend::name();
  CHECK((name == "fast" || name == "reference"));
  CHECK(backend::describe().rfind("backend: " + name + " (", 0) == 0);
  MESSAGE("running on ", backend::describe());
}

TEST_CASE("gemm equals the definition on odd shapes, all transposes, alpha and beta") {
  struct Dims {
    int64_t m, n, k;
  };
  const Dims dims[] = {{1, 1, 1}, {3, 2, 5}, {33, 127, 200}, {1, 7, 3}, {5, 1, 9}, {17, 13, 1}};
  Generator gen(23);
  for (const Dims& d : dims)
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (const std::pair<float, float>& ab :
             {std::pair{1.0f, 0.0f}, std::pair{0.5f, 1.0f}, std::pair{-2.0f, 0.25f}}) {
          const float alpha = ab.first, beta = ab.second;
          INFO("m=", d.m, " n=", d.n, " k=", d.k, " ta=", ta, " tb=", tb, " beta=", beta);
          const auto a = random_values(d.m * d.k, gen), b = random_values(d.k * d.n, gen);
          auto c = random_values(d.m * d.n, gen);
          const auto expected = by_definition(ta, tb, d.m, d.n, d.k, alpha, a, b, beta, c);
          backend::gemm(ta, tb, d.m, d.n, d.k, alpha, a.data(), b.data(), beta, c.data());
          // float32 sums of k terms below 1 in size: an error of a few ulps times sqrt(k)
          CHECK(max_diff(c, expected) < 4e-6 * std::sqrt(static_cast<double>(d.k)) * 4);
        }
}

TEST_CASE("gemm with beta = 0 never reads C (uninitialised output cannot leak NaN)") {
  const std::vector<float> a(6, 1.0f), b(12, 1.0f);
  std::vector<float> c(8, std::numeric_limits<float>::quiet_NaN());
  backend::gemm(false, false, 2, 4, 3, 1.0f, a.data(), b.data(), 0.0f, c.data());
  CHECK(c == std::vector<float>(8, 3.0f));
  // k = 0: an empty sum, C = beta·C.
  std::vector<float> d(8, NAN);
  backend::gemm(false, false, 2, 4, 0, 1.0f, a.data(), b.data(), 0.0f, d.data());
  CHECK(d == std::vector<float>(8, 0.0f));
  CHECK_THROWS_WITH_AS(
      backend::gemm(false, false, -1, 4, 3, 1.0f, a.data(), b.data(), 0.0f, nullptr),
      doctest::Contains("gemm: negative size m=-1"), std::invalid_argument);
}

TEST_CASE("linear adds the bias to every row of x·wᵀ, as gemm with beta = 1 over the bias does") {
  Generator gen(5);
  for (int threads : {1, 2}) {
    ThreadsGuard guard(threads);
    struct Dims {
      int64_t m, n, k;
    };
    for (const Dims d : {Dims{32, 128, 784}, Dims{7, 10, 3}, Dims{1, 1, 1}, Dims{5, 64, 0}}) {
      const int64_t m = d.m, n = d.n, k = d.k;
      INFO("m=", m, " n=", n, " k=", k, " threads=", threads);
      const auto x = random_values(m * k, gen), w = random_values(n * k, gen);
      const auto bias = random_values(n, gen);
      std::vector<float> expected(static_cast<size_t>(m * n));
      for (int64_t r = 0; r < m; ++r) std::copy(bias.begin(), bias.end(), expected.begin() + r * n);
      backend::gemm(false, true, m, n, k, 1.0f, x.data(), w.data(), 1.0f, expected.data());
      std::vector<float> y(expected.size(), NAN);
      backend::linear(m, n, k, x.data(), w.data(), bias.data(), y.data());
      CHECK(y == expected);  // the same sums, rounded the same way
    }
  }
}

TEST_CASE("zero_later: zeros for every reader; a product into all of the buffer stores") {
  const std::vector<float> a = {1, 2}, b = {3, 4, 5};  // (2, 1) · (1, 3): 3 4 5 / 6 8 10
  const std::vector<float> ab = {3, 4, 5, 6, 8, 10};
  const auto stale = [](int64_t n) {
    float* p = backend::allocate(n);
    std::fill_n(p, n, 7.0f);
    return p;
  };
  const auto values = [](const float* p, int64_t n) { return std::vector<float>(p, p + n); };

  float* c = stale(6);
  backend::zero_later(c, 6);
  backend::gemm(false, false, 2, 3, 1, 1.0f, a.data(), b.data(), 1.0f, c);
  CHECK(values(c, 6) == ab);  // added to the zeros: the 7s are never read
  backend::gemm(false, false, 2, 3, 1, 1.0f, a.data(), b.data(), 1.0f, c);
  CHECK(values(c, 6) == std::vector<float>{6, 8, 10, 12, 16, 20});  // owes nothing now: adds
  backend::release(c, 6);

  float* s = stale(6);
  backend::zero_later(s, 6);
  CHECK(backend::settle(s) == s);
  CHECK(values(s, 6) == std::vector<float>(6, 0.0f));
  backend::release(s, 6);

  float* part = stale(6);  // a product over 4 of its 6 values writes the zeros first
  backend::zero_later(part, 6);
  backend::gemm(false, false, 2, 2, 1, 1.0f, a.data(), b.data(), 1.0f, part);
  CHECK(values(part, 6) == std::vector<float>{3, 4, 6, 8, 0, 0});
  backend::release(part, 6);

  float* y = stale(6);  // linear overwrites y whole, bias included
  backend::zero_later(y, 6);
  const std::vector<float> bias = {1, 1, 1};
  backend::linear(2, 3, 1, a.data(), b.data(), bias.data(), y);
  CHECK(values(y, 6) == std::vector<float>{4, 5, 6, 7, 9, 11});
  backend::release(y, 6);

  // A released buffer forgets what it owed: its next owner's values are added to.
  float* gone = stale(6);
  backend::zero_later(gone, 6);
  backend::release(gone, 6);
  float* next = stale(6);
  backend::gemm(false, false, 2, 3, 1, 1.0f, a.data(), b.data(), 1.0f, next);
  CHECK(values(next, 6) == std::vector<float>{10, 11, 12, 13, 15, 17});
  backend::release(next, 6);
}

TEST_CASE("take_zeros: owed zeros are handed to a kernel that writes the whole buffer, once") {
  const auto stale = [](int64_t n) {
    float* p = backend::allocate(n);
    std::fill_n(p, n, 7.0f);
    return p;
  };
  const auto values = [](const float* p, int64_t n) { return std::vector<float>(p, p + n); };
  const bool defers = std::string(backend::name()) == "fast";  // the reference writes at once

  float* p = stale(6);
  backend::zero_later(p, 6);
  const bool fresh = backend::take_zeros(p, 6);
  CHECK(fresh == defers);
  if (!fresh) CHECK(values(p, 6) == std::vector<float>(6, 0.0f));
  CHECK_FALSE(backend::take_zeros(p, 6));  // owes nothing now: the kernel must add
  CHECK(values(p, 6) == (defers ? std::vector<float>(6, 7.0f) : std::vector<float>(6, 0.0f)));
  backend::release(p, 6);

  float* part = stale(6);  // a kernel over 4 of its 6 values: the zeros are written first
  backend::zero_later(part, 6);
  CHECK_FALSE(backend::take_zeros(part, 4));
  CHECK(values(part, 6) == std::vector<float>(6, 0.0f));
  backend::release(part, 6);

  float* none = stale(6);  // never deferred: its values stay
  CHECK_FALSE(backend::take_zeros(none, 6));
  CHECK(values(none, 6) == std::vector<float>(6, 7.0f));
  backend::release(none, 6);
}

TEST_CASE("allocate gives 64-byte aligned buffers that can be written and given back") {
  // The large sizes (256 KiB and more: the fast backend lays them out in 2 MiB pages) come
  // twice, so the second takes the buffer the first gave back.
  for (int64_t count : {0, 1, 17, 100000, 100000, 262144, 262144, 1000001, 1000001}) {
    float* p = backend::allocate(count);
    REQUIRE(p != nullptr);
    CHECK(reinterpret_cast<uintptr_t>(p) % 64 == 0);
    for (int64_t i = 0; i < count; ++i) p[i] = static_cast<float>(i);
    CHECK((count == 0 || p[count - 1] == static_cast<float>(count - 1)));
    backend::release(p, count);
  }
}

TEST_CASE("buffers of many sizes live at once keep their own values, and are given back") {
  // Sizes from 256 KiB to 1 MiB share 2 MiB pages in the fast backend (carved one after another):
  // each must keep its values while its neighbours are written, whatever order they go back in.
  const std::vector<int64_t> counts = {70000, 65536, 100000, 200000, 70000, 65537, 150000, 260000};
  std::vector<float*> buffers;
  for (size_t b = 0; b < counts.size(); ++b) {
    float* p = backend::allocate(counts[b]);
    REQUIRE(reinterpret_cast<uintptr_t>(p) % 64 == 0);
    std::fill(p, p + counts[b], static_cast<float>(b));
    buffers.push_back(p);
  }
  for (size_t b = 0; b < counts.size(); ++b) {
    CAPTURE(b);
    CHECK(std::all_of(buffers[b], buffers[b] + counts[b],
                      [&](float v) { return v == static_cast<float>(b); }));
  }
  for (size_t b : {3, 0, 7, 1, 5, 2, 6, 4}) backend::release(buffers[b], counts[b]);
  backend::empty_cache();  // every page carved from is unmapped: its buffers are all back
  float* again = backend::allocate(100000);
  again[99999] = 1.0f;
  CHECK(again[99999] == 1.0f);
  backend::release(again, 100000);
}

TEST_CASE(
    "a new size from 256 KiB borrows a larger cached buffer, which goes back at its own size") {
  backend::empty_cache();
  constexpr int64_t large = 1 << 20, smaller = 100000;  // 4 MiB and 400 KB of floats
  float* big = backend::allocate(large);
  big[large - 1] = 3.0f;
  backend::release(big, large);
  float* lent = backend::allocate(smaller);  // no cached buffer of this size: borrows
  std::fill(lent, lent + smaller, 1.0f);
  float* other = backend::allocate(smaller);  // none left to borrow: its own
  std::fill(other, other + smaller, 2.0f);
  CHECK(lent != other);
  CHECK(lent[smaller - 1] == 1.0f);
  backend::release(lent, smaller);
  backend::release(other, smaller);
  float* again = backend::allocate(large);  // the lent buffer, whole again
  again[large - 1] = 4.0f;
  CHECK(again[large - 1] == 4.0f);
#if !defined(__SANITIZE_ADDRESS__)  // where the fast backend's cache is off
  if (std::string(backend::name()) == "fast") {
    CHECK(lent == big);
    CHECK(again == big);
  }
#endif
  backend::release(again, large);
  backend::empty_cache();
}

// Resident memory of this process in KiB (Linux's /proc/self/statm, in pages of 4 KiB), or -1.
int64_t resident_kib() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = -1;
  statm >> size >> resident;
  return statm ? resident * 4 : -1;
}

TEST_CASE("reuses: what the backend keeps of a given-back buffer") {
  const bool fast = std::string(backend::name()) == "fast";
#if defined(__SANITIZE_ADDRESS__)  // where the fast backend's cache is off
  const bool keeps = false;
#else
  const bool keeps = fast;
#endif
  CHECK(backend::reuses(size_t{1} << 20) == keeps);   // 1 MiB
  CHECK(backend::reuses(size_t{16} << 20) == keeps);  // the largest the fast backend keeps
  CHECK_FALSE(backend::reuses(size_t{32} << 20));
}

TEST_CASE("empty_cache gives back the buffers kept for reuse, and allocate still works") {
  constexpr int64_t count = int64_t{2} << 20;  // 8 MiB of floats
  backend::empty_cache();                      // room in the cache, whatever ran before
  float* p = backend::allocate(count);
  std::fill(p, p + count, 1.0f);  // resident
  backend::release(p, count);     // the fast backend keeps it
  const int64_t before = resident_kib();
  backend::empty_cache();
  const int64_t after = resident_kib();
#if !defined(__SANITIZE_ADDRESS__)  // where the fast backend's cache is off
  if (std::string(backend::name()) == "fast" && before >= 0) CHECK(before - after >= 7 * 1024);
#endif
  (void)after;
  float* q = backend::allocate(count);
  q[count - 1] = 2.0f;
  CHECK(q[count - 1] == 2.0f);
  backend::release(q, count);
}

TEST_CASE("Scratch: an aligned array of plain values, filled when asked, that moves") {
  for (int64_t size : {0, 3, 40000, 300000}) {  // 300,000 doubles: a large buffer
    CAPTURE(size);
    backend::Scratch<double> sums(size, 0.5);
    CHECK(sums.size() == size);
    CHECK(reinterpret_cast<uintptr_t>(sums.data()) % 64 == 0);
    CHECK(std::all_of(sums.data(), sums.data() + size, [](double v) { return v == 0.5; }));
    backend::Scratch<int32_t> where(size);
    for (int64_t i = 0; i < size; ++i) where[i] = static_cast<int32_t>(size - i);
    const int32_t* data = where.data();
    const backend::Scratch<int32_t> moved(std::move(where));
    CHECK(moved.data() == data);
    CHECK((size == 0 || (moved[0] == size && moved[size - 1] == 1)));
  }
}

TEST_CASE("parallel_rows and a background task visit every index exactly once") {
  for (int threads : {1, 2}) {
    ThreadsGuard guard(threads);
    CHECK(backend::num_threads() >= 1);
    for (auto [rows, row_size] : {std::pair<int64_t, int64_t>{128, 784}, {1, 100000}, {3, 1}}) {
      std::vector<std::atomic<int>> seen(static_cast<size_t>(rows));
      backend::parallel_rows(rows, row_size, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) seen[static_cast<size_t>(r)]++;
      });
      for (auto& s : seen) CHECK(s.load() == 1);
    }
    std::vector<std::atomic<int>> marks(1000);
    const backend::BackgroundTicket t = backend::post_background(
        {[](const void* c, int64_t i0, int64_t i1) {
           auto& m = *static_cast<std::vector<std::atomic<int>>*>(const_cast<void*>(c));
           for (int64_t i = i0; i < i1; ++i) m[static_cast<size_t>(i)]++;
         },
         &marks, 1000, 7});
    backend::finish_background(t);
    for (auto& m : marks) CHECK(m.load() == 1);
  }
}

TEST_CASE("why_one_thread is empty exactly when two threads can run") {
  const std::string why = backend::why_one_thread();
  ThreadsGuard guard(2);
  if (!why.empty()) {
    MESSAGE("one thread here: ", why);
    if (std::string(backend::name()) == "reference") CHECK(backend::num_threads() == 1);
  } else {
    CHECK(backend::num_threads() == 2);
  }
}
