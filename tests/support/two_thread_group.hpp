// Two threads standing for the two processes of a data-parallel job, for tests of the pieces
// that call the group's all-reduce (not its all-to-all): each thread's sum writes its buffer to
// its slot, both wait, each reads the sum, both wait again before a slot is reused.
#pragma once

#include <barrier>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "minigrad/dist/process_group.hpp"

namespace {

struct TwoThreads {
  std::barrier<> sync{2};
  std::vector<double> slots[2];
};

class TwoThreadGroup : public minigrad::dist::ProcessGroup {
 public:
  TwoThreadGroup(TwoThreads& shared, int rank) : shared_(shared), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return 2; }
  void all_reduce_sum(std::span<float> v) const override { sum(v); }
  void all_reduce_sum(std::span<double> v) const override { sum(v); }
  void all_to_all(std::span<const float>, std::span<const int64_t>, std::span<float>,
                  std::span<const int64_t>) const override {
    throw std::logic_error("not used by these tests");
  }
  void abort(int) const override {}
  std::string describe() const override { return "two threads"; }

 private:
  template <class T>
  void sum(std::span<T> v) const {
    shared_.slots[rank_].assign(v.begin(), v.end());
    shared_.sync.arrive_and_wait();
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = static_cast<T>(shared_.slots[0][i] + shared_.slots[1][i]);
    shared_.sync.arrive_and_wait();
  }
  TwoThreads& shared_;
  int rank_;
};

}  // namespace
