// minigrad.hpp: the whole public API in one include, for apps and examples.
// Library code and tests include the specific headers they use instead, so that each file says
// what it depends on. Every public header belongs here, one line each, grouped by folder.
#pragma once

#include "minigrad/autograd.hpp"
#include "minigrad/generator.hpp"
#include "minigrad/state_dict.hpp"
#include "minigrad/storage.hpp"
#include "minigrad/tensor.hpp"

#include "minigrad/backend/blas.hpp"

#include "minigrad/ops/activation.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/matmul.hpp"
#include "minigrad/ops/reduce.hpp"
#include "minigrad/ops/softmax.hpp"

#include "minigrad/nn/module.hpp"
