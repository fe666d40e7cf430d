// ThreadProbe: what --threads auto reads of the machine (a clock, idle cores, the threads' wait
// for a core) and sets (the thread count), in one struct so that tests give a simulated machine.
#pragma once

#include <functional>
#include <string>

namespace minigrad::train {

/// What the chooser reads and sets; the defaults are the steady clock and the backend. Tests give
/// a clock, idle counts and waits of their own.
struct ThreadProbe {
  std::function<double()> now;               // seconds
  std::function<void(int)> set_num_threads;  // 1 or 2
  std::string why_one_thread;                // non-empty: a second thread cannot help
  std::function<double()> idle_seconds;      // the machine's idle CPU-seconds so far; < 0: unknown
  std::function<double()> wait_seconds;      // seconds this process's threads were ready to run but
                                             // waited for a core, so far; < 0: unknown
  std::function<double()> idle_cores_now;    // cores with no task to run at this instant; < 0:
                                             // unknown
  std::function<void()> prepare_two;         // readies the second thread (may be empty)
};
ThreadProbe backend_probe();

}  // namespace minigrad::train
