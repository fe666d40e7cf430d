// autograd_demo: look at the graph autograd records. By default it builds L = (a·b + a)², prints
// every value and gradient, and writes the graph as Graphviz DOT (and SVG when `dot` is
// installed); with --mlp it writes the graph of one real training step of the documents' model
// on a tiny synthetic batch. The pictures in docs/autograd.md come from here.
//   build/bin/autograd_demo --dot docs/img/expression.dot
//   build/bin/autograd_demo --mlp --dot docs/img/mlp_step.dot
// "The documents": README.md#the-documents.
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cxxopts.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

#include "minigrad/autograd.hpp"
#include "minigrad/backend/backend.hpp"
#include "minigrad/nn/loss.hpp"
#include "minigrad/nn/mlp.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/optim/sgd.hpp"
#include "minigrad/tensor.hpp"
#include "minigrad/train/args.hpp"
#include "minigrad/viz/dot.hpp"
#include "version_flag.hpp"

extern char** environ;

using namespace minigrad;
namespace fs = std::filesystem;

namespace {

using train::UsageError;

struct Options {
  bool mlp = false;
  std::string dot_path = "autograd_demo.dot";
  std::string svg_path;  // empty: the DOT path with .svg
  bool render = true;
  uint64_t seed = 0;
};

// The three-node expression of the tutorial: a is used twice, so its gradient is a sum.
// Returns the graph as DOT, drawn after backward() with every value and gradient.
std::string expression() {
  Tensor a = Tensor::scalar(2.0f).requires_grad_();
  Tensor b = Tensor::scalar(-3.0f).requires_grad_();
  Tensor c = a * b;  // mul
  Tensor d = c + a;  // add
  Tensor L = d * d;  // mul
  c.retain_grad();   // keep the intermediate grads to print them (normally freed)
  d.retain_grad();
  L.backward(Tensor(), /*retain_graph=*/true);  // kept only so that it can still be drawn

  fmt::print("L = (a*b + a)^2 with a = {}, b = {}\n", a.item(), b.item());
  fmt::print("  c = a * b = {:>4}    dL/dc = dL/dd             = {:>4}\n", c.item(),
             c.grad().item());
  fmt::print("  d = c + a = {:>4}    dL/dd = 2*d               = {:>4}\n", d.item(),
             d.grad().item());
  fmt::print("  L = d * d = {:>4}\n", L.item());
  fmt::print("  dL/da = dL/dc*b + dL/dd = {}  (a is used twice: both paths add into a.grad)\n",
             a.grad().item());
  fmt::print("  dL/db = dL/dc*a         = {}\n", b.grad().item());
  return viz::to_dot(L,
                     {.names = {{"a", a}, {"b", b}, {"c", c}, {"d", d}, {"L", L}},
                      .max_values = 1,
                      .title = "L = (a*b + a)^2 after L.backward(): data and grad of each tensor"});
}

// One SGD step of the documents' 784-128-64-10 model on 4 random "images". The graph is drawn
// before backward(), which is the graph backward() walks and then releases. Returns it as DOT.
std::string mlp_step(uint64_t seed) {
  Generator gen(seed);
  auto model = nn::make_mlp({}, gen);  // Linear, BatchNorm1d, ReLU, Dropout(0.3) per hidden layer
  Tensor x = Tensor::rand({4, 784}, gen);  // pixels / 255
  Tensor y = Tensor::from({3, 0, 7, 1});   // class ids
  optim::SGD sgd(model->parameters(), {.lr = 0.1});
  nn::CrossEntropyLoss criterion;

  // Name every layer's output after the layer ("network.0"), as the graph will show it.
  std::map<const nn::Module*, std::string> layer_names;
  for (const auto& [name, child] : model->network()->children())
    layer_names[child.get()] = "network." + name;
  viz::TensorNames names;
  Tensor loss;
  {
    nn::ForwardObserver observe([&](const nn::Module& m, const Tensor& out) {
      if (auto it = layer_names.find(&m); it != layer_names.end())
        names.emplace_back(it->second, out);
    });
    loss = criterion((*model)(x), y);
  }
  names.emplace_back("loss", loss);
  names.emplace_back("x", x);
  for (auto& named : model->named_parameters()) names.push_back(named);
  const std::string dot = viz::to_dot(
      loss, {.names = names,
             .title = "One training step of the documents' MLP on a batch of 4: the graph "
                      "loss.backward() walks"});

  sgd.zero_grad();
  loss.backward();
  fmt::print("loss = {:.4f} on a batch of 4 rows of 784 values\n", loss.item());
  fmt::print("after backward() the graph is released: {}\n",
             loss.grad_fn()->released() ? "yes" : "no");
  for (const auto& [name, p] : model->named_parameters()) {
    double sq = 0;
    for (float g : p.grad().to_vector()) sq += static_cast<double>(g) * g;
    fmt::print("  {:<17} {:<11} |grad| = {:.4f}\n", name, shape_str(p.shape()), std::sqrt(sq));
  }
  sgd.step();
  {
    NoGradGuard no_grad;  // the same batch again, to see the step helped; nothing recorded
    fmt::print("loss on the same batch after one SGD step (lr 0.1, new dropout masks): {:.4f}\n",
               criterion((*model)(x), y).item());
  }
  return dot;
}

// `dot` from Graphviz, looked up on PATH like a shell would; empty if it is not installed.
std::string find_dot() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    const size_t colon = dirs.find(':', start);
    const std::string dir = dirs.substr(start, colon == std::string::npos ? colon : colon - start);
    const std::string candidate = (dir.empty() ? "." : dir) + "/dot";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return "";
}

// Runs `dot -Tsvg in -o out` without a shell (no quoting problems with odd file names).
void render_svg(const std::string& dot, const std::string& in, const std::string& out) {
  std::string a0 = dot, a1 = "-Tsvg", a2 = in, a3 = "-o", a4 = out;
  char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), a4.data(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, dot.c_str(), nullptr, nullptr, argv, environ) != 0)
    throw std::runtime_error(fmt::format("could not run {}", dot));
  int status = 0;
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(fmt::format("{} -Tsvg {} -o {} failed", dot, in, out));
}

// Checked before any work is done, so a typo in a path costs nothing.
void check_output_path(const char* flag, const std::string& path) {
  if (path.empty()) throw UsageError(fmt::format("--{}: expected a file name, got ''", flag));
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::is_directory(parent))
    throw UsageError(
        fmt::format("--{} {}: the directory {} does not exist", flag, path, parent.string()));
  if (fs::is_directory(path))
    throw UsageError(
        fmt::format("--{} {}: is a directory (HINT: name a file in it, e.g. {}/graph.{})", flag,
                    path, path, flag));
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  if (!(f << text) || !f.flush()) throw std::runtime_error(fmt::format("cannot write {}", path));
}

Options parse(int argc, char** argv) {
  cxxopts::Options spec("autograd_demo", "Print a small graph's values and gradients and draw it");
  // clang-format off: one flag per line reads better than the formatter's packing
  spec.add_options()("mlp",
                     "Draw one training step of the documents' MLP instead of L = (a*b + a)^2")(
      "dot", "Where to write the graph (Graphviz DOT)",
      cxxopts::value<std::string>()->default_value("autograd_demo.dot"))(
      "svg", "Where to render it (default: the --dot path with .svg)",
      cxxopts::value<std::string>()->default_value(""))("no-svg", "Write the DOT file only")(
      "seed", "Seed of the MLP's weights, batch and dropout masks",
      cxxopts::value<std::string>()->default_value("0"))("h,help", "Show this help")(
      "version", "Print the version");
  // clang-format on
  const std::optional<cxxopts::ParseResult> parsed = train::parse_command_line(spec, argc, argv);
  if (!parsed) std::exit(0);  // --help
  const cxxopts::ParseResult& r = *parsed;
  Options o;
  o.mlp = r.count("mlp") > 0;
  o.dot_path = r["dot"].as<std::string>();
  o.svg_path = r["svg"].as<std::string>();
  o.render = r.count("no-svg") == 0;
  o.seed = train::parse_number<uint64_t>("seed", r["seed"].as<std::string>(), "a whole number >= 0");
  check_output_path("dot", o.dot_path);
  if (o.svg_path.empty()) o.svg_path = fs::path(o.dot_path).replace_extension(".svg").string();
  if (o.render) check_output_path("svg", o.svg_path);
  return o;
}

int run(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (o.mlp) fmt::print("{}\n", backend::describe());
  const std::string dot_text = o.mlp ? mlp_step(o.seed) : expression();
  write_text(o.dot_path, dot_text);
  fmt::print("wrote the graph to {}\n", o.dot_path);
  if (!o.render) return 0;
  const std::string dot = find_dot();
  if (dot.empty()) {
    fmt::print(
        "Graphviz's dot is not installed, so no SVG was rendered (HINT: sudo apt-get "
        "install graphviz, then dot -Tsvg {} -o {})\n",
        o.dot_path, o.svg_path);
    return 0;
  }
  render_svg(dot, o.dot_path, o.svg_path);
  fmt::print("rendered it to {}\n", o.svg_path);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (minigrad_app::print_version_if_asked(argc, argv, "autograd_demo")) return 0;
  try {
    backend::name();  // an unknown MINIGRAD_BACKEND is a usage error
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "autograd_demo: error: {}\n", e.what());
    return 2;
  }
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    fmt::print(stderr, "autograd_demo: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "autograd_demo: error: {}\n", e.what());
    return 1;
  }
}
