// Reference solution of docs/exercises/broadcast_bias.cpp: db[j] = Σ_rows dy[r, j].
Tensor add_bias(const Tensor& x, const Tensor& b) {
  const int64_t B = x.size(0), n = x.size(1);
  Tensor y = Tensor::empty(x.shape());
  for (int64_t r = 0; r < B; ++r)
    for (int64_t j = 0; j < n; ++j) y.data()[r * n + j] = x.data()[r * n + j] + b.data()[j];
  return record(y, "add_bias", {x, b}, [x, b, B, n](const Tensor& dy) {
    float* dx = grad_buffer(x);
    for (int64_t k = 0; k < B * n; ++k) dx[k] += dy.data()[k];
    float* db = grad_buffer(b);
    for (int64_t r = 0; r < B; ++r)
      for (int64_t j = 0; j < n; ++j) db[j] += dy.data()[r * n + j];
  });
}
