// ThreadChooser: times the first epoch's steps on one and two threads and keeps the faster.
#include "minigrad/train/thread_chooser.hpp"

#include <fmt/format.h>

#include "minigrad/backend/backend.hpp"

namespace minigrad::train {

ThreadChooser::ThreadChooser(int requested, int64_t steps_per_epoch)
    : auto_(requested == 0 && steps_per_epoch >= kWarmup + 4 * kBlock &&
            backend::why_one_thread().empty()),
      threads_(requested == 0 ? 1 : requested) {
  if (requested != 0 || auto_) return;
  // auto that cannot measure: say why it keeps one thread.
  kept_because_ = !backend::why_one_thread().empty()
                      ? backend::why_one_thread()
                      : fmt::format("an epoch of {} steps is too short to time both; it takes {}",
                                    steps_per_epoch, kWarmup + 4 * kBlock);
}

void ThreadChooser::before_step(int epoch, int64_t step) {
  const int64_t k = step - kWarmup;
  trying_ = auto_ && epoch == 1 && k >= 0 && k < 4 * kBlock;
  if (!trying_) return;
  trial_ = (k / kBlock) % 2 == 0 ? 1 : 2;
  timing_ = k % kBlock >= kSettle;
  // minigrad's kernels only: OpenBLAS (which runs none of training's products here) stays on
  // one thread, as resizing its pool would cost milliseconds.
  backend::set_num_threads(trial_);
  start_ = std::chrono::steady_clock::now();
}

void ThreadChooser::after_step(int64_t rows) {
  if (!trying_) return;
  if (timing_) {
    seconds_[trial_ - 1] +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    rows_[trial_ - 1] += rows;
  }
  if (++tried_ == 4 * kBlock) {  // the last trial step: decide
    threads_ = rate(2) > rate(1) ? 2 : 1;
    backend::set_num_threads(threads_);
  }
}

std::string ThreadChooser::summary() const {
  if (!kept_because_.empty()) return fmt::format("threads: auto kept 1 ({})", kept_because_);
  if (tried_ != 4 * kBlock) return "";
  return fmt::format(
      "threads: auto chose {} ({:.0f} samples/s on 1 thread, {:.0f} on 2, over {} steps each)",
      threads_, rate(1), rate(2), 2 * (kBlock - kSettle));
}

double ThreadChooser::rate(int t) const {
  return seconds_[t - 1] > 0 ? static_cast<double>(rows_[t - 1]) / seconds_[t - 1] : 0.0;
}

}  // namespace minigrad::train
