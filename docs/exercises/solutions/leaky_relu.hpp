// Reference solution of docs/exercises/leaky_relu.cpp.
// x: (...) -> y: (...) = x where x > 0, s·x elsewhere
//   dx = dy · (x > 0 ? 1 : s)      (s at exactly x = 0, as in PyTorch)
Tensor leaky_relu(const Tensor& x, float negative_slope) {
  const int64_t n = x.numel();
  Tensor y = Tensor::empty(x.shape());
  for (int64_t i = 0; i < n; ++i) {
    const float v = x.data()[i];
    y.data()[i] = v > 0.0f ? v : negative_slope * v;
  }
  return record(y, "leaky_relu", {x}, [x, n, negative_slope](const Tensor& dy) {
    float* dx = grad_buffer(x);
    for (int64_t i = 0; i < n; ++i)
      dx[i] += dy.data()[i] * (x.data()[i] > 0.0f ? 1.0f : negative_slope);
  });
}
