// The fast backend's memory: 64-byte aligned float buffers, recycled by size.
// A training step asks for the same buffers in the same sizes every time; handing a freed one to
// the next request of its size keeps large buffers from going back to the kernel and faulting in
// again, zero-filled, on the next step; buffers of 1 MiB and more are mapped in 2 MiB pages.
// Leaves out: pooling across sizes, returning memory early.
#pragma once

#include <cstdint>

namespace minigrad::kernels {

/// `count` floats, 64-byte aligned: a cached buffer of that size if there is one, else new.
float* cached_allocate(int64_t count);
/// Keeps `p` (from cached_allocate(count)) for reuse, or frees it when the cache is full.
void cached_release(float* p, int64_t count);

}  // namespace minigrad::kernels
