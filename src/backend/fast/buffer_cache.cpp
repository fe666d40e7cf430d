// The buffer cache behind the fast backend's allocate/release.
//
// A freed buffer is kept in a small cache keyed by its size and handed to the next request of
// that size; the most recently freed comes first, while it is still in the CPU's caches.
// The cache is bounded (kMaxCachedBytes in all, kMaxBlockBytes per buffer) and is off under
// AddressSanitizer, so that a use after free is still caught there.
#include "buffer_cache.hpp"

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <utility>
#include <vector>

#include "spin_lock.hpp"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace minigrad::kernels {

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCacheEnabled = false;
#else
constexpr bool kCacheEnabled = true;
#endif
// The convolutional model's step at batch 64 gives back 87 MiB of buffers at its end (its
// activations and their gradients, most of them 2-8 MiB, and its scratch arrays), and an epoch's
// last, smaller batch another set of other sizes: 126 MiB in all. With room for only 64 MiB, the
// last buffers of every step were unmapped and the next step mapped and cleared seven 2 MiB
// pages afresh, a tenth of the step's time (docs/benchmarks.md). The price: what the cache holds
// stays resident until free_cached(), which the apps ask for when training ends.
constexpr size_t kMaxBlockBytes = size_t{16} << 20;
constexpr size_t kMaxCachedBytes = size_t{128} << 20;

// Buffers of kLargeBytes and more (a batch of 2048 rows of 128 floats; the gathered batch from
// 335 rows of Fashion-MNIST) are mapped on their own, in whole 2 MiB pages (a 1 MiB buffer takes
// 2) that Linux backs with huge pages when asked (madvise). Buffers from kMediumBytes up to
// kLargeBytes (a batch of 2048 rows of 64 floats, a weight of 128 x 784) are carved one after
// another from such pages (PageCarver). On the virtual machine of docs/benchmarks.md a first
// touch costs about 11-14 µs per 4 KiB page (a 512 KiB buffer: 1.8 ms; 50 ms for the fresh
// buffers of a first step at batch 2048) and about 0.12 ms per 2 MiB page, a 45th as much per
// byte; streaming over a buffer is faster too, with fewer TLB misses. A smaller buffer's first
// touch costs under a millisecond, once, and stays in malloc's heap. Mappings of their own, not
// malloc's heap: advice given to heap memory outlives the buffer, and made the convolutional
// model's other allocations (malloc'd, freed every step) clear whole 2 MiB pages, 15% slower.
constexpr size_t kMediumBytes = size_t{256} << 10;
constexpr size_t kLargeBytes = size_t{1} << 20;
constexpr size_t kHugePage = size_t{2} << 20;

class BufferCache {
 public:
  // A cached buffer of exactly `bytes`; else, for kMediumBytes and more (the sizes that live in
  // 2 MiB pages and fault in dearly), the smallest cached buffer that is larger (lent: give()
  // takes it back at its own size); else nullptr. A step whose sizes are new (an epoch's last,
  // smaller batch; evaluation's batches) thus reuses the training step's buffers instead of mapping
  // and clearing pages of its own. A training step that finds every size it needs in the cache, as
  // each does after the first, never borrows.
  void* take(size_t bytes) {
    std::lock_guard lock(spin_);
    auto it = free_.find(bytes);
    if (it == free_.end() || it->second.empty()) {
      if (bytes < kMediumBytes) return nullptr;
      it = free_.end();
      for (auto i = free_.begin(); i != free_.end(); ++i)
        if (i->first > bytes && !i->second.empty() && (it == free_.end() || i->first < it->first))
          it = i;
      if (it == free_.end()) return nullptr;
      lent_[it->second.back()] = it->first;
    }
    void* p = it->second.back();
    it->second.pop_back();
    cached_bytes_ -= it->first;
    return p;
  }
  // Keeps `p`, asked for as `bytes`, for reuse and returns 0; or returns the size to free it
  // with (its own, if it was lent) when it is too large or the cache is full.
  size_t give(void* p, size_t bytes) {
    std::lock_guard lock(spin_);
    if (!lent_.empty()) {
      if (const auto it = lent_.find(p); it != lent_.end()) {
        bytes = it->second;
        lent_.erase(it);
      }
    }
    if (bytes > kMaxBlockBytes || cached_bytes_ + bytes > kMaxCachedBytes) return bytes;
    free_[bytes].push_back(p);
    cached_bytes_ += bytes;
    return 0;
  }
  // Every cached buffer, each with its size; the cache is then empty.
  std::vector<std::pair<void*, size_t>> take_all() {
    std::lock_guard lock(spin_);
    std::vector<std::pair<void*, size_t>> all;
    for (auto& [bytes, buffers] : free_)
      for (void* p : buffers) all.emplace_back(p, bytes);
    free_.clear();
    cached_bytes_ = 0;
    return all;
  }

 private:
  SpinLock spin_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  std::unordered_map<void*, size_t> lent_;  // buffers handed out for a smaller size: their own
  size_t cached_bytes_ = 0;
};

// Never destroyed: a buffer owned by a static object may be released after static destruction.
BufferCache& cache() {
  static auto* c = new BufferCache;
  return *c;
}

// aligned_alloc wants a size that is a multiple of the alignment, and at least one byte.
size_t rounded_bytes(size_t bytes) {
  const size_t rounded = ((bytes + 63) / 64) * 64;
  if (rounded >= kLargeBytes) return (rounded + kHugePage - 1) / kHugePage * kHugePage;
  return rounded == 0 ? 64 : rounded;
}

// Not under AddressSanitizer, which watches malloc's memory only.
#if defined(__linux__) && defined(MADV_HUGEPAGE) && !defined(__SANITIZE_ADDRESS__)
// `bytes` (a multiple of kHugePage) at an address aligned to kHugePage: a mapping one page longer,
// trimmed at both ends.
void* map_large(size_t bytes) {
  void* m =
      mmap(nullptr, bytes + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return nullptr;
  const auto start = reinterpret_cast<uintptr_t>(m);
  const uintptr_t aligned = (start + kHugePage - 1) / kHugePage * kHugePage;
  if (aligned > start) munmap(m, aligned - start);
  if (const size_t tail = start + kHugePage - aligned; tail > 0)
    munmap(reinterpret_cast<void*>(aligned + bytes), tail);
  void* p = reinterpret_cast<void*>(aligned);
  madvise(p, bytes, MADV_HUGEPAGE);  // advice only: 4 KiB pages if refused
  return p;
}

// Medium buffers, carved from 2 MiB pages in the order asked: a page is unmapped when every
// buffer carved from it has been given back (with the cache in front, at free_cached(), or
// when the cache is full). A page's unused tail (less than one buffer) stays unused.
class PageCarver {
 public:
  void* take(size_t bytes) {
    std::lock_guard lock(mutex_);
    if (open_ == nullptr || open_->used + bytes > kHugePage) {
      void* base = map_large(kHugePage);
      if (base == nullptr) return nullptr;
      open_ = &pages_[reinterpret_cast<uintptr_t>(base)];
      open_->base = static_cast<char*>(base);
    }
    void* p = open_->base + open_->used;
    open_->used += bytes;
    ++open_->live;
    return p;
  }
  void give_back(void* p) {
    std::lock_guard lock(mutex_);
    const auto it = pages_.find(reinterpret_cast<uintptr_t>(p) / kHugePage * kHugePage);
    if (--it->second.live > 0) return;
    if (&it->second == open_) open_ = nullptr;
    munmap(it->second.base, kHugePage);
    pages_.erase(it);
  }

 private:
  struct Page {
    char* base = nullptr;
    size_t used = 0;   // bytes carved so far, from the start
    int64_t live = 0;  // carved buffers not given back
  };
  std::mutex mutex_;
  std::unordered_map<uintptr_t, Page> pages_;  // by base address (elements never move)
  Page* open_ = nullptr;                       // the page new buffers are carved from
};

// Never destroyed, as the cache.
PageCarver& carver() {
  static auto* c = new PageCarver;
  return *c;
}

void* new_buffer(size_t bytes) {
  if (bytes < kMediumBytes) return std::aligned_alloc(64, bytes);
  return bytes < kLargeBytes ? carver().take(bytes) : map_large(bytes);
}
void free_buffer(void* p, size_t bytes) {
  if (bytes < kMediumBytes)
    std::free(p);
  else if (bytes < kLargeBytes)
    carver().give_back(p);
  else
    munmap(p, bytes);
}
#else
void* new_buffer(size_t bytes) { return std::aligned_alloc(64, bytes); }
void free_buffer(void* p, size_t) { std::free(p); }
#endif

}  // namespace

void* cached_allocate(size_t size) {
  const size_t bytes = rounded_bytes(size);
  void* p = kCacheEnabled ? cache().take(bytes) : nullptr;
  if (p == nullptr) p = new_buffer(bytes);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void cached_release(void* p, size_t size) {
  if (p == nullptr) return;
  const size_t bytes = rounded_bytes(size);
  if (!kCacheEnabled) {
    free_buffer(p, bytes);
    return;
  }
  if (const size_t own = cache().give(p, bytes); own > 0) free_buffer(p, own);
}

bool keeps(size_t bytes) { return kCacheEnabled && bytes <= kMaxBlockBytes; }

void free_cached() {
  for (const auto& [p, bytes] : cache().take_all()) free_buffer(p, bytes);
}

}  // namespace minigrad::kernels
