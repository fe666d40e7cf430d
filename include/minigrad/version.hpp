// version.hpp: minigrad's version, as numbers for the preprocessor and as text.
// CMakeLists.txt reads the three numbers from here, so the library, its CMake package, its
// pkg-config file, its Debian package and every app's --version say the same thing.
// Semantic versioning: while MAJOR is 0, a MINOR step may change the API.
#pragma once

#include <string_view>

#define MINIGRAD_VERSION_MAJOR 0
#define MINIGRAD_VERSION_MINOR 1
#define MINIGRAD_VERSION_PATCH 0
#define MINIGRAD_VERSION "0.1.0"

namespace minigrad {

/// The version this program was compiled against, "MAJOR.MINOR.PATCH".
inline constexpr std::string_view version = MINIGRAD_VERSION;

}  // namespace minigrad
