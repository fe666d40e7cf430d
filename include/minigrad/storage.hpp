// Storage: the flat float buffer behind one or more Tensor handles.
// 64-byte aligned so that vectorised loops start on a cache line. Contiguous only. The memory
// comes from the backend (backend/backend.hpp), which may recycle freed buffers. Its version
// counts in-place writes, so that autograd can tell that a value it saved has changed since.
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
  /// How many in-place writes this buffer has seen (PyTorch's `_version`); shared by all views.
  int64_t version() const { return version_; }
  /// Marks one in-place write; every write into an existing tensor's values calls it.
  void bump_version() { ++version_; }

 private:
  struct Release {
    int64_t count;
    void operator()(float* p) const;  // backend::release
  };
  std::unique_ptr<float[], Release> data_;
  int64_t size_;
  int64_t version_ = 0;
};

}  // namespace minigrad
