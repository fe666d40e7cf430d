// Zeroing a gradient later: the fast backend's record of the buffers that zero_later() made
// zeros in name only. The first product into all of such a buffer stores its result (beta = 0)
// instead of adding it to zeros, which spares one pass writing the zeros and the product's read
// of them; anything else fills the zeros first (settle). Keyed by the buffer's address.
#pragma once

#include <cstdint>

namespace minigrad::kernels {

/// Notes p[0, count) as owing zeros.
void defer_zeros(float* p, int64_t count);
/// Writes the zeros p owes, if any, and forgets it.
void settle_zeros(float* p);
/// For a product that writes `count` values at p: true if p owed exactly those zeros (now
/// forgotten: the product stores instead of adding). Owed zeros of another extent are written.
bool take_zeros(float* p, int64_t count);
/// Forgets p without writing: it is freed, or about to be overwritten whole.
void forget_zeros(float* p);

}  // namespace minigrad::kernels
