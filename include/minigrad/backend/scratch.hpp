// Scratch<T>: an array an op makes and drops on every call (a convolution's columns, BatchNorm's
// sums, a max pooling's arg-max), in the backend's memory rather than malloc's. The fast backend
// hands a training step the buffers it gave back in the step before; from malloc, whether an
// array of a few hundred kilobytes comes back in pages already mapped depends on what else the
// process freed before it, and fresh pages cost more than the work on them (docs/benchmarks.md).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "minigrad/backend/backend.hpp"

namespace minigrad::backend {

/// `size` values of T (a type that needs no constructor: float, double, int32_t), uninitialised
/// unless given a value to fill with. Moves, never copies.
template <class T>
class Scratch {
  static_assert(std::is_trivial_v<T>, "Scratch holds plain values");

 public:
  explicit Scratch(int64_t size)
      : data_(static_cast<T*>(allocate_bytes(bytes(size)))), size_(size) {}
  Scratch(int64_t size, T value) : Scratch(size) { std::fill_n(data_, size, value); }
  Scratch(Scratch&& other) noexcept : data_(other.data_), size_(other.size_) {
    other.data_ = nullptr;
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  Scratch& operator=(Scratch&&) = delete;
  ~Scratch() {
    if (data_ != nullptr) release_bytes(data_, bytes(size_));
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  int64_t size() const { return size_; }
  T& operator[](int64_t i) { return data_[i]; }
  const T& operator[](int64_t i) const { return data_[i]; }

 private:
  static size_t bytes(int64_t size) { return static_cast<size_t>(size) * sizeof(T); }
  T* data_;
  int64_t size_;
};

}  // namespace minigrad::backend
