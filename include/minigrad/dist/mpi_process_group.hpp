// MpiProcessGroup: a ProcessGroup over Open MPI's MPI_COMM_WORLD. The constructor calls MPI_Init,
// the destructor MPI_Finalize; any failing MPI call ends the whole job (MPI_Abort) with a message
// that names the rank and the call, so a broken job never hangs. Built only when CMake finds MPI.
// Leaves out: communicators other than the world, non-blocking collectives.
#pragma once

#include <span>
#include <string>

#include "minigrad/dist/process_group.hpp"

namespace minigrad::dist {

class MpiProcessGroup : public ProcessGroup {
 public:
  /// Joins the job mpirun started (or a job of one when run directly). `program` prefixes
  /// error messages. Only one may exist in a process.
  explicit MpiProcessGroup(std::string program);
  ~MpiProcessGroup() override;
  MpiProcessGroup(const MpiProcessGroup&) = delete;
  MpiProcessGroup& operator=(const MpiProcessGroup&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void all_reduce_sum(std::span<float> values) const override;
  void all_reduce_sum(std::span<double> values) const override;
  void all_to_all(std::span<const float> send, std::span<const int64_t> send_counts,
                  std::span<float> recv, std::span<const int64_t> recv_counts) const override;
  /// MPI_Abort with `code` when size() > 1 (every rank ends, mpirun exits non-zero); with one
  /// process, MPI_Finalize and return so the caller exits with its code.
  void abort(int code) const override;
  std::string describe() const override;

 private:
  /// Checks an MPI call's result; on failure prints "<program>: rank R of N: <call> failed:
  /// <MPI's message>" and aborts the job.
  void check(int result, const char* call) const;
  std::string program_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace minigrad::dist
