// Tests of train/world.hpp: the launcher's process count read from the environment, and a build
// without MPI refusing to run as one of several processes.
#include <doctest/doctest.h>

#include <cstdlib>
#include <stdexcept>

#include "minigrad/train/world.hpp"

using namespace minigrad;

TEST_CASE("launcher_world_size reads Open MPI's and PMI's variables, 1 when started directly") {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"}) unsetenv(name);
  CHECK(train::launcher_world_size() == 1);
  setenv("PMI_SIZE", "4", 1);
  CHECK(train::launcher_world_size() == 4);
  setenv("OMPI_COMM_WORLD_SIZE", "3", 1);  // Open MPI's own variable comes first
  CHECK(train::launcher_world_size() == 3);
  setenv("OMPI_COMM_WORLD_SIZE", "three", 1);  // not a number: the next variable
  CHECK(train::launcher_world_size() == 4);
  if (!train::built_with_mpi()) {
    CHECK_THROWS_AS(train::join_world("train_csv"), std::invalid_argument);
    try {
      train::join_world("train_csv");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find("no MPI support") != std::string::npos);
    }
  }
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"}) unsetenv(name);
  CHECK(train::join_world("train_csv")->size() == 1);
}
