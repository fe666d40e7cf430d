// Progress: the per-epoch training display. On a terminal it redraws one Keras-style line in
// place ("150/150 ━━━━━━━━━━ 0s 2ms/step - accuracy: 0.81 - loss: 0.53"); when output goes to a
// file or pipe it prints one plain line per epoch and no control characters.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace minigrad::train {

class Progress {
 public:
  /// `out` is where lines go; `interactive` chooses the live bar (see stdout_is_terminal()).
  Progress(std::FILE* out, bool interactive, bool quiet = false);

  /// Starts an epoch of `steps` batches: prints "Epoch 3/10" on a terminal.
  void begin_epoch(int epoch, int epochs, int64_t steps);
  /// Records one finished batch: its mean loss, correct predictions and rows.
  void step(double loss, int64_t correct, int64_t rows);
  /// Ends the epoch: final bar, or the single plain line.
  void end_epoch();

  /// The sums behind epoch_loss() and epoch_accuracy(), to carry an epoch across a resume.
  struct Totals {
    double loss_sum = 0;
    int64_t steps = 0, correct = 0, rows = 0;
  };
  Totals totals() const { return {loss_sum_, steps_done_, correct_, rows_}; }
  /// Continues the epoch begun with begin_epoch() from `totals`.
  void restore(const Totals& t) {
    loss_sum_ = t.loss_sum;
    steps_done_ = t.steps;
    correct_ = t.correct;
    rows_ = t.rows;
  }

  double epoch_loss() const { return steps_done_ ? loss_sum_ / static_cast<double>(steps_done_) : 0.0; }
  double epoch_accuracy() const { return rows_ ? static_cast<double>(correct_) / static_cast<double>(rows_) : 0.0; }

 private:
  void draw(bool final_draw);
  std::FILE* out_;
  bool interactive_;
  bool quiet_;
  int epoch_ = 0, epochs_ = 0;
  int64_t steps_ = 0, steps_done_ = 0, correct_ = 0, rows_ = 0;
  double loss_sum_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

/// True when stdout is a terminal (and TERM is not "dumb").
bool stdout_is_terminal();

}  // namespace minigrad::train
