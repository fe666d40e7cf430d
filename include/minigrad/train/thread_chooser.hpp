// --threads auto: a measured choice between one and two threads for minigrad's kernels.
// One and two threads give bit-identical results (every element is computed the same way, only
// by one core or the other), so the count can be chosen by speed alone, timed on the run itself,
// and changed at any step. Leaves out: more than two threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "minigrad/train/thread_probe.hpp"

namespace minigrad::train {

/// After kWarmup steps on one thread (kMinWarmup when they already lasted kBlockSeconds), during
/// which, from the first, the second thread is readied (probe.prepare_two: its first steps would
/// pay for that), a trial runs four blocks of steps on 1, 2, 1 and 2 threads and keeps two only if
/// the median step was more than kMargin faster on two; when the first two blocks differ by more
/// than kClear either way, it ends after them. The warm-up's steps after its first (at least
/// kMinWarmup - 1) stand in for the first block when the machine's idle cores can be judged by
/// then (the warm-up lasted kIdleWindow, or the run queue showed a free core in two looks or more
/// since its second step, which steps of a third of a millisecond or more allow). A block lasts
/// about kBlockSeconds (3 to 50 steps, from the warm-up's step time, and at most a quarter of the
/// run's steps after the warm-up), so that a run of a few large steps, or of few small ones,
/// decides too; its first fifth is not timed (moving each weight half to the core that now owns
/// it). The trial is repeated during training, as the load on the machine changes: after
/// kRecheckFirst seconds, then twice as long each time it keeps the count, up to kRecheckMax. On
/// two threads, a block whose steps so far (two at least) take more than kCollapse times as long as
/// on one and have lost kCollapseSeconds (a worker starved of its core by another process, not one
/// preemption) ends the trial on one thread at once; and when the machine had less than kIdleNeeded
/// idle cores while the trial ran on one thread (over kIdleWindow seconds at least, or in
/// kMinSamples looks at the run queue kSampleGap apart when the first block is shorter), it keeps
/// one without trying two. During training, when kGuard steps on two threads, and kBlockSeconds at
/// least, take kGuardSlower times as long as on one, a trial starts.
///
/// A run too short for that (fewer than kWarmup + 4·kMinBlock steps) is decided by a cost model
/// after its first step, which runs on two threads when the run queue shows a free core (in fresh
/// memory it is the run's slowest step, and its page faults are shared too): two threads are kept
/// when that step took kLargeStep or more (products large enough that a second core pays for
/// itself, measured from batch 64 up here) and its threads did not wait for a core more than
/// kWaitShare of it; else one. It is not timed again; the wait check below still sends it back to
/// one thread. A longer run of fewer than kCostModelSteps steps, where the warm-up's steps on one
/// thread would cost a few percent of the whole, takes two threads the same way (else it goes back
/// to one and its warm-up goes on as above); it has no one-thread figure until the trial at its
/// first re-check, and the guard (kGuard steps on two threads against one) waits for that trial.
///
/// Another process that takes a core now and then costs two threads more than the steps' times
/// show over a few milliseconds (the median step is untouched; the lost slices come later). So the
/// chooser also asks the kernel how long this process's threads waited for a core: two threads are
/// kept only while they waited less than kWaitShare of their time, in the trial's blocks on two
/// threads and in every kWaitWindow seconds of training on two threads after it. Except for large
/// steps (kLargeStep on two threads), where another process's slice is a fraction of a step and a
/// core free part of the time may still pay: they run on two threads, kept while training's rate
/// over each kLongWindow of wall time, waits and all, beats the trial's step on one by kMargin (a
/// check that replaces the wait windows and the guard).
class ThreadChooser {
 public:
  /// `requested`: 0 for auto, else the fixed count; `steps`: the steps the run will take.
  ThreadChooser(int requested, int64_t steps, ThreadProbe probe = backend_probe());

  /// Around every training step: sets the count to run, and times the step. A before_step without
  /// its after_step (a skipped step) is simply not timed.
  void before_step();
  void after_step(int64_t rows);

  int threads() const { return threads_; }
  /// What auto did so far (the latest trial and how often the count changed); empty for an
  /// explicit count or before the first decision.
  std::string summary() const;
  /// summary() when it has changed since the last call (the first decision, a later switch).
  std::string news();

  static constexpr int64_t kWarmup = 5, kMinWarmup = 3, kMinBlock = 3, kMaxBlock = 50;
  static constexpr double kBlockSeconds = 0.02, kMargin = 0.05, kClear = 1.25, kCollapse = 2.0;
  static constexpr double kRecheckFirst = 2.0, kRecheckMax = 64.0, kGuardSlower = 1.25;
  static constexpr double kIdleNeeded = 0.5, kIdleWindow = 0.05, kCollapseSeconds = 0.01;
  static constexpr double kWaitShare = 0.1, kWaitWindow = 0.05, kSampleGap = 1e-3;
  static constexpr double kLargeStep = 0.003;  // a first step on two threads
  static constexpr double kLongWindow = 0.2;
  static constexpr int64_t kCostModelSteps = 64;
  static constexpr int kMinSamples = 4;
  static constexpr size_t kGuard = 8;

 private:
  enum class Phase { Fixed, Short, Warmup, Trial, Run };
  // What the latest decision rested on (`figure_` holds its measure): the steps' times (Timed),
  // a short run's first step (Large), or a sign of another process: one that keeps one thread
  // (Starved, NoIdleCore, Waited, WindowSlower), or waits that large steps may afford (Afford:
  // two threads, judged by their rate over windows of training).
  enum class Why { Timed, Starved, NoIdleCore, Waited, Large, Afford, WindowSlower };
  struct Mark {  // the clock and the threads' wait when a span began
    double wall = -1, wait = -1;
  };
  void use(int t);
  void start_trial();
  void decide(Why why, double figure = 0);
  // A run too short to time both counts (Phase::Short): two threads kept after its first step
  // when first_step_splits, else one, kept.
  void decide_short(double first_step);
  // Whether a first step that took `seconds` is worth two threads: it ran on two (a free core
  // before it), took kLargeStep or more, and its threads waited for a core kWaitShare or less.
  bool first_step_splits(double seconds) const;
  Mark mark() const;
  // The machine's idle cores since mark_wall_ by /proc/stat; < 0 when it cannot be read or the
  // span is shorter than kIdleWindow (too few of its clock ticks).
  double idle_since_mark() const;
  // Adds the run queue's idle cores now to idle_sum_, at most once every kSampleGap.
  void look_at_run_queue();
  // The share of two threads' time spent waiting for a core since `m`; < 0: unknown.
  double waited_since(const Mark& m) const;
  static double median(std::vector<double> v);
  // The steps in a block of about kBlockSeconds, for steps of `step` seconds: kMinBlock to `most`.
  static int64_t block_for(double step, int64_t most);
  // "N steps each", or "N and M steps": the latest trial's timed steps on 1 and 2 threads.
  std::string over() const;
  // Whether `steps` judged steps on two threads that took `seconds`, against `on_one` seconds
  // for the same rows on one, show a starved worker: kCollapse times as long, and kCollapseSeconds
  // lost (so that another process taking the worker's core for a moment is not one).
  static bool starved(int64_t steps, double seconds, double on_one);

  ThreadProbe probe_;
  Phase phase_;
  int threads_;
  int64_t run_steps_;  // the steps the run will take
  int64_t steps_ = 0;  // steps timed in this phase
  struct Window {
    int64_t steps;
    double seconds;
    int64_t rows;
  };
  Window slow_ = {0, 0, 0};    // the judged steps of the current block on two threads
  int64_t block_ = kMinBlock;  // steps per trial block
  double step_start_ = -1;
  double one_ = 0;                    // seconds per row on one thread: the latest trial's median
  int64_t timed_[2] = {0, 0};         // the latest trial's timed steps on 1 and 2 threads
  std::vector<double> per_row_[2];    // this phase's timed steps, seconds per row, by count
  std::vector<double> warm_;          // the warm-up's steps, seconds
  std::vector<double> warm_per_row_;  // and seconds per row
  bool stood_in_ = false;   // the warm-up's steps were the first trial's first block on one thread
  bool short_run_ = false;  // decided by its first step (Phase::Short), never timed
  Window guard_ = {0, 0, 0};  // the latest steps on two threads during training
  double afford_start_ = -1;  // Why::Afford's window of kLongWindow: its start, its rows, and
  int64_t afford_rows_ = 0;   // the end of its latest step
  double afford_end_ = -1;
  Why why_ = Why::Timed;
  double figure_ = 0;        // Starved: how much slower; NoIdleCore: idle cores; Waited and Afford:
                             // the share; Large: the first step's seconds; WindowSlower: the rate
                             // on two against one
  Mark two_start_;           // the start of the current trial block on two threads
  Mark first_start_;         // the start of the first step, when it ran on two threads
  Mark two_total_ = {0, 0};  // the trial's blocks on two threads so far: seconds, and waited
  Mark window_;              // the start of the current kWaitWindow on two threads in training
  double idle_sum_ = 0, last_sample_ = -1;  // the run queue's idle cores: warm-up, first block
  int samples_ = 0;
  double mark_wall_ = -1, mark_idle_ = -1;  // the clock and idle_seconds when the trial began
  double next_check_ = 0, interval_ = kRecheckFirst;
  double rate_[2] = {0, 0};  // the latest trial's samples/s on 1 and 2 threads
  int trials_ = 0, switches_ = 0;
  std::string kept_because_;  // auto that never measures: why one thread
  int decided_ = 0;           // the count the latest trial chose; 0 before the first
  std::string told_;          // the state news() last reported
};

}  // namespace minigrad::train
