// The checks a TrainConfig passes before any file is read: flags that contradict each other,
// values out of range, output paths that could not be written. A typo fails at once, naming the
// flag, instead of after a whole training run.
// Leaves out: checks that need the data (feature and class counts: see training_data.hpp).
#pragma once

#include "minigrad/train/config.hpp"

namespace minigrad::train {

/// Throws std::invalid_argument naming the first bad flag, what was expected and what was given.
void validate(const TrainConfig& config);

}  // namespace minigrad::train
