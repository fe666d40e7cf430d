// keras_example: the documents' Keras BatchNormalization example, reproduced with minigrad.
// 100 random rows of 10 features with random 0/1 labels; Dense(64) BatchNorm ReLU Dense(32)
// BatchNorm ReLU Dense(1, sigmoid); binary cross-entropy; Adam; 15 epochs of batches of 16;
// then loss and accuracy on the same rows in eval mode, as model.evaluate() reports them.
// Keras' defaults are kept where they differ from PyTorch's (see make_model and the Adam options).
// "The documents": README.md#the-documents.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cxxopts.hpp>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/backend/backend.hpp"
#include "minigrad/data/dataloader.hpp"
#include "minigrad/data/dataset.hpp"
#include "minigrad/nn/activation.hpp"
#include "minigrad/nn/batchnorm.hpp"
#include "minigrad/nn/linear.hpp"
#include "minigrad/nn/loss.hpp"
#include "minigrad/nn/sequential.hpp"
#include "minigrad/optim/adam.hpp"
#include "minigrad/train/args.hpp"
#include "minigrad/train/progress.hpp"
#include "version_flag.hpp"

using namespace minigrad;

namespace {

using train::UsageError;

struct Options {
  uint64_t seed = 0;
  int epochs = 15;
  bool quiet = false;
};

// Dense(units) as Keras builds it: glorot_uniform kernel, U(±sqrt(6 / (in + out))), zero bias
// (PyTorch's Linear would use U(±1/sqrt(in)) for both).
std::shared_ptr<nn::Linear> dense(int64_t in, int64_t out, Generator& gen) {
  auto layer = std::make_shared<nn::Linear>(in, out, gen);
  const float limit = std::sqrt(6.0f / static_cast<float>(in + out));
  layer->weight().copy_(Tensor::uniform({out, in}, -limit, limit, gen));
  layer->bias().fill_(0.0f);
  return layer;
}

// Keras' BatchNormalization() defaults: momentum 0.99 keeps 99% of the old average, which is
// PyTorch's momentum 0.01 (PyTorch's number weights the new batch), and epsilon 1e-3.
std::shared_ptr<nn::BatchNorm1d> batch_norm(int64_t features) {
  return std::make_shared<nn::BatchNorm1d>(features,
                                           nn::BatchNormOptions{.eps = 1e-3f, .momentum = 0.01f});
}

// x (B, 10) -> logit (B, 1). The final sigmoid is not a layer: BCEWithLogitsLoss applies it
// inside the loss, which is the same function as binary cross-entropy on sigmoid(logit) but
// never takes log(0) when the sigmoid saturates.
std::shared_ptr<nn::Sequential> make_model(Generator& gen) {
  return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      dense(10, 64, gen), batch_norm(64), std::make_shared<nn::ReLU>(), dense(64, 32, gen),
      batch_norm(32), std::make_shared<nn::ReLU>(), dense(32, 1, gen)});
}

// Rows whose predicted class (logit > 0, i.e. sigmoid > 0.5) equals the 0/1 label.
int64_t correct(const Tensor& logits, const Tensor& labels) {
  int64_t n = 0;
  for (int64_t i = 0; i < labels.numel(); ++i)
    n += (logits.data()[i] > 0.0f) == (labels.data()[i] > 0.5f) ? 1 : 0;
  return n;
}

Options parse(int argc, char** argv) {
  cxxopts::Options spec("keras_example",
                        "The documents' Keras BatchNormalization example, trained with minigrad");
  // clang-format off: one flag per line reads better than the formatter's packing
  spec.add_options()("seed", "Seed of the data, the weights and the shuffling",
                     cxxopts::value<std::string>()->default_value("0"))(
      "epochs", "Passes over the 100 rows", cxxopts::value<std::string>()->default_value("15"))(
      "quiet", "Print only the final loss and accuracy")("h,help", "Show this help")(
      "version", "Print the version");
  // clang-format on
  const std::optional<cxxopts::ParseResult> parsed = train::parse_command_line(spec, argc, argv);
  if (!parsed) std::exit(0);  // --help
  const cxxopts::ParseResult& r = *parsed;
  Options o;
  o.seed = train::parse_number<uint64_t>("seed", r["seed"].as<std::string>(), "a whole number >= 0");
  o.epochs = train::parse_number<int>("epochs", r["epochs"].as<std::string>(), "a whole number >= 1", 1);
  o.quiet = r.count("quiet") > 0;
  return o;
}

int run(int argc, char** argv) {
  const Options o = parse(argc, argv);
  Generator gen(o.seed);

  // X_train = np.random.randn(100, 10); y_train = np.random.randint(0, 2, size=(100,))
  std::vector<float> features(100 * 10);
  for (float& v : features) v = gen.normal();
  std::vector<int32_t> labels(100);
  for (int32_t& l : labels) l = static_cast<int32_t>(gen.randint(2));
  const data::Dataset rows = data::Dataset::from_floats(features, labels, 10);

  auto model = make_model(gen);
  // Keras' Adam: learning rate 0.001, betas 0.9 and 0.999, epsilon 1e-7 (PyTorch's is 1e-8).
  optim::Adam adam(model->parameters(), {.lr = 1e-3, .eps = 1e-7});
  nn::BCEWithLogitsLoss criterion;
  // model.fit(X_train, y_train, epochs=15, batch_size=16): shuffled every epoch, 7 batches.
  data::DataLoader loader(rows, {.batch_size = 16, .shuffle = true}, Generator(gen.next_u64()));

  if (!o.quiet) {
    fmt::print("{}\n", backend::describe());
    fmt::print(
        "100 rows of 10 features, labels 0/1 (seed {}); {} parameters; Adam; binary "
        "cross-entropy computed stably from the logit (BCEWithLogitsLoss)\n",
        o.seed, model->num_parameters());
  }
  train::Progress progress(stdout, train::stdout_is_terminal(), o.quiet);
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    model->train();
    progress.begin_epoch(epoch, o.epochs, loader.size());
    for (const data::Batch& batch : loader) {
      Tensor target = batch.y.reshape({-1, 1});  // (B) -> (B, 1), the logits' shape
      Tensor logits = (*model)(batch.x);
      Tensor loss = criterion(logits, target);
      adam.zero_grad();
      loss.backward();
      adam.step();
      progress.step(loss.item(), correct(logits, target), batch.size());
    }
    progress.end_epoch();
  }

  // loss, accuracy = model.evaluate(X_train, y_train): eval mode, so BatchNorm uses its running
  // statistics, on all 100 rows at once.
  model->eval();
  NoGradGuard no_grad;
  Tensor x = rows.features_tensor();
  Tensor y = rows.labels_tensor().reshape({-1, 1});
  Tensor logits = (*model)(x);
  fmt::print("Loss: {:.4f}\n", criterion(logits, y).item());
  fmt::print("Accuracy: {:.4f}\n", static_cast<double>(correct(logits, y)) / 100.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (minigrad_app::print_version_if_asked(argc, argv, "keras_example")) return 0;
  try {
    backend::name();  // an unknown MINIGRAD_BACKEND is a usage error
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "keras_example: error: {}\n", e.what());
    return 2;
  }
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    fmt::print(stderr, "keras_example: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "keras_example: error: {}\n", e.what());
    return 1;
  }
}
