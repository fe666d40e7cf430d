// Interrupts: the first SIGINT (Ctrl-C) or SIGTERM asks training to stop after the current step
// and save a resume checkpoint; a second one ends the process at once. The handler only records
// the signal and puts the default action back (both async-signal-safe); the training loop polls.
// Leaves out: other signals, and threads (signals are delivered to the process).
#pragma once

#include <csignal>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace minigrad::train {

/// While alive, SIGINT and SIGTERM are caught as above; the previous handlers come back after.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  /// The signal caught (SIGINT or SIGTERM), or 0.
  int signal() const;

 private:
  struct sigaction old_int_ {
  }, old_term_{};
};

/// Thrown by run_training() once the resume checkpoint is written (or when there is nowhere to
/// write one); the apps print what() and exit 128 + signal (130 for SIGINT, 143 for SIGTERM).
class Interrupted : public std::runtime_error {
 public:
  Interrupted(int signal, const std::string& message)
      : std::runtime_error(message), signal_(signal) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

/// For tests: the steps after which a run raises SIGINT in itself, as if Ctrl-C were pressed then,
/// from the environment variable MINIGRAD_TEST_SIGINT_AFTER_STEPS ("3" or "3,3"); empty if unset.
std::vector<int64_t> sigint_steps_for_tests();

/// "SIGINT", "SIGTERM".
std::string signal_name(int signal);

}  // namespace minigrad::train
