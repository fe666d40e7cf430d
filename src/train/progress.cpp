// Progress: Keras-style live bar on a terminal, plain lines elsewhere.
#include "minigrad/train/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace minigrad::train {

bool stdout_is_terminal() {
  const char* term = std::getenv("TERM");
  return isatty(STDOUT_FILENO) == 1 && !(term != nullptr && std::strcmp(term, "dumb") == 0);
}

Progress::Progress(std::FILE* out, bool interactive, bool quiet)
    : out_(out), interactive_(interactive), quiet_(quiet) {}

void Progress::begin_epoch(int epoch, int epochs, int64_t steps) {
  epoch_ = epoch;
  epochs_ = epochs;
  steps_ = steps;
  steps_done_ = correct_ = rows_ = 0;
  loss_sum_ = 0;
  start_ = last_draw_ = std::chrono::steady_clock::now();
  if (!quiet_ && interactive_) {
    std::fprintf(out_, "Epoch %d/%d\n", epoch, epochs);
    std::fflush(out_);
  }
}

void Progress::step(double loss, int64_t correct, int64_t rows) {
  ++steps_done_;
  loss_sum_ += loss;
  correct_ += correct;
  rows_ += rows;
  if (quiet_ || !interactive_) return;
  // Redraw at most 10 times a second: drawing every step would cost more than the step.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ > std::chrono::milliseconds(100)) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::end_epoch() {
  if (quiet_) return;
  if (interactive_) {
    draw(true);
    return;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double ms_per_step = steps_done_ ? 1000.0 * seconds / static_cast<double>(steps_done_) : 0.0;
  std::fprintf(out_, "Epoch %d/%d: %lld/%lld steps, %.1fs, %.2fms/step, accuracy: %.4f, loss: %.4f\n",
               epoch_, epochs_, static_cast<long long>(steps_done_), static_cast<long long>(steps_),
               seconds, ms_per_step, epoch_accuracy(), epoch_loss());
  std::fflush(out_);
}

void Progress::draw(bool final_draw) {
  constexpr int kWidth = 20;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const int filled = steps_ ? static_cast<int>(kWidth * steps_done_ / steps_) : kWidth;
  std::string bar;
  for (int i = 0; i < kWidth; ++i) bar += i < filled ? "━" : "─";
  const double per_step = steps_done_ ? seconds / static_cast<double>(steps_done_) : 0.0;
  const std::string step_time = per_step >= 1.0 ? fmt::format("{:.0f}s/step", per_step)
                                                : fmt::format("{:.0f}ms/step", per_step * 1000.0);
  // \r returns to the start of the line, \x1b[K clears what a longer previous draw left behind.
  std::fprintf(out_, "\r%lld/%lld %s %.0fs %s - accuracy: %.4f - loss: %.4f\x1b[K%s",
               static_cast<long long>(steps_done_), static_cast<long long>(steps_), bar.c_str(),
               seconds, step_time.c_str(), epoch_accuracy(), epoch_loss(), final_draw ? "\n" : "");
  std::fflush(out_);
}

}  // namespace minigrad::train
