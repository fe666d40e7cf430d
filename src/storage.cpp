// Storage: 64-byte aligned float buffers, recycled.
//
// A training step allocates the same buffers in the same sizes every time (activations, their
// gradients, temporaries). Returning them to malloc makes large ones (128 KiB and up: one
// activation at batch 256) go back to the kernel and fault in again, zero-filled, on the next step.
// So a freed buffer is kept in a small cache keyed by its size and handed to the next request of
// that size; the most recently freed comes first, while it is still in the CPU's caches.
// The cache is bounded (kMaxCachedBytes in all, kMaxBlockBytes per buffer) and is off under
// AddressSanitizer, so that a use after free is still caught there.
#include "minigrad/storage.hpp"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace minigrad {

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCacheEnabled = false;
#else
constexpr bool kCacheEnabled = true;
#endif
constexpr size_t kMaxBlockBytes = size_t{16} << 20;
constexpr size_t kMaxCachedBytes = size_t{64} << 20;

class BufferCache {
 public:
  // A cached buffer of exactly `bytes`, or nullptr.
  void* take(size_t bytes) {
    std::lock_guard lock(mutex_);
    auto it = free_.find(bytes);
    if (it == free_.end() || it->second.empty()) return nullptr;
    void* p = it->second.back();
    it->second.pop_back();
    cached_bytes_ -= bytes;
    return p;
  }
  // Keeps `p` for reuse; false (the caller frees it) when it is too large or the cache is full.
  bool give(void* p, size_t bytes) {
    if (bytes > kMaxBlockBytes) return false;
    std::lock_guard lock(mutex_);
    if (cached_bytes_ + bytes > kMaxCachedBytes) return false;
    free_[bytes].push_back(p);
    cached_bytes_ += bytes;
    return true;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t cached_bytes_ = 0;
};

// Never destroyed: a Storage owned by a static object may be freed after static destruction.
BufferCache& cache() {
  static auto* c = new BufferCache;
  return *c;
}

}  // namespace

void Storage::Free::operator()(float* p) const {
  if (!(kCacheEnabled && cache().give(p, bytes))) std::free(p);
}

Storage::Storage(int64_t count, bool zero) : data_(nullptr, Free{0}), size_(count) {
  if (count < 0) throw std::invalid_argument("Storage: negative size " + std::to_string(count));
  // aligned_alloc wants a size that is a multiple of the alignment, and at least one byte.
  const size_t bytes = static_cast<size_t>(count) * sizeof(float);
  size_t rounded = ((bytes + 63) / 64) * 64;
  if (rounded == 0) rounded = 64;
  void* p = kCacheEnabled ? cache().take(rounded) : nullptr;
  if (p == nullptr) p = std::aligned_alloc(64, rounded);
  if (p == nullptr) throw std::bad_alloc();
  if (zero) std::memset(p, 0, rounded);
  data_ = std::unique_ptr<float[], Free>(static_cast<float*>(p), Free{rounded});
}

}  // namespace minigrad
