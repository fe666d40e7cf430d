// Exercise for "Broadcasting, undone in backward" (docs/autograd.md, chapter 4).
// add_bias(x, b) adds the row b (n) to every row of x (B, n). Its forward and dx are written;
// write db. Each b[j] was used once per row, so each use adds one term: db has b's shape (n),
// not the output's (B, n).
//   make exercise NAME=broadcast_bias
#include <doctest/doctest.h>

#include "minigrad/autograd.hpp"
#include "minigrad/gradcheck.hpp"

using namespace minigrad;

#ifdef MINIGRAD_EXERCISE_SOLUTION
#include "solutions/broadcast_bias.hpp"
#else
// ---- your code: fill in db ----
// x: (B, n), b: (n) -> y: (B, n) = x + b (b added to every row)
//   dx = dy           (B, n)
//   db = ?            (n)
Tensor add_bias(const Tensor& x, const Tensor& b) {
  const int64_t B = x.size(0), n = x.size(1);
  Tensor y = Tensor::empty(x.shape());
  for (int64_t r = 0; r < B; ++r)
    for (int64_t j = 0; j < n; ++j) y.data()[r * n + j] = x.data()[r * n + j] + b.data()[j];
  return record(y, "add_bias", {x, b}, [x, b, B, n](const Tensor& dy) {
    float* dx = grad_buffer(x);
    for (int64_t k = 0; k < B * n; ++k) dx[k] += dy.data()[k];
    float* db = grad_buffer(b);
    (void)db;  // add each row of dy into db
  });
}
// ---- end of your code ----
#endif

TEST_CASE("add_bias passes the gradient check, and b's gradient has b's shape") {
  Generator gen(3);
  Tensor x = Tensor::randn({4, 3}, gen).requires_grad_();
  Tensor b = Tensor::randn({3}, gen).requires_grad_();
  const GradCheckResult r =
      gradcheck([](const std::vector<Tensor>& in) { return add_bias(in[0], in[1]); }, {x, b});
  CHECK_MESSAGE(r.ok, r.report);
  add_bias(x, b).backward(Tensor::ones({4, 3}));
  CHECK(b.grad().shape() == Shape{3});
  CHECK(b.grad().at({0}) == 4);  // four rows, each contributing 1
}
