// Reference solution of docs/exercises/accumulate.cpp: every path adds its term (+=).
Tensor times(const Tensor& a, const Tensor& b) {
  Tensor y = Tensor::empty(a.shape());
  for (int64_t i = 0; i < y.numel(); ++i) y.data()[i] = a.data()[i] * b.data()[i];
  return record(y, "times", {a, b}, [a, b](const Tensor& dy) {
    float* da = grad_buffer(a);
    float* db = grad_buffer(b);
    for (int64_t i = 0; i < dy.numel(); ++i) {
      da[i] += dy.data()[i] * b.data()[i];
      db[i] += dy.data()[i] * a.data()[i];
    }
  });
}
