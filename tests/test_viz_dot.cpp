// Tests of viz/dot.hpp: every recorded op and every input appears once with the right edges,
// leaves are marked by whether they require a grad, names and small values show up, a released
// graph is drawn without failing, and a 100,000-op chain is walked without recursion.
// "The documents": README.md#the-documents.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "minigrad/autograd.hpp"
#include "minigrad/nn/loss.hpp"
#include "minigrad/nn/mlp.hpp"
#include "minigrad/ops/activation.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/reduce.hpp"
#include "minigrad/viz/dot.hpp"

using namespace minigrad;
using viz::to_dot;

namespace {

int64_t count(const std::string& text, const std::string& what) {
  int64_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("to_dot draws each op and each input once, with an edge per use") {
  Tensor a = Tensor::scalar(2.0f).requires_grad_();
  Tensor b = Tensor::scalar(-3.0f).requires_grad_();
  Tensor c = a * b;  // mul
  Tensor d = c + a;  // add: a is read a second time
  Tensor loss = d * d;
  const std::string dot = to_dot(loss);
  CHECK(dot.rfind("// ", 0) == 0);
  CHECK(has(dot, "digraph minigrad {"));
  CHECK(dot.back() == '\n');
  // Root first: t0 is loss (mul, drawn with a double border), then d (add), c (mul), a and b.
  CHECK(has(dot, "t0 [label=\"mul\\n[]\", shape=ellipse, peripheries=2];"));
  CHECK(count(dot, "label=\"mul") == 2);
  CHECK(count(dot, "label=\"add") == 1);
  CHECK(count(dot, "label=\"leaf\\n[]\\nrequires_grad\"") == 2);  // a and b, once each
  CHECK(count(dot, " -> ") == 6);  // loss <- d twice, d <- c and a, c <- a and b
  CHECK(count(dot, "t1 -> t0;") == 2);
  CHECK(has(dot, "t2 -> t1;"));
  CHECK(has(dot, "t3 -> t1;"));
  CHECK(has(dot, "t3 -> t2;"));
  CHECK(has(dot, "t4 -> t2;"));
}

TEST_CASE("to_dot marks leaves that require a grad and constants that do not") {
  Tensor x = Tensor::ones({4, 3});  // data: no grad
  Tensor w = Tensor::ones({3}).requires_grad_();
  const std::string dot = to_dot(sum(relu(x * w)), {.names = {{"x", x}, {"w", w}}});
  CHECK(has(dot, "label=\"x\\n[4, 3]\\nno grad\", shape=box, style=filled, fillcolor=\"#eeeeee\""));
  CHECK(has(dot,
            "label=\"w\\n[3]\\nrequires_grad\", shape=box, style=filled, fillcolor=\"#cfe2f3\""));
  CHECK(has(dot, "label=\"relu\\n[4, 3]\""));
  CHECK(has(dot, "label=\"sum\\n[]\""));
}

TEST_CASE("to_dot names op outputs too, escapes names, and shows small values and grads") {
  Tensor a = Tensor::from({1.0f, -2.0f}).requires_grad_();
  Tensor h = a * 3.0f;
  Tensor loss = sum(h * h);
  h.retain_grad();
  loss.backward(Tensor(), /*retain_graph=*/true);
  const std::string dot = to_dot(loss, {.names = {{"a", a}, {"h", h}, {"the \"loss\"", loss}},
                                        .max_values = 2,
                                        .title = "a \\ small graph"});
  CHECK(has(dot, "label=\"a\\n[2]\\nrequires_grad\\ndata [1, -2]\\ngrad [18, -36]\""));
  CHECK(has(dot, "label=\"h = mul\\n[2]\\ndata [3, -6]\\ngrad [6, -12]\""));
  CHECK(has(dot, "label=\"the \\\"loss\\\" = sum\\n[]\\ndata 45\""));
  CHECK(has(dot, "label=\"a \\\\ small graph\";"));
  CHECK(has(dot, "label=\"constant\\n[]\\nno grad\\ndata 3\""));  // the 3 of a * 3
  // More elements than max_values: no values.
  CHECK_FALSE(has(to_dot(loss, {.max_values = 1}), "data [1, -2]"));
}

TEST_CASE("to_dot of a released graph draws the root dashed, with nothing behind it") {
  Tensor a = Tensor::scalar(2.0f).requires_grad_();
  Tensor loss = exp(a * a);
  loss.backward();  // releases the graph
  const std::string dot = to_dot(loss);
  CHECK(has(dot,
            "t0 [label=\"exp\\n[]\\n(released)\", shape=ellipse, style=dashed, peripheries=2];"));
  CHECK(count(dot, " -> ") == 0);
  CHECK(count(dot, "[label=") == 1);
  CHECK(to_dot(a) == to_dot(Tensor::scalar(1.0f).requires_grad_()));  // a lone leaf
  CHECK(has(to_dot(Tensor()), "digraph minigrad {"));                 // undefined: empty graph
}

TEST_CASE("to_dot walks a 100,000-op chain without recursion") {
  Tensor x = Tensor::scalar(1.0f).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = relu(y);
  const std::string dot = to_dot(y);
  CHECK(count(dot, "label=\"relu") == 100000);
  CHECK(count(dot, " -> ") == 100000);
}

TEST_CASE("to_dot of the documents' model's training step shows every layer and parameter") {
  Generator gen(0);
  auto model = nn::make_mlp({.in_features = 6, .hidden = {5, 4}, .classes = 3}, gen);
  Tensor x = Tensor::randn({4, 6}, gen);
  Tensor y = Tensor::from({0, 2, 1, 0});
  Tensor loss = nn::cross_entropy((*model)(x), y);
  viz::TensorNames names = model->named_parameters();
  names.emplace_back("x", x);
  names.emplace_back("y", y);
  const std::string dot = to_dot(loss, {.names = names});
  for (const auto& named : model->named_parameters())
    CHECK_MESSAGE(has(dot, "label=\"" + named.first + "\\n"), named.first);
  CHECK(count(dot, "label=\"linear") == 3);
  CHECK(count(dot, "label=\"batch_norm") == 2);
  CHECK(count(dot, "label=\"relu") == 2);
  CHECK(count(dot, "label=\"dropout") == 2);
  CHECK(has(dot, "label=\"cross_entropy\\n[]\""));
  CHECK(has(dot, "label=\"x\\n[4, 6]\\nno grad\""));
  CHECK_FALSE(has(dot, "label=\"y\\n"));  // cross_entropy records only the logits as its input
  // 10 ops (3 linear, 2 batch_norm, 2 relu, 2 dropout, the loss), 10 parameters and x; edges:
  // 3 inputs into each linear and each batch_norm, 1 into each relu, dropout and the loss.
  CHECK(count(dot, "[label=") == 10 + 10 + 1);
  CHECK(count(dot, " -> ") == 3 * 3 + 3 * 2 + 2 + 2 + 1);
}
