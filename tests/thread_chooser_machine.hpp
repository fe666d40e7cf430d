// A simulated machine for the tests of train/thread_chooser.hpp: a clock that only moves when a
// step "runs", the machine's idle time and the threads' wait, and a record of the counts the
// chooser set.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "minigrad/train/thread_chooser.hpp"

namespace chooser_test {

using minigrad::train::ThreadChooser;
using minigrad::train::ThreadProbe;

struct Machine {
  double now = 100.0;
  double idle = 5000.0, idle_cores = 1.0;  // the machine's idle CPU-seconds, and how fast they grow
  double wait = 7.0, wait_share = 0.0;     // the threads' wait for a core; its share on two threads
  bool queue_known = true;                 // whether idle_cores_now can be read
  int threads = 1, sets = 0, prepared = 0;
  int64_t steps_on[3] = {0, 0, 0};  // the steps run on 1 and on 2 threads
  ThreadProbe probe(std::string why_one = "") {
    return {.now = [this] { return now; },
            .set_num_threads =
                [this](int n) {
                  threads = n;
                  ++sets;
                },
            .why_one_thread = std::move(why_one),
            .idle_seconds = [this] { return idle; },
            .wait_seconds = [this] { return wait; },
            .idle_cores_now = [this] { return queue_known ? idle_cores : -1.0; },
            .prepare_two = [this] { ++prepared; }};
  }
  // Runs `steps` steps of `rows` rows; a step takes seconds(threads).
  template <class F>
  void run(ThreadChooser& chooser, int64_t steps, int64_t rows, F seconds) {
    for (int64_t i = 0; i < steps; ++i) {
      chooser.before_step();
      const double dt = seconds(threads);
      ++steps_on[threads];
      now += dt;
      idle += idle_cores * dt;
      if (threads == 2) wait += 2 * dt * wait_share;
      chooser.after_step(rows);
    }
  }
};

}  // namespace chooser_test
