// Tests of train/thread_chooser.hpp for runs too short to time both thread counts (fewer than
// kWarmup + 4·kMinBlock steps), on a simulated clock: the first step runs on two threads when a
// core is free and decides, two threads when it was large and did not wait for a core, one
// (saying why) otherwise, and back to one when the two threads wait for a core later. And for
// runs too short for the trial to pay (fewer than kCostModelSteps): a large first step on two
// threads decides the same way, and a re-check times it.
#include <doctest/doctest.h>

#include <string>

#include "thread_chooser_machine.hpp"

using chooser_test::Machine;
using minigrad::train::ThreadChooser;

TEST_CASE("a run too short to time both: large first steps with a free core take two threads") {
  // 12 steps of 22 ms on one thread (13 ms on two): the first step, on two threads, decides; the
  // run stays on two and is not timed again.
  Machine m;
  ThreadChooser chooser(0, 12, m.probe());
  CHECK(chooser.news() ==
        "threads: auto on 1 so far (a run of 12 steps is too short to time both: its first step "
        "decides)");
  m.run(chooser, 12, 4096, [](int t) { return t == 1 ? 0.022 : 0.013; });
  CHECK(m.steps_on[1] == 0);
  CHECK(m.prepared == 0);  // the worker readied itself in the first step
  CHECK(chooser.threads() == 2);
  CHECK(chooser.news() ==
        "threads: auto chose 2 (a run of 12 steps is too short to time both; its first step took "
        "13.0 ms on two threads with a core free: large enough to split)");
}

TEST_CASE("a run too short to time both keeps one thread for small steps or no free core") {
  struct Case {
    double step, idle_cores, wait_share;  // the run queue's idle cores; the wait on two threads
    bool queue_known;
    int sets;  // the counts set: 2 when the first step ran on two threads and went back to one
    const char* why;
  };
  const Case cases[] = {
      {0.001, 1, 0, true, 2, "and its first step (1.0 ms on two threads) is too small to split"},
      {0.022, 0, 0, true, 0, "and the machine had no idle core beside it"},
      {0.022, 1, 0, false, 0, "and the machine had no idle core beside it"},  // cannot tell
      {0.060, 1, 0.3, true, 2,
       "and on two threads its first step waited for a core 30% of the time: another process is "
       "using the second"},
  };
  for (const Case& c : cases) {
    Machine m;
    m.idle_cores = c.idle_cores;
    m.wait_share = c.wait_share;
    m.queue_known = c.queue_known;
    ThreadChooser chooser(0, 16, m.probe());
    m.run(chooser, 16, 4096, [&](int) { return c.step; });
    CAPTURE(c.why);
    CHECK(chooser.threads() == 1);
    CHECK(m.sets == c.sets);
    CHECK(m.prepared == 0);
    CHECK(chooser.summary() ==
          std::string("threads: auto kept 1 (a run of 16 steps is too short to time both, ") +
              c.why + ")");
  }
}

TEST_CASE("a short run on two threads goes back to one when they wait for a core") {
  // Another process arrives after the decision: the threads' wait says so within kWaitWindow.
  Machine m;
  ThreadChooser chooser(0, 16, m.probe());
  m.run(chooser, 1, 4096, [](int) { return 0.022; });
  CHECK(chooser.threads() == 2);
  m.wait_share = 0.3;
  m.run(chooser, 15, 4096, [](int t) { return t == 1 ? 0.022 : 0.03; });
  CHECK(chooser.threads() == 1);
  CHECK(chooser.summary().find("threads: auto chose 1 (on 2 threads they waited for a core 30% of "
                               "the time: another process is using the second; the count changed "
                               "1 time)") == 0);
}

TEST_CASE("a run of a few dozen large steps takes two threads after its first, with a core free") {
  // An epoch of batch 2048 on the documents' model: 24 steps. The trial would run 3 of them on one
  // thread (the warm-up); the cost model runs none.
  Machine m;
  ThreadChooser chooser(0, 24, m.probe());
  m.run(chooser, 24, 2048, [](int t) { return t == 1 ? 0.011 : 0.0073; });
  CHECK(m.steps_on[1] == 0);
  CHECK(chooser.threads() == 2);
  CHECK(chooser.news() ==
        "threads: auto chose 2 (a run of 24 steps is too short for timing one thread to pay; its "
        "first step took 7.3 ms on two threads with a core free: large enough to split)");
}

TEST_CASE("a run of a few dozen steps whose first step waited for a core times both") {
  // Another process takes a core now and then: the first step's two threads wait 30% of it, so
  // the run goes back to one thread, warms up, and its trial sees the wait again on two. The steps
  // are large, so two threads run on, judged by their rate over a window: every fifth step takes
  // 35 ms (the other process's slice), 0.77x one thread's rate, and the run goes back to one.
  Machine m;
  m.wait_share = 0.3;
  int64_t on_two = 0;
  auto step = [&](int t) { return t == 1 ? 0.011 : (++on_two % 5 == 0 ? 0.035 : 0.0073); };
  ThreadChooser chooser(0, 60, m.probe());
  m.run(chooser, 1, 2048, step);
  CHECK(chooser.threads() == 1);
  CHECK(m.prepared == 1);  // the warm-up's as in a long run
  m.run(chooser, 59, 2048, step);
  CHECK(chooser.threads() == 1);
  CHECK(chooser.summary().find("threads: auto chose 1 (on 2 threads, waits for a core and all, "
                               "training ran at 0.77x the rate of a step on 1 over 0.2 s") == 0);
}

TEST_CASE("a run of a few dozen steps times both when its steps are small or no core is free") {
  // Small steps: the warm-up and the trial as in a long run (two threads win the trial).
  Machine small;
  ThreadChooser chooser(0, 60, small.probe());
  small.run(chooser, 1, 512, [](int t) { return t == 1 ? 0.003 : 0.002; });
  CHECK(chooser.threads() == 1);
  small.run(chooser, 59, 512, [](int t) { return t == 1 ? 0.003 : 0.002; });
  CHECK(chooser.threads() == 2);
  CHECK(chooser.summary().find(
            "threads: auto chose 2 (170667 samples/s on 1 thread, 256000 on 2") == 0);
  // Large steps, no idle core: the warm-up goes on, and the trial keeps one without trying two.
  Machine busy;
  busy.idle_cores = 0;
  ThreadChooser other(0, 24, busy.probe());
  busy.run(other, 24, 2048, [](int t) { return t == 1 ? 0.011 : 0.0073; });
  CHECK(busy.steps_on[2] == 0);
  CHECK(other.summary().find("threads: auto chose 1 (the machine had 0.0 idle cores") == 0);
}

TEST_CASE("two threads chosen by a first step are timed at the first re-check") {
  // Steps a second thread does not speed up (60 ms on one, 70 on two): the first step takes two
  // threads; with no one-thread figure the guard does not start a trial, and the re-check after
  // kRecheckFirst seconds times both and goes back to one.
  Machine m;
  ThreadChooser chooser(0, 60, m.probe());
  auto step = [](int t) { return t == 1 ? 0.060 : 0.070; };
  m.run(chooser, 20, 2048, step);  // 1.39 s: before the re-check
  CHECK(chooser.threads() == 2);
  m.run(chooser, 40, 2048, step);
  CHECK(chooser.threads() == 1);
  CHECK(chooser.summary().find("threads: auto chose 1 (34133 samples/s on 1 thread, 29257 on 2") ==
        0);
  CHECK(chooser.summary().find("the count changed 1 time)") != std::string::npos);
}
