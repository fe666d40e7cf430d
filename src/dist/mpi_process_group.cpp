// MpiProcessGroup over MPI_COMM_WORLD. Errors return codes (MPI_ERRORS_RETURN) instead of MPI's
// default abort, so that the message can say which rank failed in which call before the job ends.
#include "minigrad/dist/mpi_process_group.hpp"

#include <fmt/format.h>
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <vector>

namespace minigrad::dist {

namespace {

// MPI counts are ints: a longer buffer is reduced in pieces of at most INT_MAX values.
template <class T>
void all_reduce_in_pieces(std::span<T> values, MPI_Datatype type,
                          const std::function<void(int, const char*)>& check, Traffic& traffic) {
  const double start = MPI_Wtime();
  for (size_t done = 0; done < values.size();) {
    const int n = static_cast<int>(std::min<size_t>(values.size() - done, INT_MAX));
    check(MPI_Allreduce(MPI_IN_PLACE, values.data() + done, n, type, MPI_SUM, MPI_COMM_WORLD),
          "MPI_Allreduce");
    done += static_cast<size_t>(n);
  }
  traffic.calls += 1;
  traffic.bytes += static_cast<int64_t>(values.size_bytes());
  traffic.seconds += MPI_Wtime() - start;
}

}  // namespace

MpiProcessGroup::MpiProcessGroup(std::string program) : program_(std::move(program)) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized && MPI_Init(nullptr, nullptr) != MPI_SUCCESS) {
    std::fprintf(stderr, "%s: error: MPI_Init failed (HINT: is this job started by mpirun?)\n",
                 program_.c_str());
    std::exit(1);
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
}

MpiProcessGroup::~MpiProcessGroup() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

void MpiProcessGroup::all_reduce_sum(std::span<float> values) const {
  if (size_ == 1) return;
  all_reduce_in_pieces(
      values, MPI_FLOAT, [this](int r, const char* call) { check(r, call); }, traffic_);
}

void MpiProcessGroup::all_reduce_sum(std::span<double> values) const {
  if (size_ == 1) return;
  all_reduce_in_pieces(
      values, MPI_DOUBLE, [this](int r, const char* call) { check(r, call); }, traffic_);
}

void MpiProcessGroup::all_to_all(std::span<const float> send, std::span<const int64_t> send_counts,
                                 std::span<float> recv,
                                 std::span<const int64_t> recv_counts) const {
  const double start = MPI_Wtime();
  // MPI's counts and offsets are ints: an exchange of 2^31 values or more is refused.
  auto as_ints = [this](std::span<const int64_t> counts, std::vector<int>& n,
                        std::vector<int>& at) {
    int64_t offset = 0;
    for (const int64_t c : counts) {
      if (offset + c > INT_MAX)
        throw std::length_error(fmt::format(
            "rank {} of {}: an exchange of over {} values, more than MPI's counts can say (HINT: "
            "use a smaller --batch-size)",
            rank_, size_, INT_MAX));
      n.push_back(static_cast<int>(c));
      at.push_back(static_cast<int>(offset));
      offset += c;
    }
  };
  std::vector<int> send_n, send_at, recv_n, recv_at;
  as_ints(send_counts, send_n, send_at);
  as_ints(recv_counts, recv_n, recv_at);
  check(MPI_Alltoallv(send.data(), send_n.data(), send_at.data(), MPI_FLOAT, recv.data(),
                      recv_n.data(), recv_at.data(), MPI_FLOAT, MPI_COMM_WORLD),
        "MPI_Alltoallv");
  traffic_.calls += 1;
  traffic_.bytes += static_cast<int64_t>(send.size_bytes());
  traffic_.seconds += MPI_Wtime() - start;
}

void MpiProcessGroup::abort(int code) const {
  if (size_ > 1) {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);  // does not return: mpirun ends every rank
  }
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

std::string MpiProcessGroup::describe() const {
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string text(version, static_cast<size_t>(std::max(length, 0)));
  text = text.substr(0, text.find(','));  // "Open MPI v4.1.4, package: ..." -> "Open MPI v4.1.4"
  return fmt::format("{} processes on {}", size_, text);
}

void MpiProcessGroup::check(int result, const char* call) const {
  if (result == MPI_SUCCESS) return;
  char message[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(result, message, &length);
  std::fprintf(stderr, "%s: rank %d of %d: %s failed: %.*s\n", program_.c_str(), rank_, size_, call,
               length, message);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
}

}  // namespace minigrad::dist
