// ProcessGroup: the processes of one data-parallel job, as the training loop sees them: its rank,
// their number, and the collective operations it needs (sum across processes, abort them all).
// SingleProcess is the group of one, so the loop is written once; MpiProcessGroup
// (mpi_process_group.hpp, built only with Open MPI) is the real one. Leaves out sub-groups.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>

namespace minigrad::dist {

/// What a group's collectives have cost this process so far.
struct Traffic {
  int64_t calls = 0;
  int64_t bytes = 0;     // the buffers' sizes (each process sends and receives about as much)
  double seconds = 0.0;  // inside the calls: the transfer and any wait for a slower process
};

class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  /// This process's index, 0 .. size() - 1; rank 0 prints and writes files.
  virtual int rank() const = 0;
  /// How many processes run the job.
  virtual int size() const = 0;
  /// Element-wise sum over every process, in place (MPI_Allreduce with MPI_SUM); every process
  /// must call it at the same point with the same length.
  virtual void all_reduce_sum(std::span<float> values) const = 0;
  virtual void all_reduce_sum(std::span<double> values) const = 0;
  /// Every process sends each process its own values (MPI_Alltoallv): `send` holds
  /// send_counts[q] values for each process q in rank order, `recv` gets recv_counts[p] values
  /// from each process p in rank order. Every process must call it at the same point.
  virtual void all_to_all(std::span<const float> send, std::span<const int64_t> send_counts,
                          std::span<float> recv, std::span<const int64_t> recv_counts) const = 0;
  /// Ends the whole job with exit code `code` (MPI_Abort); returns only in a group of one.
  virtual void abort(int code) const = 0;
  /// What runs the group ("Open MPI v4.1.4" or "one process").
  virtual std::string describe() const = 0;
  /// Totals of every collective so far.
  const Traffic& traffic() const { return traffic_; }

 protected:
  mutable Traffic traffic_;  // a collective is logically const: it changes no group state
};

/// The group of one process: sums are the values themselves, abort returns.
class SingleProcess : public ProcessGroup {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void all_reduce_sum(std::span<float>) const override {}
  void all_reduce_sum(std::span<double>) const override {}
  void all_to_all(std::span<const float> send, std::span<const int64_t>, std::span<float> recv,
                  std::span<const int64_t>) const override {
    std::copy(send.begin(), send.end(), recv.begin());  // to itself
  }
  void abort(int) const override {}
  std::string describe() const override { return "one process"; }
};

}  // namespace minigrad::dist
