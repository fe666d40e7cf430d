// The JSON report of a training run (--report FILE): results and the settings that produced
// them, written atomically so a reader never sees half a file.
#pragma once

#include <string>

#include "minigrad/train/config.hpp"
#include "minigrad/train/trainer.hpp"

namespace minigrad::train {

/// The report as JSON text (pretty-printed, with a trailing newline).
std::string report_json(const TrainConfig& config, const TrainResult& result);
/// Writes `text` to `path` through a temporary file and a rename; throws std::runtime_error
/// naming the path if it cannot, leaving no partial file behind.
void write_text_atomic(const std::string& path, const std::string& text);

}  // namespace minigrad::train
