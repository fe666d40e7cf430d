// minigrad.hpp: the whole public API in one include, for apps and examples.
// Library code and tests include the specific headers they use instead, so that each file says
// what it depends on. Every public header belongs here, one line each, grouped by folder.
#pragma once

#include "minigrad/autograd.hpp"
#include "minigrad/generator.hpp"
#include "minigrad/state_dict.hpp"
#include "minigrad/storage.hpp"
#include "minigrad/tensor.hpp"
#include "minigrad/version.hpp"

#include "minigrad/backend/backend.hpp"

#include "minigrad/ops/activation.hpp"
#include "minigrad/ops/conv.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/matmul.hpp"
#include "minigrad/ops/pool.hpp"
#include "minigrad/ops/reduce.hpp"
#include "minigrad/ops/shape.hpp"
#include "minigrad/ops/softmax.hpp"

#include "minigrad/nn/activation.hpp"
#include "minigrad/nn/batchnorm.hpp"
#include "minigrad/nn/cnn.hpp"
#include "minigrad/nn/conv.hpp"
#include "minigrad/nn/dropout.hpp"
#include "minigrad/nn/flatten.hpp"
#include "minigrad/nn/linear.hpp"
#include "minigrad/nn/loss.hpp"
#include "minigrad/nn/mlp.hpp"
#include "minigrad/nn/module.hpp"
#include "minigrad/nn/pool.hpp"
#include "minigrad/nn/sequential.hpp"
#include "minigrad/nn/summary.hpp"

#include "minigrad/optim/adam.hpp"
#include "minigrad/optim/lr_scheduler.hpp"
#include "minigrad/optim/optimizer.hpp"
#include "minigrad/optim/sgd.hpp"

#include "minigrad/data/csv.hpp"
#include "minigrad/data/dataloader.hpp"
#include "minigrad/data/dataset.hpp"
#include "minigrad/data/idx.hpp"

#include "minigrad/io/checkpoint.hpp"
#include "minigrad/io/safetensors.hpp"

#include "minigrad/train/cli.hpp"
#include "minigrad/train/config.hpp"
#include "minigrad/train/metrics.hpp"
#include "minigrad/train/progress.hpp"
#include "minigrad/train/report.hpp"
#include "minigrad/train/trainer.hpp"

#include "minigrad/tabular/commands.hpp"
#include "minigrad/tabular/evaluate.hpp"
#include "minigrad/tabular/fit.hpp"
#include "minigrad/tabular/metrics.hpp"
#include "minigrad/tabular/model_file.hpp"
#include "minigrad/tabular/preprocessing.hpp"
#include "minigrad/tabular/table.hpp"

#include "minigrad/viz/dot.hpp"
#include "minigrad/viz/learning_curves.hpp"
