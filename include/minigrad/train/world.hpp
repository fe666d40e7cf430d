// Which processes this run is part of: the MPI job mpirun started, when the build has Open MPI
// support, or this process alone. A build without MPI refuses to run under an mpirun of several
// processes, rather than train the same model N times over (docs/distributed.md).
#pragma once

#include <memory>
#include <string>

#include "minigrad/dist/process_group.hpp"

namespace minigrad::train {

/// True when this build can train across processes (CMake found MPI).
bool built_with_mpi();

/// The number of processes a launcher (Open MPI's mpirun, or a PMI launcher such as srun) says
/// the job has, from its environment; 1 when started directly.
int launcher_world_size();

/// The group this process trains in. Throws std::invalid_argument when a launcher started
/// several processes but this build has no MPI support.
std::unique_ptr<dist::ProcessGroup> join_world(const std::string& program);

}  // namespace minigrad::train
