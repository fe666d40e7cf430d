// --threads auto: a measured choice between one and two threads for minigrad's kernels.
// One and two threads give bit-identical results (every element is computed the same way, only
// by one core or the other), so the count can be chosen by speed alone, timed on the run itself.
// Leaves out: more than two threads, and re-deciding after the first epoch.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace minigrad::train {

/// During the first epoch, after kWarmup steps, four blocks of kBlock steps run on 1, 2, 1 and 2
/// threads; the first kSettle steps of each block are not timed (they move each weight half to
/// the core that now owns it), the rest are, and the faster count stays for the rest of the run.
/// Epochs too short to measure keep one thread, and so does a backend whose second thread cannot
/// help (backend::why_one_thread: the reference one, or OpenBLAS alone, whose threads may split sums).
class ThreadChooser {
 public:
  /// `requested`: 0 for auto, else the fixed count; `steps_per_epoch`: batches in one epoch.
  ThreadChooser(int requested, int64_t steps_per_epoch);

  /// Around every training step: sets the count to try, and times the step.
  void before_step(int epoch, int64_t step);
  void after_step(int64_t rows);

  int threads() const { return threads_; }
  /// What auto did, once it is decided (after the first epoch); empty for an explicit count.
  std::string summary() const;

 private:
  static constexpr int64_t kWarmup = 20, kBlock = 25, kSettle = 5;
  double rate(int t) const;

  bool auto_;
  int threads_;
  bool trying_ = false, timing_ = false;
  int trial_ = 1;
  int64_t tried_ = 0;
  double seconds_[2] = {0, 0};
  int64_t rows_[2] = {0, 0};
  std::chrono::steady_clock::time_point start_;
  std::string kept_because_;  // auto without a measurement: why one thread
};

}  // namespace minigrad::train
