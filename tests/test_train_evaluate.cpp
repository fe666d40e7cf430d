// Tests of train/evaluate.hpp: a batch forwarded in parts gives the bytes of one forward (eval
// mode keeps rows independent, and at kEvalRows the fast backend's products keep their kernel;
// with OpenBLAS running the products, its values to rounding),
// and evaluate() gives the loss and confusion matrix of whole batches of 1000 rows.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/backend/backend.hpp"
#include "minigrad/data/dataloader.hpp"
#include "minigrad/generator.hpp"
#include "minigrad/nn/cnn.hpp"
#include "minigrad/nn/loss.hpp"
#include "minigrad/nn/mlp.hpp"
#include "minigrad/train/evaluate.hpp"

using namespace minigrad;

namespace {

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(), static_cast<size_t>(a.numel()) * sizeof(float)) == 0;
}

// Forwarded in parts, the outputs must be one forward's: to the byte where the products' sums do
// not depend on their row count (the tiles, the packed kernel at kEvalRows, the reference loops);
// to rounding where OpenBLAS runs every product (MINIGRAD_GEMM=blas, or a CPU without AVX2),
// whose kernels may block a product of fewer rows another way.
bool same_as_one_forward(const Tensor& parts, const Tensor& whole) {
  const bool openblas =
      std::string(backend::name()) == "fast" && !backend::why_one_thread().empty();
  if (!openblas) return same_bytes(parts, whole);
  if (parts.shape() != whole.shape()) return false;
  for (int64_t i = 0; i < whole.numel(); ++i)
    if (!(std::fabs(parts.data()[i] - whole.data()[i]) <=
          1e-5f * (1.0f + std::fabs(whole.data()[i]))))
      return false;
  return true;
}

// Fashion-MNIST-shaped rows of noise: (n, 784) bytes scaled to [0, 1], labels 0..9.
data::Dataset noise_images(int64_t n, Generator& gen) {
  std::vector<uint8_t> pixels(static_cast<size_t>(n * 784));
  std::vector<int32_t> labels(static_cast<size_t>(n));
  for (auto& p : pixels) p = static_cast<uint8_t>(gen.randint(256));
  for (auto& l : labels) l = static_cast<int32_t>(gen.randint(10));
  data::Dataset d = data::Dataset::from_bytes(std::move(pixels), std::move(labels), 784);
  d.set_transform(data::FeatureTransform::divide_by(255.0f));
  return d;
}

}  // namespace

TEST_CASE("forward_in_parts: the bytes of one forward, in equal parts, in eval mode") {
  Generator gen(5);
  auto mlp = nn::make_mlp({.in_features = 13, .hidden = {9, 7}, .classes = 4}, gen);
  mlp->eval();
  NoGradGuard no_grad;
  const Tensor x = Tensor::randn({23, 13}, gen);
  const Tensor whole = (*mlp)(x);
  for (int64_t rows : {1, 5, 7, 22, 23, 100}) {
    CAPTURE(rows);
    CHECK(same_as_one_forward(train::forward_in_parts(*mlp, x, rows), whole));
  }
  CHECK_THROWS_AS(train::forward_in_parts(*mlp, x, 0), std::invalid_argument);
}

TEST_CASE("forward_in_parts: the convolutional model at 1000 rows, in parts of kEvalRows") {
  // At 1000 rows the fast backend runs the hidden Linear's x·Wᵀ (1000 x 128 x 3136) on its packed
  // kernel, which sums in another order than its tiles: both parts of 500 must take it too (parts
  // below 335 rows would not). The reference backend's loops are row-independent at any size,
  // and slow: fewer rows and smaller parts there.
  const bool fast = std::string(backend::name()) == "fast";
  const int64_t n = fast ? 1000 : 40, rows = fast ? train::kEvalRows : 7;
  Generator gen(6);
  auto cnn = nn::make_cnn({}, gen);
  cnn->eval();
  NoGradGuard no_grad;
  const data::Dataset images = noise_images(n, gen);
  data::DataLoader loader(images, {.batch_size = n, .shuffle = false});
  const Tensor& x = loader.batch(0).x;  // (n, 784)
  CHECK(same_as_one_forward(train::forward_in_parts(*cnn, x, rows), (*cnn)(x)));
}

TEST_CASE("evaluate: the loss and confusion matrix of whole batches of 1000 rows") {
  Generator gen(7);
  auto mlp = nn::make_mlp({.in_features = 784, .hidden = {16}, .classes = 10}, gen);
  const data::Dataset test = noise_images(1234, gen);  // batches of 1000 and 234 rows
  mlp->train();
  const train::Evaluation ev = train::evaluate(*mlp, test, 10);
  CHECK(mlp->is_training());  // the mode is given back

  mlp->eval();
  NoGradGuard no_grad;
  data::DataLoader loader(test, {.batch_size = 1000, .shuffle = false});
  double loss_sum = 0.0;
  train::ConfusionMatrix confusion(10);
  std::vector<int> predictions, labels;
  for (int64_t b = 0; b < loader.size(); ++b) {
    const data::Batch& batch = loader.batch(b);
    const Tensor logits = (*mlp)(batch.x);
    loss_sum += nn::cross_entropy(logits, batch.y, {.reduction = nn::Reduction::Sum}).item();
    train::predict_classes(logits, predictions);
    labels.assign(batch.labels.begin(), batch.labels.end());
    confusion.add(labels, predictions);
  }
  CHECK(ev.loss == loss_sum / 1234.0);
  for (int t = 0; t < 10; ++t)
    for (int p = 0; p < 10; ++p) CHECK(ev.confusion.count(t, p) == confusion.count(t, p));
}
