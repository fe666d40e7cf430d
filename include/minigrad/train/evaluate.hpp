// Evaluation: a model's mean cross-entropy and confusion matrix on a labelled dataset, in eval
// mode without a graph, and the forward in parts of bounded size that it and inference share.
// Teaches why eval mode can split a batch (no row of the output depends on another row) and what
// that saves: a batch of 1000 images keeps 1000x32x28x28 floats (100 MB) per activation alive.
// Leaves out: metrics other than loss and accuracy (metrics.hpp), regression targets.
#pragma once

#include <cstdint>

#include "minigrad/data/dataset.hpp"
#include "minigrad/nn/module.hpp"
#include "minigrad/tensor.hpp"
#include "minigrad/train/metrics.hpp"

namespace minigrad::train {

/// Rows forwarded at once by evaluate() and by bench's inference: half of the batch of 1000 they
/// read, so the convolutional model's activations take 50 MB each instead of 100 MB. Rows are
/// independent in eval mode, but the fast backend picks a product's kernel by its size, and its
/// packed sgemm (the convolutional model's hidden Linear from 335 rows up) sums in another order
/// than its tiles: at 500 rows every product of the documents' MLP and of the convolutional model
/// takes the kernel it took at 1000, so evaluations give the same bytes as in one batch. Where
/// OpenBLAS runs every product (MINIGRAD_GEMM=blas, or a CPU without AVX2) its kernels may block
/// 500 rows another way than 1000: the values then agree to rounding, not to the byte.
inline constexpr int64_t kEvalRows = 500;

/// model(x) for x (B, ...) forwarded in ceil(B / rows) parts of equal size (within a row), the
/// outputs joined in order: one forward's values (see kEvalRows) with the memory of `rows` rows.
/// Meant for eval mode without a graph (a NoGradGuard alive).
Tensor forward_in_parts(nn::Module& model, const Tensor& x, int64_t rows = kEvalRows);

/// Mean cross-entropy and confusion matrix of `model` on `data`, in eval mode, no graph.
struct Evaluation {
  double loss = 0.0;
  ConfusionMatrix confusion{1};
};
/// Reads `data` in batches of 1000 rows, sums each batch's loss (in that order: the mean does not
/// depend on kEvalRows) and forwards it kEvalRows at a time.
Evaluation evaluate(nn::Module& model, const data::Dataset& data, int classes);

}  // namespace minigrad::train
