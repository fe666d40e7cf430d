// version_flag.hpp: `--version` for every app, answered before any other flag is looked at.
// Prints "<program> (minigrad 0.1.0)" on stdout, GNU style, and the app exits 0.
#pragma once

#include <cstdio>
#include <string_view>

#include "minigrad/version.hpp"

namespace minigrad_app {

/// True (after printing the version) when one of the arguments is --version.
inline bool print_version_if_asked(int argc, char** argv, const char* program) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--version") {
      std::printf("%s (minigrad %s)\n", program, MINIGRAD_VERSION);
      return true;
    }
  }
  return false;
}

}  // namespace minigrad_app
