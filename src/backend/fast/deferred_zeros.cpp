// The record of deferred zeros: a short list of (address, size) under a spin lock. A model has a
// few dozen gradients, so a linear search is enough, and the list keeps its capacity, so a step
// allocates nothing (a hash map allocated a node per gradient). A counter is read first so that
// the common case, nothing owed, takes no lock.
#include "deferred_zeros.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <utility>
#include <vector>

#include "spin_lock.hpp"

namespace minigrad::kernels {

namespace {

struct Owed {
  SpinLock spin;
  std::vector<std::pair<float*, int64_t>> sizes;  // at most one entry per address
  std::atomic<size_t> count{0};                   // sizes.size(), readable without the lock
};

Owed& owed() {
  static Owed o;
  return o;
}

// p's entry in the record (under its lock), or end().
auto find(Owed& o, float* p) {
  return std::find_if(o.sizes.begin(), o.sizes.end(),
                      [p](const auto& entry) { return entry.first == p; });
}

// Removes p from the record; its size, or -1 if it owed nothing.
int64_t remove(float* p) {
  Owed& o = owed();
  if (o.count.load(std::memory_order_relaxed) == 0) return -1;
  std::lock_guard lock(o.spin);
  const auto it = find(o, p);
  if (it == o.sizes.end()) return -1;
  const int64_t size = it->second;
  *it = o.sizes.back();  // the order does not matter
  o.sizes.pop_back();
  o.count.store(o.sizes.size(), std::memory_order_relaxed);
  return size;
}

}  // namespace

void defer_zeros(float* p, int64_t count) {
  if (count <= 0) return;
  Owed& o = owed();
  std::lock_guard lock(o.spin);
  const auto it = find(o, p);
  if (it != o.sizes.end())
    it->second = count;
  else
    o.sizes.emplace_back(p, count);
  o.count.store(o.sizes.size(), std::memory_order_relaxed);
}

void settle_zeros(float* p) {
  const int64_t size = remove(p);
  if (size > 0) std::fill_n(p, size, 0.0f);
}

bool take_zeros(float* p, int64_t count) {
  const int64_t size = remove(p);
  if (size == count) return true;
  if (size > 0) std::fill_n(p, size, 0.0f);
  return false;
}

void forget_zeros(float* p) { remove(p); }

}  // namespace minigrad::kernels
