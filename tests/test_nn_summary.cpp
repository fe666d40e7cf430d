// Tests of summary(): the documents' torchinfo table for MyNN reproduced line for line, the
// trainable/non-trainable split, modes and running statistics left as they were, and errors.
// "The documents": README.md#the-documents.
#include <doctest/doctest.h>

#include <string>

#include "minigrad/nn/batchnorm.hpp"
#include "minigrad/nn/linear.hpp"
#include "minigrad/nn/mlp.hpp"
#include "minigrad/nn/summary.hpp"

using namespace minigrad;
using namespace minigrad::nn;

namespace {
std::shared_ptr<Mlp> documents_model() {
  Generator gen(42);
  MlpOptions options;
  options.name = "MyNN";
  return make_mlp(options, gen);
}
}  // namespace

TEST_CASE("summary reproduces the documents' torchinfo table for MyNN on [4800, 784]") {
  auto model = documents_model();
  const std::string table = summary(*model, {4800, 784});
  // Copied from the document; torchinfo's own "(Units.MEGABYTES)" label is printed as "(M)".
  const std::string expected =
      "Layer (type:depth-idx)                   Output Shape              Param #\n"
      "MyNN                                     [4800, 10]                --\n"
      "├─Sequential: 1-1                        [4800, 10]                --\n"
      "│    └─Linear: 2-1                       [4800, 128]               100,480\n"
      "│    └─BatchNorm1d: 2-2                  [4800, 128]               256\n"
      "│    └─ReLU: 2-3                         [4800, 128]               --\n"
      "│    └─Dropout: 2-4                      [4800, 128]               --\n"
      "│    └─Linear: 2-5                       [4800, 64]                8,256\n"
      "│    └─BatchNorm1d: 2-6                  [4800, 64]                128\n"
      "│    └─ReLU: 2-7                         [4800, 64]                --\n"
      "│    └─Dropout: 2-8                      [4800, 64]                --\n"
      "│    └─Linear: 2-9                       [4800, 10]                650\n"
      "Total params: 109,770\n"
      "Trainable params: 109,770\n"
      "Non-trainable params: 0\n"
      "Total mult-adds (M): 526.90\n"
      "Input size (MB): 15.05\n"
      "Params size (MB): 0.44\n";
  CHECK(table == expected);
}

TEST_CASE("summary counts frozen parameters as non-trainable") {
  auto model = documents_model();
  model->network()->at<Linear>(0)->bias().requires_grad_(false);
  const std::string table = summary(*model, {2, 784});
  CHECK(table.find("Total params: 109,770\n") != std::string::npos);
  CHECK(table.find("Trainable params: 109,642\n") != std::string::npos);
  CHECK(table.find("Non-trainable params: 128\n") != std::string::npos);
  CHECK(table.find("│    └─Linear: 2-9                       [2, 10]") != std::string::npos);
}

TEST_CASE("summary leaves every module's mode and the running statistics as they were") {
  auto model = documents_model();
  auto bn = model->network()->at<BatchNorm1d>(1);
  bn->eval();                 // a mixed state: one BatchNorm frozen, the rest training
  summary(*model, {1, 784});  // one row: only possible because summary runs in eval mode
  CHECK(model->is_training());
  CHECK(model->network()->is_training());
  CHECK_FALSE(bn->is_training());
  CHECK((*model->network())[3]->is_training());
  CHECK(model->network()->at<BatchNorm1d>(5)->is_training());
  CHECK(bn->num_batches_tracked().item() == 0.0f);

  // A forward that throws still restores the modes, and the error reaches the caller.
  CHECK_THROWS_AS(summary(*model, {8, 785}), std::invalid_argument);
  CHECK(model->network()->at<BatchNorm1d>(5)->is_training());
  CHECK_FALSE(bn->is_training());
}

TEST_CASE("with_thousands groups digits like torchinfo") {
  CHECK(with_thousands(0) == "0");
  CHECK(with_thousands(650) == "650");
  CHECK(with_thousands(8256) == "8,256");
  CHECK(with_thousands(109770) == "109,770");
  CHECK(with_thousands(1234567) == "1,234,567");
  CHECK(with_thousands(-1000) == "-1,000");
}
