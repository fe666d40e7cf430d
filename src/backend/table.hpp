// What a backend provides: one function for each of backend.hpp's, gathered in a table.
// backend.cpp picks a table once (MINIGRAD_BACKEND) and forwards every call to it.
#pragma once

#include <cstdint>
#include <string>

#include "minigrad/backend/backend.hpp"

namespace minigrad::backend {

struct Table {
  const char* name;
  std::string (*describe)();
  void (*gemm)(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float* a, const float* b, float beta, float* c);
  void (*linear)(int64_t m, int64_t n, int64_t k, const float* x, const float* w, const float* bias,
                 float* y);
  void (*max_pool2d)(const PoolWindows& g, const float* x, float* y, int32_t* argmax);
  void (*max_pool2d_backward)(const PoolWindows& g, const int32_t* argmax, const float* dy,
                              float* dx);
  void (*im2col)(const ConvColumns& g, const float* x, float* cols);
  void (*col2im)(const ConvColumns& g, const float* dcols, float* dx);
  void (*set_num_threads)(int n);
  int (*num_threads)();
  std::string (*why_one_thread)();
  void (*prepare_threads)();
  void (*parallel_rows)(int64_t rows, int64_t row_size, RangeFn fn, const void* context);
  BackgroundTicket (*post_background)(const BackgroundFn& task);
  void (*finish_background)(BackgroundTicket ticket);
  float* (*allocate)(int64_t count);
  void (*release)(float* p, int64_t count);
  void* (*allocate_bytes)(size_t bytes);
  void (*release_bytes)(void* p, size_t bytes);
  void (*empty_cache)();
  bool (*reuses)(size_t bytes);
  void (*zero_later)(float* p, int64_t count);
  float* (*settle)(float* p);
  bool (*take_zeros)(float* p, int64_t count);
};

/// The plain loops (reference/reference.cpp).
const Table& reference_table();
/// The tiles, OpenBLAS, the worker thread and the buffer cache (fast/fast.cpp).
const Table& fast_table();

}  // namespace minigrad::backend
