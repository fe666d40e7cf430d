// Storage: the flat float buffer behind one or more Tensor handles.
// 64-byte aligned so that BLAS and vectorised loops start on a cache line. Contiguous only.
// Freed buffers are recycled for the next request of the same size (see src/storage.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace minigrad {

class Storage {
 public:
  /// `count` floats, uninitialised unless `zero` is set.
  explicit Storage(int64_t count, bool zero = false);
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  int64_t size() const { return size_; }

 private:
  struct Free {
    size_t bytes;  // as allocated (rounded up to 64)
    void operator()(float* p) const;  // to the reuse cache (src/storage.cpp) or to free()
  };
  std::unique_ptr<float[], Free> data_;
  int64_t size_;
};

}  // namespace minigrad
