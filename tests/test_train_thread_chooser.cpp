// Tests of train/thread_chooser.hpp on a simulated clock: auto keeps two threads only when they
// are faster by more than the margin, decides within a short run of large steps (its warm-up
// standing in for the first block on one thread when the idle cores can be judged), leaves a trial
// on a starved worker (not on a moment's preemption), returns to one thread when load arrives
// during training and to two when it leaves, leaves two threads that wait for a core though their
// steps look fast, and keeps one thread (saying why) when it cannot measure.
#include <doctest/doctest.h>

#include <string>

#include "thread_chooser_machine.hpp"

using chooser_test::Machine;
using minigrad::train::ThreadChooser;

TEST_CASE("auto readies the second thread once, after its first step; a fixed count never") {
  Machine m;
  ThreadChooser chooser(0, 10000, m.probe());
  CHECK(m.prepared == 0);
  m.run(chooser, 1, 32, [](int) { return 1e-3; });
  CHECK(m.prepared == 1);
  CHECK(m.threads == 1);  // still on one thread: readied, not used
  m.run(chooser, 400, 32, [](int t) { return t == 1 ? 1e-3 : 0.6e-3; });
  CHECK(m.prepared == 1);  // not again for the trial, nor for a re-check
  Machine fixed;
  ThreadChooser two(2, 10000, fixed.probe());
  fixed.run(two, 20, 32, [](int) { return 1e-3; });
  CHECK(fixed.prepared == 0);
}

TEST_CASE("auto keeps two threads only when they are faster by more than the margin") {
  for (const double two : {0.6, 0.97, 1.3}) {  // a step on two threads, one's taking 1 ms
    Machine m;
    ThreadChooser chooser(0, 10000, m.probe());
    m.run(chooser, 400, 32, [&](int t) { return t == 1 ? 1e-3 : two * 1e-3; });
    CAPTURE(two);
    CHECK(chooser.threads() == (two < 0.9 ? 2 : 1));
    CHECK(m.threads == chooser.threads());
    const std::string s = chooser.summary();
    CHECK(s.find(two < 0.9 ? "threads: auto chose 2 (32000 samples/s on 1 thread, 53333 on 2"
                           : "threads: auto chose 1 (32000 samples/s on 1 thread") == 0);
  }
}

TEST_CASE("auto times both within a run of large steps but few of them") {
  // 64 steps of 25 ms (kCostModelSteps: fewer would be decided by the first step): the warm-up's
  // 3 steps and one block on two threads of 3 decide, 6 steps of 64.
  Machine m;
  ThreadChooser chooser(0, ThreadChooser::kCostModelSteps, m.probe());
  CHECK(chooser.news() ==
        "threads: auto on 1 so far (a warm-up before timing 1 and 2 threads: 0 steps done)");
  m.run(chooser, 17, 2048, [](int t) { return t == 1 ? 0.025 : 0.016; });  // blocks of 3 steps
  CHECK(chooser.threads() == 2);
  CHECK(chooser.news().find("threads: auto chose 2 (81920 samples/s on 1 thread, 128000 on 2") ==
        0);
  CHECK(chooser.news().empty());  // told once
}

TEST_CASE("large steps: a short warm-up, and a clear first pair of blocks ends the trial") {
  // 25 ms steps on one thread: the warm-up ends after kMinWarmup steps (75 ms, past kIdleWindow),
  // blocks are of 3 steps (2 timed), and the warm-up's last two steps stand in for the first
  // block on one thread; two threads 1.56x as fast decide after their block, 6 steps in all.
  Machine m;
  ThreadChooser chooser(0, 100, m.probe());
  auto step = [](int t) { return t == 1 ? 0.025 : 0.016; };
  m.run(chooser, 5, 2048, step);
  CHECK(chooser.threads() == 2);  // the block on two threads, not yet decided
  CHECK(chooser.news() == "threads: auto on 1 so far (timing 1 and 2 threads: 5 of 12 steps done)");
  m.run(chooser, 1, 2048, step);
  CHECK(chooser.news() ==
        "threads: auto chose 2 (81920 samples/s on 1 thread, 128000 on 2, over 2 steps each)");
  m.run(chooser, 94, 2048, step);
  CHECK(m.steps_on[1] == 3);  // the warm-up alone: the rest of the epoch on two threads
  CHECK(chooser.threads() == 2);
}

TEST_CASE("the warm-up stands in for a block only when the machine's idle cores can be judged") {
  // 10 ms steps: a warm-up of 3 steps (30 ms) is too short for /proc/stat (kIdleWindow). The run
  // queue, looked at before the third step and after it, shows a free core: the warm-up stands
  // in (3 steps on one thread). Without the run queue a block on one thread runs as before (6),
  // unless the first step, slowed by fresh memory (40 ms), made the warm-up long enough; the
  // block's figure then comes from the steps after it alone.
  struct Case {
    bool queue_known;
    double first;
    int64_t one_steps;
  };
  for (const Case c : {Case{true, 0.010, 3}, Case{false, 0.010, 6}, Case{false, 0.040, 3}}) {
    Machine m;
    m.queue_known = c.queue_known;
    ThreadChooser chooser(0, 1000, m.probe());
    int64_t step = 0;
    m.run(chooser, 40, 2048, [&](int t) { return ++step == 1 ? c.first : t == 1 ? 0.010 : 0.006; });
    CAPTURE(c.queue_known);
    CAPTURE(c.first);
    CHECK(chooser.threads() == 2);
    CHECK(m.steps_on[1] == c.one_steps);
    CHECK(chooser.summary().find("threads: auto chose 2 (204800 samples/s on 1 thread") == 0);
  }
}

TEST_CASE("steps of a few milliseconds: the warm-up stands in with the steps it has") {
  // 2.8 ms steps (batch 512 here): a warm-up of kWarmup steps, blocks of 8 (7 timed). Its last 4
  // steps stand in for the first block, and two threads 1.75x as fast decide after their block:
  // 5 steps on one thread instead of 13. Steps of 0.2 ms end the warm-up within 1 ms, too soon
  // for two looks at the run queue: their first block on one thread runs (5 + 50 steps).
  struct Case {
    double one;
    int64_t one_steps;
    const char* timed;
  };
  for (const Case c : {Case{2.8e-3, 5, "over 4 and 7 steps)"}, Case{0.2e-3, 55, "each)"}}) {
    Machine m;
    ThreadChooser chooser(0, 1000, m.probe());
    m.run(chooser, 200, 512, [&](int t) { return t == 1 ? c.one : c.one / 1.75; });
    CAPTURE(c.one);
    CHECK(chooser.threads() == 2);
    CHECK(m.steps_on[1] == c.one_steps);
    const std::string s = chooser.summary();
    CHECK(s.find("threads: auto chose 2 (") == 0);
    CHECK(s.substr(s.size() - std::string(c.timed).size()) == c.timed);
  }
}

TEST_CASE("a warm-up whose run queue shows no free core runs a block on one thread first") {
  // 10 ms steps, another task always ready to run: the warm-up does not stand in; the block on one
  // thread lasts long enough for /proc/stat, which finds no idle core: two threads never run.
  Machine m;
  m.idle_cores = 0.0;
  ThreadChooser chooser(0, 1000, m.probe());
  m.run(chooser, 40, 2048, [](int t) { return t == 1 ? 0.010 : 0.006; });
  CHECK(m.steps_on[2] == 0);
  CHECK(chooser.summary().find("threads: auto chose 1 (the machine had 0.0 idle cores") == 0);
}

TEST_CASE("a close first pair of blocks runs the whole trial") {
  // Two threads 1.1x as fast (under kClear): blocks on 1, 2, 1 and 2 threads, then two kept.
  Machine m;
  ThreadChooser chooser(0, 1000, m.probe());
  m.run(chooser, 3 + 2 * 3, 2048, [](int t) { return t == 1 ? 0.025 : 0.025 / 1.1; });
  CHECK(chooser.news().find("threads: auto on 1 so far") == 0);
  m.run(chooser, 2 * 3, 2048, [](int t) { return t == 1 ? 0.025 : 0.025 / 1.1; });
  CHECK(chooser.threads() == 2);
  CHECK(chooser.summary().find("over 4 steps each") != std::string::npos);
  // And two threads clearly slower end the trial on one thread after the first pair.
  Machine slow;
  ThreadChooser other(0, 1000, slow.probe());
  slow.run(other, 3 + 2 * 3, 2048, [](int t) { return t == 1 ? 0.025 : 0.04; });
  CHECK(other.threads() == 1);
  CHECK(other.summary().find("threads: auto chose 1 (81920 samples/s on 1 thread, 51200 on 2, "
                             "over 2 steps each)") == 0);
}

TEST_CASE("auto decides within a run of few small steps") {
  // 1 ms steps ask for blocks of 20 steps; a run of 45 steps has room for blocks of 10 after the
  // warm-up, and ends its trial on two threads, not half-way with "so far".
  Machine m;
  ThreadChooser chooser(0, 45, m.probe());
  m.run(chooser, 45, 32, [](int t) { return t == 1 ? 1e-3 : 0.6e-3; });
  CHECK(chooser.threads() == 2);
  CHECK(chooser.summary().find("threads: auto chose 2 (") == 0);
}

TEST_CASE("with no idle core beside the run, auto keeps one thread without trying two") {
  for (const double idle : {0.2, 0.8}) {
    Machine m;
    m.idle_cores = idle;
    ThreadChooser chooser(0, 1000, m.probe());
    // 6 steps decide: a warm-up of 3 (75 ms) that stands in for the block on one thread, then
    // 3 on two threads (1.56x apart: clear)
    m.run(chooser, 40, 2048, [](int t) { return t == 1 ? 0.025 : 0.016; });
    CAPTURE(idle);
    CHECK(chooser.threads() == (idle < ThreadChooser::kIdleNeeded ? 1 : 2));
    CHECK(m.steps_on[2] == (idle < ThreadChooser::kIdleNeeded ? 0 : 40 - 3));
    if (idle < ThreadChooser::kIdleNeeded)
      CHECK(chooser.summary() ==
            "threads: auto chose 1 (the machine had 0.2 idle cores beside this run: no room for "
            "a second thread)");
  }
}

TEST_CASE("with small steps, the run queue says whether a core is free") {
  // Steps of 0.2 ms: the warm-up and the first block (blocks of 50 steps) end after 11 ms, too
  // soon for /proc/stat's clock ticks; looks at the run queue every millisecond decide instead.
  for (const double idle : {0.2, 0.8}) {
    Machine m;
    m.idle_cores = idle;
    ThreadChooser chooser(0, 1000, m.probe());
    m.run(chooser, 300, 32, [](int t) { return t == 1 ? 0.2e-3 : 0.15e-3; });
    CAPTURE(idle);
    CHECK(chooser.threads() == (idle < ThreadChooser::kIdleNeeded ? 1 : 2));
    CHECK((m.steps_on[2] == 0) == (idle < ThreadChooser::kIdleNeeded));
    if (idle < ThreadChooser::kIdleNeeded)
      CHECK(chooser.summary().find("threads: auto chose 1 (the machine had 0.2 idle cores") == 0);
  }
}

TEST_CASE("a starved step on two threads ends the trial on one thread") {
  Machine m;
  ThreadChooser chooser(0, 10000, m.probe());
  // the worker's core is taken by another process
  m.run(chooser, 60, 32, [](int t) { return t == 1 ? 1e-3 : 20e-3; });
  CHECK(chooser.threads() == 1);
  CHECK(m.steps_on[2] == 3);  // the block's first step is not judged; two more end the trial
  CHECK(chooser.summary().find("took 20.0x as long as on 1") != std::string::npos);
}

TEST_CASE("auto follows the load during training") {
  Machine m;
  ThreadChooser chooser(0, 1000000, m.probe());
  bool loaded = false;
  auto step = [&](int t) { return t == 1 ? 1e-3 : (loaded ? 5e-3 : 0.6e-3); };
  m.run(chooser, 300, 32, step);
  REQUIRE(chooser.threads() == 2);
  CHECK(chooser.news().find("threads: auto chose 2 (") == 0);
  loaded = true;  // two threads now lose: the guard notices within a few steps and times again
  m.run(chooser, 20, 32, step);
  CHECK(chooser.threads() == 1);
  m.run(chooser, 100, 32, step);
  CHECK(chooser.news().find("threads: auto chose 1 (steps on 2 threads took 5.0x as long") == 0);
  m.run(chooser, 1000, 32, step);  // re-checks keep one thread while the load lasts
  CHECK(chooser.threads() == 1);
  loaded = false;  // the next re-check (at most kRecheckMax seconds later) returns to two
  m.run(chooser, static_cast<int64_t>(ThreadChooser::kRecheckMax / 0.6e-3) + 300, 32, step);
  CHECK(chooser.threads() == 2);
  CHECK(chooser.summary().find("the count changed 2 times") != std::string::npos);
}

TEST_CASE("noise of single slow steps on two threads does not move auto off two") {
  Machine m;
  ThreadChooser chooser(0, 1000000, m.probe());
  int64_t i = 0;
  m.run(chooser, 5000, 32, [&](int t) {
    const bool hiccup = ++i % 7 == 0;  // one step in seven is preempted
    return (t == 1 ? 1e-3 : 0.6e-3) * (hiccup ? 5 : 1);
  });
  CHECK(chooser.threads() == 2);
}

TEST_CASE("a moment's preemption on two threads neither ends a trial nor starts one") {
  // The documents' model on an idle machine: 0.29 ms a step on one thread, 0.24 ms on two, and
  // now and then another process takes the worker's core for 2 ms. Judged over a step or two
  // (or eight, 2 ms), that moment looked like a starved worker, and the rest of a short run
  // went to one thread.
  Machine m;
  ThreadChooser chooser(0, 1500, m.probe());
  int64_t i = 0;
  m.run(chooser, 1500, 32, [&](int t) {
    const double blip = ++i % 97 == 0 && t == 2 ? 2e-3 : 0;
    return (t == 1 ? 0.29e-3 : 0.24e-3) + blip;
  });
  CHECK(chooser.threads() == 2);
  CHECK(chooser.summary().find("threads: auto chose 2 (") == 0);
  CHECK(chooser.summary().find("timed") == std::string::npos);  // one trial only
  CHECK(m.steps_on[2] == 1500 - 5 - 100);                       // the warm-up, two blocks of 50
  // A worker that loses its core for good is still left at once: 4x as long a step loses
  // kCollapseSeconds within a few steps.
  Machine loaded;
  ThreadChooser starved(0, 1500, loaded.probe());
  loaded.run(starved, 200, 32, [](int t) { return t == 1 ? 1e-3 : 4e-3; });
  CHECK(starved.threads() == 1);
  CHECK(loaded.steps_on[2] == 5);  // the first step of the block, then 4 judged: 12 ms lost > 10 ms
  CHECK(starved.summary().find("took 4.0x as long as on 1") != std::string::npos);
}

TEST_CASE("two threads that wait for a core are not kept, though their steps look faster") {
  // Another process on the second core takes it from one of the threads now and then: over a
  // trial's few milliseconds the median step still says two threads win, but the threads spent
  // a third of their time waiting for a core, and the run goes on at 0.6x of one thread.
  for (const double share : {0.02, 0.3}) {
    Machine m;
    m.wait_share = share;
    ThreadChooser chooser(0, 10000, m.probe());
    m.run(chooser, 400, 32, [](int t) { return t == 1 ? 0.3e-3 : 0.2e-3; });
    CAPTURE(share);
    CHECK(chooser.threads() == (share < ThreadChooser::kWaitShare ? 2 : 1));
    if (share > ThreadChooser::kWaitShare)
      CHECK(chooser.summary() ==
            "threads: auto chose 1 (on 2 threads they waited for a core 30% of the time: another "
            "process is using the second)");
  }
}

TEST_CASE("large steps on two threads that wait for a core are kept while their rate pays") {
  // Another process busy part of the time: the threads wait 15% of it on two, but steps of 8 ms
  // on two against 11 on one still pay, and the windows of kLongWindow keep saying so.
  Machine m;
  m.wait_share = 0.15;
  ThreadChooser chooser(0, 10000, m.probe());
  m.run(chooser, 200, 2048, [](int t) { return t == 1 ? 0.011 : 0.008; });
  CHECK(chooser.threads() == 2);
  CHECK(m.steps_on[1] == 3);  // the warm-up
  CHECK(chooser.summary() ==
        "threads: auto chose 2 (186182 samples/s on 1 thread, 256000 on 2, over 2 steps each; they "
        "waited for a core 15% of the time, so their rate is checked against one thread's every "
        "0.2 s)");
  // A pause between two steps (validation at an epoch's end) is not counted as training's time.
  m.now += 0.1;
  m.run(chooser, 40, 2048, [](int t) { return t == 1 ? 0.011 : 0.008; });
  CHECK(chooser.threads() == 2);
}

TEST_CASE("during training on two threads, a wait for a core sends auto back to one") {
  Machine m;
  ThreadChooser chooser(0, 1000000, m.probe());
  auto step = [](int t) { return t == 1 ? 0.3e-3 : 0.2e-3; };  // the steps' times never change
  m.run(chooser, 300, 32, step);
  REQUIRE(chooser.threads() == 2);
  m.wait_share = 0.3;  // a competitor arrives: within one window of kWaitWindow, one thread
  const int64_t window = static_cast<int64_t>(ThreadChooser::kWaitWindow / 0.2e-3);
  m.run(chooser, 2 * window + 2, 32, step);
  CHECK(chooser.threads() == 1);
  // The first window on two threads may have begun before the competitor came: up to 30%.
  const std::string said = chooser.summary();
  CHECK(said.find("threads: auto chose 1 (on 2 threads they waited for a core ") == 0);
  CHECK(said.find("% of the time: another process is using the second; timed 1 time, the count "
                  "changed 1 time)") != std::string::npos);
  m.run(chooser, 100000, 32, step);  // re-checks try two threads and leave them again
  CHECK(chooser.threads() == 1);
  m.wait_share = 0;  // it leaves: the next re-check keeps two
  m.run(chooser, static_cast<int64_t>(ThreadChooser::kRecheckMax / 0.2e-3) + 1000, 32, step);
  CHECK(chooser.threads() == 2);
}

TEST_CASE("during training, large steps that wait for a core go by their rate over a window") {
  // 11 ms steps on one thread, 8 on two; a competitor arrives after the decision. While steps on
  // two still pay (9 ms) the run stays on two; when they take 12.5 ms it goes back to one at the
  // end of the window of kLongWindow under way (its steps of 9 and 12.5 ms: 1.03x, not 1.05x).
  Machine m;
  ThreadChooser chooser(0, 100000, m.probe());
  double two_step = 0.008;
  auto step = [&](int t) { return t == 1 ? 0.011 : two_step; };
  m.run(chooser, 100, 2048, step);  // 0.8 s: before the first re-check
  REQUIRE(chooser.threads() == 2);
  m.wait_share = 0.3;
  two_step = 0.009;
  m.run(chooser, 60, 2048, step);
  CHECK(chooser.threads() == 2);
  // the wait window that saw it began before the competitor came: 21%, not 30
  CHECK(
      chooser.summary().find("they waited for a core 21% of the time, so their rate is checked") !=
      std::string::npos);
  two_step = 0.0125;
  m.run(chooser, 20, 2048, step);
  CHECK(chooser.threads() == 1);
  CHECK(chooser.summary().find("threads: auto chose 1 (on 2 threads, waits for a core and all, "
                               "training ran at 1.03x the rate of a step on 1 over 0.2 s") == 0);
}

TEST_CASE("a skipped step (before_step without after_step) is not timed") {
  Machine m;
  ThreadChooser chooser(0, 10000, m.probe());
  for (int i = 0; i < 400; ++i) {
    chooser.before_step();
    m.now += m.threads == 1 ? 1e-3 : 0.5e-3;
    m.idle += m.threads == 1 ? 1e-3 : 0.5e-3;
    if (i % 10 == 3) {  // skipped, and a long pause before the next step
      m.now += 1.0;
      m.idle += 1.0;
      continue;
    }
    chooser.after_step(32);
  }
  // Every trial saw the steps' own times: the pauses after skipped steps were not counted.
  CHECK(chooser.summary().find("threads: auto chose 2 (32000 samples/s on 1 thread, 64000 on 2") ==
        0);
}

TEST_CASE("auto keeps one thread, and says why, when it cannot measure; a fixed count is kept") {
  Machine m;
  ThreadChooser one_step(0, 1, m.probe());
  CHECK(one_step.news() ==
        "threads: auto kept 1 (a run of 1 steps is too short to time both; it takes 17)");
  ThreadChooser one_core(0, 10000, m.probe("the reference backend has one thread"));
  m.run(one_core, 400, 32, [](int t) { return t == 1 ? 1e-3 : 0.1e-3; });
  CHECK(one_core.threads() == 1);
  CHECK(one_core.summary() == "threads: auto kept 1 (the reference backend has one thread)");
  ThreadChooser fixed(2, 10000, m.probe());
  m.run(fixed, 400, 32, [](int t) { return t == 1 ? 1e-3 : 5e-3; });
  CHECK(fixed.threads() == 2);
  CHECK(fixed.summary().empty());
  CHECK(m.sets == 0);  // the caller sets a fixed count, and auto that cannot measure never moves
}
