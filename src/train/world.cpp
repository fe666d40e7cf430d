// The run's process group: MPI when built with it, this process alone otherwise.
#include "minigrad/train/world.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#if MINIGRAD_WITH_MPI
#include "minigrad/dist/mpi_process_group.hpp"
#endif

namespace minigrad::train {

bool built_with_mpi() { return MINIGRAD_WITH_MPI != 0; }

int launcher_world_size() {
  // Open MPI's mpirun, then PMIx and PMI (Slurm's srun, MPICH's hydra).
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"}) {
    const char* value = std::getenv(name);
    if (value == nullptr) continue;
    int n = 0;
    const char* end = value + std::strlen(value);
    if (std::from_chars(value, end, n).ptr == end && n > 0) return n;
  }
  return 1;
}

std::unique_ptr<dist::ProcessGroup> join_world(const std::string& program) {
#if MINIGRAD_WITH_MPI
  if (launcher_world_size() > 1) return std::make_unique<dist::MpiProcessGroup>(program);
#else
  if (const int n = launcher_world_size(); n > 1)
    throw std::invalid_argument(fmt::format(
        "started as one of {} processes (by mpirun or another MPI launcher), but this build of {} "
        "has no MPI support: each process would train the same model alone (HINT: install "
        "libopenmpi-dev, reconfigure with cmake and rebuild; see docs/distributed.md)",
        n, program));
#endif
  return std::make_unique<dist::SingleProcess>();
}

}  // namespace minigrad::train
