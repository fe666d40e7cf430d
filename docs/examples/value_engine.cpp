// The scalar engine of value.hpp at work: first the three-node graph of the tutorial, then a
// small MLP (3 inputs, two hidden layers of 4 tanh units, 1 output) trained on four points.
// Every weight is one Value, so the graph of one step holds a few hundred of them.
#include <cstdint>
#include <cstdio>
#include <vector>

#include "value.hpp"

using namespace scalar;

// A tiny deterministic generator (a 64-bit LCG), so that the output is the same on every machine.
double uniform(uint64_t& state) {  // in [-1, 1)
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return static_cast<double>(state >> 11) * 0x1.0p-53 * 2 - 1;
}

// One layer of `out` units, each y_j = Σ_k w[j][k]·x[k] + b[j], optionally through tanh.
struct Layer {
  std::vector<std::vector<Value>> w;
  std::vector<Value> b;
  bool use_tanh;
  Layer(int in, int out, bool use_tanh, uint64_t& rng) : use_tanh(use_tanh) {
    for (int j = 0; j < out; ++j) {
      w.emplace_back();
      for (int k = 0; k < in; ++k) w[j].push_back(value(uniform(rng)));
      b.push_back(value(0));
    }
  }
  std::vector<Value> operator()(const std::vector<Value>& x) const {
    std::vector<Value> y;
    for (size_t j = 0; j < w.size(); ++j) {
      Value sum = b[j];
      for (size_t k = 0; k < x.size(); ++k) sum = sum + w[j][k] * x[k];
      y.push_back(use_tanh ? tanh(sum) : sum);
    }
    return y;
  }
};

int main() {
  // 1. L = (a·b + a)² at a = 2, b = −3: the graph of the tutorial's first minigrad program.
  Value a = value(2), b = value(-3);
  Value d = a * b + a;
  Value L = d * d;
  backward(L);
  std::printf("L = %g, dL/da = %g, dL/db = %g\n", L->data, a->grad, b->grad);

  // 2. Fit four points: targets +1, −1, −1, +1, loss Σ (prediction − target)².
  uint64_t rng = 42;
  std::vector<Layer> mlp = {Layer(3, 4, true, rng), Layer(4, 4, true, rng),
                            Layer(4, 1, false, rng)};
  std::vector<Value> params;
  for (const Layer& layer : mlp) {
    for (const auto& row : layer.w) params.insert(params.end(), row.begin(), row.end());
    params.insert(params.end(), layer.b.begin(), layer.b.end());
  }
  const double xs[4][3] = {{2, 3, -1}, {3, -1, 0.5}, {0.5, 1, 1}, {1, 1, -1}};
  const double ys[4] = {1, -1, -1, 1};
  std::printf("%zu parameters\n", params.size());

  std::vector<Value> predictions;
  for (int step = 0; step <= 40; ++step) {
    predictions.clear();
    Value loss = value(0);
    for (int i = 0; i < 4; ++i) {
      std::vector<Value> h = {value(xs[i][0]), value(xs[i][1]), value(xs[i][2])};
      for (const Layer& layer : mlp) h = layer(h);
      predictions.push_back(h[0]);
      const Value diff = h[0] - value(ys[i]);
      loss = loss + diff * diff;
    }
    for (const Value& p : params) p->grad = 0;  // zero_grad: gradients add up otherwise
    backward(loss);
    for (const Value& p : params) p->data -= 0.05 * p->grad;  // one step of gradient descent
    if (step % 10 == 0) std::printf("step %2d: loss %.6f\n", step, loss->data);
  }
  std::printf("predictions (targets 1, -1, -1, 1):");
  for (const Value& p : predictions) std::printf(" %.3f", p->data);
  std::printf("\n");
}
