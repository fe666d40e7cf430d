// A lock for critical sections of a few dozen instructions: the buffer cache's and the deferred
// zeros' bookkeeping, taken about 130 times in a training step of the documents' model. Taking it
// is one atomic exchange and giving it back a plain store, where std::mutex makes two atomic
// read-modify-writes and two calls into the C library: a buffer's allocate and release take 14
// ns instead of 23 (docs/benchmarks.md). A thread that finds it taken yields the CPU; with two
// threads and sections this short that is rare.
#pragma once

#include <atomic>
#include <thread>

namespace minigrad::kernels {

class SpinLock {
 public:
  void lock() {
    while (taken_.test_and_set(std::memory_order_acquire)) std::this_thread::yield();
  }
  void unlock() { taken_.clear(std::memory_order_release); }

 private:
  std::atomic_flag taken_;
};

}  // namespace minigrad::kernels
