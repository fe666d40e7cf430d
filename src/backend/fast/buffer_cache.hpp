// The fast backend's memory: 64-byte aligned buffers, recycled by size in bytes (a float buffer
// and an index buffer of the same size are interchangeable, as malloc's would be).
// A training step asks for the same buffers in the same sizes every time; handing a freed one to
// the next request of its size keeps large buffers from going back to the kernel and faulting in
// again, zero-filled, on the next step; buffers of 256 KiB and more live in 2 MiB pages.
// A request of 256 KiB or more that finds no buffer of its size borrows the smallest larger one.
// Leaves out: returning memory on its own (free_cached() is asked).
#pragma once

#include <cstddef>

namespace minigrad::kernels {

/// `bytes` bytes, 64-byte aligned: a cached buffer of that size if there is one, else new.
void* cached_allocate(size_t bytes);
/// Keeps `p` (from cached_allocate(bytes)) for reuse, or frees it when the cache is full.
void cached_release(void* p, size_t bytes);
/// Frees every buffer the cache holds.
void free_cached();
/// Whether a buffer of `bytes` given back is kept for reuse (while the cache has room).
bool keeps(size_t bytes);

}  // namespace minigrad::kernels
