// ThreadChooser: times blocks of steps on one and two threads, keeps the faster, and checks again
// now and then during training (the load on a shared machine changes, and with it the answer).
#include "minigrad/train/thread_chooser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace minigrad::train {

ThreadChooser::ThreadChooser(int requested, int64_t steps, ThreadProbe probe)
    : probe_(std::move(probe)),
      phase_(requested == 0 ? Phase::Warmup : Phase::Fixed),
      threads_(requested == 0 ? 1 : requested),
      run_steps_(steps) {
  if (requested != 0) return;
  // auto that cannot measure: say why it keeps one thread.
  if (!probe_.why_one_thread.empty())
    kept_because_ = probe_.why_one_thread;
  else if (steps < 2)
    kept_because_ = fmt::format("a run of {} steps is too short to time both; it takes {}", steps,
                                kWarmup + 4 * kMinBlock);
  else if (steps < kWarmup + 4 * kMinBlock)
    phase_ = Phase::Short;  // too short to time both: its first step decides (after_step)
  if (!kept_because_.empty()) phase_ = Phase::Fixed;
}

void ThreadChooser::use(int t) {
  if (t != threads_) probe_.set_num_threads(t);
  threads_ = t;
}

ThreadChooser::Mark ThreadChooser::mark() const {
  return {probe_.now(), probe_.wait_seconds ? probe_.wait_seconds() : -1};
}

double ThreadChooser::waited_since(const Mark& m) const {
  const Mark end = mark();
  if (m.wait < 0 || end.wait < 0 || end.wall <= m.wall) return -1;
  return (end.wait - m.wait) / (2 * (end.wall - m.wall));
}

void ThreadChooser::start_trial() {
  if (phase_ == Phase::Run) {  // a re-check (the first trial counts from the warm-up's start)
    mark_wall_ = probe_.now();
    mark_idle_ = probe_.idle_seconds ? probe_.idle_seconds() : -1;
  }
  phase_ = Phase::Trial;
  steps_ = 0;
  per_row_[0].clear();
  per_row_[1].clear();
  guard_ = {0, 0, 0};
  two_total_ = {0, 0};
  idle_sum_ = 0;
  samples_ = 0;
  last_sample_ = -1;
}

double ThreadChooser::idle_since_mark() const {
  const double wall = mark_idle_ >= 0 ? probe_.now() - mark_wall_ : 0;
  return wall >= kIdleWindow ? (probe_.idle_seconds() - mark_idle_) / wall : -1;
}

void ThreadChooser::look_at_run_queue() {
  if (!probe_.idle_cores_now || probe_.now() - last_sample_ < kSampleGap) return;
  if (const double idle = probe_.idle_cores_now(); idle >= 0) {
    idle_sum_ += idle;
    ++samples_;
    last_sample_ = probe_.now();
  }
}

int64_t ThreadChooser::block_for(double step, int64_t most) {
  return std::clamp(static_cast<int64_t>(std::ceil(kBlockSeconds / step)), kMinBlock, most);
}

bool ThreadChooser::starved(int64_t steps, double seconds, double on_one) {
  return steps >= 2 && seconds > kCollapse * on_one && seconds - on_one > kCollapseSeconds;
}

double ThreadChooser::median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

void ThreadChooser::before_step() {
  step_start_ = -1;
  if (phase_ == Phase::Fixed) return;
  if ((phase_ == Phase::Warmup || phase_ == Phase::Short) && mark_wall_ < 0) {
    mark_wall_ = probe_.now();
    mark_idle_ = probe_.idle_seconds ? probe_.idle_seconds() : -1;
    // A run its first step may decide (kCostModelSteps) runs that step on two threads when the
    // run queue shows a free core: in fresh memory it is the run's slowest, and its page faults
    // are shared too. after_step judges it.
    if (run_steps_ < kCostModelSteps && probe_.idle_cores_now &&
        probe_.idle_cores_now() >= kIdleNeeded) {
      use(2);
      first_start_ = mark();
    }
  }
  if (phase_ == Phase::Run && probe_.now() >= next_check_) start_trial();
  // A look at the run queue now and then while one thread runs: in the warm-up after its second
  // step (the worker readies itself after the first), in a trial's block on one thread after its
  // first steps (the worker may still spin after its last part).
  if ((phase_ == Phase::Warmup && warm_.size() >= 2) ||
      (phase_ == Phase::Trial && steps_ < block_ && steps_ >= std::max<int64_t>(1, block_ / 5)))
    look_at_run_queue();
  if (phase_ == Phase::Trial && steps_ == block_) {
    // About to try two threads: was there a free core while this one ran? /proc/stat counts in
    // clock ticks, so it needs kIdleWindow; shorter blocks go by the run queue's samples.
    if (const double idle = idle_since_mark(); idle >= 0) {
      if (idle < kIdleNeeded) decide(Why::NoIdleCore, idle);
    } else if (samples_ >= kMinSamples && idle_sum_ / samples_ < kIdleNeeded) {
      decide(Why::NoIdleCore, idle_sum_ / samples_);
    }
  }
  if (phase_ == Phase::Trial) {
    // Minigrad's kernels only: OpenBLAS (which runs none of training's products here) stays on
    // one thread, as resizing its pool would cost milliseconds.
    use((steps_ / block_) % 2 == 0 ? 1 : 2);
    if (threads_ == 2 && steps_ % block_ == 0) two_start_ = mark();
  }
  step_start_ = probe_.now();
}

void ThreadChooser::after_step(int64_t rows) {
  if (step_start_ < 0) return;
  const double now = probe_.now(), start = step_start_, seconds = now - start;
  const double per_row = seconds / static_cast<double>(std::max<int64_t>(rows, 1));
  step_start_ = -1;
  switch (phase_) {
    case Phase::Fixed:
      return;
    case Phase::Short:
      decide_short(seconds);
      return;
    case Phase::Warmup: {
      warm_.push_back(seconds);
      warm_per_row_.push_back(per_row);
      // A run too short for the trial's one-thread steps to pay for themselves (kCostModelSteps):
      // a large first step on two threads that did not wait for a core decides, as in a short
      // run, and is timed at the first re-check. Else the warm-up goes on, on one thread, and the
      // trial judges.
      if (warm_.size() == 1 && threads_ == 2) {
        if (first_step_splits(seconds)) {
          block_ = block_for(seconds, kMaxBlock);
          decide(Why::Large, seconds);
          return;
        }
        use(1);
      }
      // After a first step, whose products show what a second thread will need.
      if (warm_.size() == 1 && probe_.prepare_two) probe_.prepare_two();
      const auto done = static_cast<int64_t>(warm_.size());
      // kWarmup steps, or kMinWarmup once they have lasted kBlockSeconds: every large step more
      // on one thread is time that two might have saved.
      double warm_seconds = 0;
      for (const double s : warm_) warm_seconds += s;
      if (done < kWarmup && (done < kMinWarmup || warm_seconds < kBlockSeconds)) return;
      // Blocks of about kBlockSeconds: many small steps, or a few large ones; and short enough
      // for the trial to end within the run (the constructor kept runs too short for blocks of
      // kMinBlock on one thread).
      block_ = block_for(median(warm_), std::min(kMaxBlock, (run_steps_ - done) / 4));
      // The warm-up's steps after its first (which met fresh memory and readied the second
      // thread) stand in for the trial's first block on one thread, up to as many as a block
      // times, when the machine's idle cores can be judged: the warm-up lasted kIdleWindow
      // (/proc/stat decides at the next step, as after a block), or the run queue, looked at
      // twice at least since the second step, showed a free core on average. A block of steps
      // fewer on one thread (3 at batch 2048, 8 at 512); steps under a third of a millisecond end
      // the warm-up before two looks kSampleGap apart, and keep their first block.
      look_at_run_queue();  // done >= kMinWarmup here: past the second step
      const bool free_core = samples_ >= 2 && idle_sum_ / samples_ >= kIdleNeeded;
      start_trial();
      const int64_t timed = std::min(block_ - std::max<int64_t>(1, block_ / 5), done - 1);
      const bool long_enough = idle_since_mark() >= 0;
      if (timed >= kMinWarmup - 1 && (long_enough || free_core)) {
        per_row_[0].assign(warm_per_row_.end() - timed, warm_per_row_.end());
        steps_ = block_;
        stood_in_ = true;
      }
      return;
    }
    case Phase::Trial: {
      const int t = threads_;
      const int64_t in_block = steps_ % block_;
      if (in_block >= std::max<int64_t>(1, block_ / 5)) per_row_[t - 1].push_back(per_row);
      // A starved worker: no need to finish the trial. Judged on the block's steps so far, at
      // least two (one may be a preemption), as a starved worker makes some steps very slow
      // rather than all of them; the first step of a block, which may wake the worker from its
      // sleep, is not judged.
      if (in_block == 0) slow_ = {0, 0, 0};
      const double one = median(per_row_[0]);
      if (t == 2 && in_block > 0 && one > 0) {
        slow_ = {slow_.steps + 1, slow_.seconds + seconds, slow_.rows + rows};
        if (starved(slow_.steps, slow_.seconds, one * static_cast<double>(slow_.rows))) {
          decide(Why::Starved, slow_.seconds / static_cast<double>(slow_.rows) / one);
          return;
        }
      }
      if (t == 2 && in_block == block_ - 1 && two_start_.wait >= 0) {  // a block on two ends
        const Mark end = mark();
        two_total_.wall += end.wall - two_start_.wall;
        two_total_.wait += end.wait - two_start_.wait;
      }
      // The trial ends after its four blocks, or after the first two when they already differ
      // by more than kClear either way (the blocks on 1 and 2 threads repeated would cost a large
      // step's difference three times over, and a re-check follows anyway).
      ++steps_;
      bool clear = false;
      if (steps_ == 2 * block_) {
        const double two = median(per_row_[1]);
        clear = one > 0 && two > 0 && (one > kClear * two || two > kClear * one);
      }
      if (steps_ == 4 * block_ || clear) {
        const double waited = two_total_.wall > 0 ? two_total_.wait / (2 * two_total_.wall) : -1;
        // Large steps (kLargeStep on two threads): a core free part of the time may still pay,
        // which their rate over longer windows of training will tell (the blocks' medians may
        // have met only the other process's busy spells, or only its idle ones).
        const bool large = median(per_row_[1]) * static_cast<double>(rows) >= kLargeStep;
        if (waited > kWaitShare)
          decide(large ? Why::Afford : Why::Waited, waited);
        else
          decide(Why::Timed);
      }
      return;
    }
    case Phase::Run:
      if (threads_ != 2) return;
      if (why_ == Why::Afford) {
        // Two threads that wait for a core: kept while their rate over kLongWindow of training,
        // waits and all, beats one thread's step by kMargin. The window's wall time, not its
        // steps' alone: the second thread also gathers the next batch while the first runs
        // (which one thread does between its steps, left out of its figure). Stricter than the
        // guard below, which it replaces, as it does the wait windows.
        // A pause longer than a step since the last one (validation, a checkpoint) is not
        // training's: the window starts again.
        if (afford_start_ >= 0 && start - afford_end_ > seconds) afford_start_ = -1;
        if (afford_start_ < 0) afford_start_ = start, afford_rows_ = 0;
        afford_end_ = now;
        afford_rows_ += rows;
        const double wall = now - afford_start_;
        if (wall < kLongWindow) return;
        const double two = wall / static_cast<double>(afford_rows_);
        afford_start_ = -1;  // the next step starts a new window
        if (two * (1 + kMargin) > one_) decide(Why::WindowSlower, one_ / two);
        return;
      }
      // Another process taking the second core now and then: seen in the threads' wait long
      // before the steps' times say so.
      if (window_.wall < 0) {
        window_ = mark();
      } else if (now - window_.wall >= kWaitWindow) {
        const double waited = waited_since(window_);
        if (waited > kWaitShare && seconds >= kLargeStep && one_ > 0) {
          why_ = Why::Afford;  // large steps: judged by their rate over windows from now on
          figure_ = waited;
          return;
        }
        if (waited > kWaitShare) {
          decide(Why::Waited, waited);
          return;
        }
        window_ = mark();
      }
      if (one_ <= 0) return;  // decided by the first step: no one-thread figure to compare with
      // The window's total, not the median: a starved worker makes some steps very slow, not
      // all. Judged once the window lasts kBlockSeconds, so that one process that takes the
      // worker's core for a millisecond does not start a trial.
      guard_ = {guard_.steps + 1, guard_.seconds + seconds, guard_.rows + rows};
      if (guard_.steps < static_cast<int64_t>(kGuard) || guard_.seconds < kBlockSeconds) return;
      if (guard_.seconds > kGuardSlower * one_ * static_cast<double>(guard_.rows)) start_trial();
      guard_ = {0, 0, 0};
      return;
  }
}

bool ThreadChooser::first_step_splits(double seconds) const {
  // The run queue showed a free core before the step (it ran on two threads), and the two threads
  // did not wait for one during it (or their wait cannot be read).
  return threads_ == 2 && seconds >= kLargeStep && waited_since(first_start_) <= kWaitShare;
}

void ThreadChooser::decide_short(double first_step) {
  if (first_step_splits(first_step)) {
    short_run_ = true;
    decide(Why::Large, first_step);
    return;
  }
  const std::string too_short =
      fmt::format("a run of {} steps is too short to time both", run_steps_);
  if (threads_ == 2 && first_step < kLargeStep)
    kept_because_ =
        fmt::format("{}, and its first step ({:.1f} ms on two threads) is too small to split",
                    too_short, first_step * 1e3);
  else if (threads_ == 2)  // large, but its threads waited for a core
    kept_because_ = fmt::format(
        "{}, and on two threads its first step waited for a core {:.0f}% of the time: another "
        "process is using the second",
        too_short, 100 * waited_since(first_start_));
  else
    kept_because_ = fmt::format("{}, and the machine had no idle core beside it", too_short);
  use(1);
  phase_ = Phase::Fixed;
}

void ThreadChooser::decide(Why why, double figure) {
  why_ = why;
  figure_ = figure;
  if (phase_ == Phase::Trial) {  // else a window in training: the trial's figures stand
    timed_[0] = static_cast<int64_t>(per_row_[0].size());
    timed_[1] = static_cast<int64_t>(per_row_[1].size());
    one_ = median(per_row_[0]);
    const double two = median(per_row_[1]);
    rate_[0] = one_ > 0 ? 1 / one_ : 0;
    rate_[1] = two > 0 ? 1 / two : 0;
  }
  const int choice = why == Why::Large || why == Why::Afford ||
                             (why == Why::Timed && rate_[1] > (1 + kMargin) * rate_[0])
                         ? 2
                         : 1;
  if (phase_ == Phase::Trial) ++trials_;
  if (decided_ != 0 && choice != decided_) {
    ++switches_;
    interval_ = kRecheckFirst;
  } else if (decided_ != 0) {
    interval_ = std::min(2 * interval_, kRecheckMax);
  }
  decided_ = choice;
  // A short run is not timed again: a trial's blocks would outlast it.
  next_check_ = short_run_ ? std::numeric_limits<double>::infinity() : probe_.now() + interval_;
  phase_ = Phase::Run;
  guard_ = {0, 0, 0};
  afford_start_ = -1;  // every way out of Why::Afford passes here
  window_ = {};
  use(choice);
}

std::string ThreadChooser::over() const {
  return timed_[0] == timed_[1] ? fmt::format("{} steps each", timed_[0])
                                : fmt::format("{} and {} steps", timed_[0], timed_[1]);
}

std::string ThreadChooser::summary() const {
  if (!kept_because_.empty()) return fmt::format("threads: auto kept 1 ({})", kept_because_);
  if (phase_ == Phase::Fixed) return "";
  if (phase_ == Phase::Short)
    return fmt::format(
        "threads: auto on 1 so far (a run of {} steps is too short to time both: its first step "
        "decides)",
        run_steps_);
  // In the warm-up the blocks' length is not known yet (it comes from the warm-up's steps).
  if (decided_ == 0 && phase_ == Phase::Warmup)
    return fmt::format(
        "threads: auto on 1 so far (a warm-up before timing 1 and 2 threads: {} steps done)",
        warm_.size());
  if (decided_ == 0) {
    const int64_t skipped = stood_in_ ? block_ : 0;  // the block the warm-up stood in for
    const auto warm = static_cast<int64_t>(warm_.size());
    return fmt::format("threads: auto on 1 so far (timing 1 and 2 threads: {} of {} steps done)",
                       warm + steps_ - skipped, warm + 4 * block_ - skipped);
  }
  const std::string changed =
      fmt::format("the count changed {} time{}", switches_, switches_ == 1 ? "" : "s");
  const std::string later = trials_ <= 1 && switches_ == 0 ? ""
                            : trials_ == 0                 ? "; " + changed
                                           : fmt::format("; timed {} time{}, {}", trials_,
                                                         trials_ == 1 ? "" : "s", changed);
  switch (why_) {
    case Why::NoIdleCore:
      return fmt::format(
          "threads: auto chose 1 (the machine had {:.1f} idle cores beside this run: no room for "
          "a second thread{})",
          figure_, later);
    case Why::Starved:
      return fmt::format(
          "threads: auto chose 1 (steps on 2 threads took {:.1f}x as long as on 1{})", figure_,
          later);
    case Why::Waited:
      return fmt::format(
          "threads: auto chose 1 (on 2 threads they waited for a core {:.0f}% of the time: "
          "another process is using the second{})",
          100 * figure_, later);
    case Why::Afford:
      return fmt::format(
          "threads: auto chose 2 ({:.0f} samples/s on 1 thread, {:.0f} on 2, over {}; they waited "
          "for a core {:.0f}% of the time, so their rate is checked against one thread's every "
          "{:.1f} s{})",
          rate_[0], rate_[1], over(), 100 * figure_, kLongWindow, later);
    case Why::WindowSlower:
      return fmt::format(
          "threads: auto chose 1 (on 2 threads, waits for a core and all, training ran at {:.2f}x "
          "the rate of a step on 1 over {:.1f} s: another process uses the second core part of "
          "the time{})",
          figure_, kLongWindow, later);
    case Why::Large:
      return fmt::format(
          "threads: auto chose 2 (a run of {} steps is too short {}; its first step took {:.1f} ms "
          "on two threads with a core free: large enough to split{})",
          run_steps_, short_run_ ? "to time both" : "for timing one thread to pay", figure_ * 1e3,
          later);
    case Why::Timed:
      break;
  }
  return fmt::format(
      "threads: auto chose {} ({:.0f} samples/s on 1 thread, {:.0f} on 2, over {}{})", decided_,
      rate_[0], rate_[1], over(), later);
}

std::string ThreadChooser::news() {
  const std::string state = !kept_because_.empty()   ? "kept"
                            : phase_ == Phase::Fixed ? ""
                                                     : fmt::format("{}", decided_);
  if (state == told_) return "";
  told_ = state;
  return summary();
}

}  // namespace minigrad::train
