// Storage: a float buffer from the backend, zero-filled on request, given back when the last
// handle goes. Where the memory comes from (malloc, or a cache of recycled buffers) is the
// backend's business.
#include "minigrad/storage.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include "minigrad/backend/backend.hpp"

namespace minigrad {

void Storage::Release::operator()(float* p) const { backend::release(p, count); }

Storage::Storage(int64_t count, bool zero) : data_(nullptr, Release{count}), size_(count) {
  if (count < 0) throw std::invalid_argument("Storage: negative size " + std::to_string(count));
  data_.reset(backend::allocate(count));
  if (zero && count > 0) std::memset(data_.get(), 0, static_cast<size_t>(count) * sizeof(float));
}

}  // namespace minigrad
