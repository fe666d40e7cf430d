// The invariant check shared by the fuzz targets (csv_target.hpp, safetensors_target.hpp,
// metadata_target.hpp): a broken invariant is a finding, reported loudly with std::abort().
#pragma once

#include <cstdio>
#include <cstdlib>

namespace fuzz {

// An invariant the code under test promises; a failure is a finding, reported loudly.
inline void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

}  // namespace fuzz
