// A scalar autograd engine in one file: minigrad's whole idea on single numbers, for reading
// before the real engine. A Value holds a number, its gradient, the Values it was computed from
// and a closure that passes a gradient back to them; backward() orders the graph and runs the
// closures in reverse. Leaves out: tensors, no-grad mode, freeing the graph after backward().
#pragma once

#include <cmath>
#include <functional>
#include <memory>
#include <unordered_set>
#include <utility>
#include <vector>

namespace scalar {

struct ValueData {
  double data;
  double grad = 0;                                   // dL/d(this), filled in by backward()
  std::vector<std::shared_ptr<ValueData>> inputs;    // the Values this one was computed from
  std::function<void(double dout)> backward_inputs;  // given dL/d(this), add into inputs' grads
};

// A Value is a shared handle, like a Python object reference: copies point at the same number.
using Value = std::shared_ptr<ValueData>;

inline Value value(double x) { return std::make_shared<ValueData>(ValueData{x, 0, {}, {}}); }

// Makes the result of an op: its number, its inputs, and how to send a gradient back to them.
inline Value make(double x, std::vector<Value> inputs, std::function<void(double)> backward) {
  return std::make_shared<ValueData>(ValueData{x, 0, std::move(inputs), std::move(backward)});
}

// out = a + b:  dout/da = 1, dout/db = 1
inline Value operator+(const Value& a, const Value& b) {
  return make(a->data + b->data, {a, b}, [a, b](double dout) {
    a->grad += dout;
    b->grad += dout;
  });
}

// out = a · b:  dout/da = b, dout/db = a
inline Value operator*(const Value& a, const Value& b) {
  return make(a->data * b->data, {a, b}, [a, b](double dout) {
    a->grad += dout * b->data;
    b->grad += dout * a->data;
  });
}

inline Value operator-(const Value& a) { return a * value(-1); }
inline Value operator-(const Value& a, const Value& b) { return a + (-b); }

// out = tanh(a):  dout/da = 1 − tanh(a)²
inline Value tanh(const Value& a) {
  const double t = std::tanh(a->data);
  return make(t, {a}, [a, t](double dout) { a->grad += dout * (1 - t * t); });
}

// out = max(a, 0):  dout/da = 1 where a > 0, else 0
inline Value relu(const Value& a) {
  return make(a->data > 0 ? a->data : 0, {a}, [a](double dout) {
    if (a->data > 0) a->grad += dout;
  });
}

// Every Value reachable from `root`, each listed after all the Values it was computed from.
// A depth-first search with its own stack: a Python-style recursive one overflows on deep graphs.
inline std::vector<Value> topological_order(const Value& root) {
  std::vector<Value> order;
  std::unordered_set<ValueData*> seen{root.get()};
  std::vector<std::pair<Value, size_t>> stack{{root, 0}};  // (value, next input to visit)
  while (!stack.empty()) {
    auto& [v, next] = stack.back();
    if (next < v->inputs.size()) {
      const Value in = v->inputs[next++];
      if (seen.insert(in.get()).second) stack.push_back({in, 0});  // may move v: re-read next time
      continue;
    }
    order.push_back(v);
    stack.pop_back();
  }
  return order;
}

// dL/dv for every v that L was computed from: seed dL/dL = 1, then visit each Value after all
// the Values that used it (reverse topological order), so its gradient is complete when it
// passes it on.
inline void backward(const Value& L) {
  const std::vector<Value> order = topological_order(L);
  L->grad = 1;
  for (auto it = order.rbegin(); it != order.rend(); ++it)
    if ((*it)->backward_inputs) (*it)->backward_inputs((*it)->grad);
}

}  // namespace scalar
