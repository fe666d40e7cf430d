// make_mlp(): the documents' classifier as a reusable builder. A Module with one child "network",
// a Sequential of [Linear, BatchNorm1d, ReLU, Dropout] per hidden layer and a final Linear, so
// state_dict keys are PyTorch's (network.0.weight ... network.8.bias for hidden = {128, 64}).
// Leaves out: other activations, dropout on the input.
// "The documents": README.md#the-documents.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "minigrad/generator.hpp"
#include "minigrad/nn/module.hpp"
#include "minigrad/nn/sequential.hpp"

namespace minigrad::nn {

struct MlpOptions {
  int64_t in_features = 784;
  std::vector<int64_t> hidden = {128, 64};
  int64_t classes = 10;
  /// A BatchNorm1d after each hidden Linear.
  bool batchnorm = true;
  /// Dropout probability after each hidden ReLU; 0 leaves the Dropout layers out altogether
  /// (so the indices of later layers shift down, as they would in PyTorch).
  float dropout = 0.3f;
  /// What repr() and summary() call the model ("MyNN" reproduces the documents' tables).
  std::string name = "MLP";
};

/// The model make_mlp() builds: forward is network(x).
class Mlp : public Module {
 public:
  Mlp(const MlpOptions& options, Generator& gen);
  /// x (B, in_features) -> logits (B, classes).
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return options_.name; }

  const MlpOptions& options() const { return options_; }
  const std::shared_ptr<Sequential>& network() const { return network_; }

 private:
  MlpOptions options_;
  std::shared_ptr<Sequential> network_;
};

/// Builds the model. Linear weights are drawn from `gen` layer by layer; each Dropout gets its own
/// generator seeded from `gen`, so one seed fixes initialisation and every mask of a run.
std::shared_ptr<Mlp> make_mlp(const MlpOptions& options, Generator& gen);

}  // namespace minigrad::nn
