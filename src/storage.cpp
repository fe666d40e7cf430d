// Storage: 64-byte aligned float buffers.
#include "minigrad/storage.hpp"

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace minigrad {

void Storage::Free::operator()(float* p) const { std::free(p); }

Storage::Storage(int64_t count, bool zero) : size_(count) {
  if (count < 0) throw std::invalid_argument("Storage: negative size " + std::to_string(count));
  // aligned_alloc wants a size that is a multiple of the alignment, and at least one byte.
  size_t bytes = static_cast<size_t>(count) * sizeof(float);
  size_t rounded = ((bytes + 63) / 64) * 64;
  if (rounded == 0) rounded = 64;
  void* p = std::aligned_alloc(64, rounded);
  if (p == nullptr) throw std::bad_alloc();
  if (zero) std::memset(p, 0, rounded);
  data_.reset(static_cast<float*>(p));
}

}  // namespace minigrad
