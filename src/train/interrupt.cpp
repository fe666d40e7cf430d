// The signal handler and its guard. A handler may call only async-signal-safe functions, so it
// stores the signal number in a sig_atomic_t and restores the default actions with sigaction():
// the next SIGINT or SIGTERM then ends the process the ordinary way (status 128 + signal).
#include "minigrad/train/interrupt.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "minigrad/train/args.hpp"

namespace minigrad::train {

namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_interrupt(int signal) {
  g_signal = signal;
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  sigaction(SIGINT, &default_action, nullptr);
  sigaction(SIGTERM, &default_action, nullptr);
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_signal = 0;
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // reads and writes in progress carry on
  sigaction(SIGINT, &action, &old_int_);
  sigaction(SIGTERM, &action, &old_term_);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

int InterruptGuard::signal() const { return g_signal; }

std::vector<int64_t> sigint_steps_for_tests() {
  const char* steps = std::getenv("MINIGRAD_TEST_SIGINT_AFTER_STEPS");
  if (!steps) return {};
  return parse_positive_list("MINIGRAD_TEST_SIGINT_AFTER_STEPS", steps,
                             "comma-separated step counts such as 3,3");
}

std::string signal_name(int signal) {
  return signal == SIGINT    ? "SIGINT"
         : signal == SIGTERM ? "SIGTERM"
                             : fmt::format("signal {}", signal);
}

}  // namespace minigrad::train
