// A 64-bit FNV-1a digest of bytes: enough to tell one table or tensor from another (a changed
// training file on --resume, ranks that no longer hold one model), not a defence against forgery.
#pragma once

#include <cstddef>
#include <cstdint>

namespace minigrad::train {

struct Digest {
  uint64_t value = 0xcbf29ce484222325ull;  // FNV-1a's offset basis

  /// Mixes `bytes` bytes at `data` into the digest, one byte at a time.
  void add(const void* data, size_t bytes) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < bytes; ++i) value = (value ^ p[i]) * 0x100000001b3ull;  // FNV prime
  }
};

}  // namespace minigrad::train
