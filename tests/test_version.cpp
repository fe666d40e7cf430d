// Tests of version.hpp: the text form agrees with the three numbers (CMake reads the numbers,
// the apps print the text), and the version is a semantic one, MAJOR.MINOR.PATCH.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <string>

#include "minigrad/version.hpp"

TEST_CASE("MINIGRAD_VERSION is MAJOR.MINOR.PATCH of the three numbers") {
  const std::string joined = fmt::format("{}.{}.{}", MINIGRAD_VERSION_MAJOR,
                                         MINIGRAD_VERSION_MINOR, MINIGRAD_VERSION_PATCH);
  CHECK(std::string(MINIGRAD_VERSION) == joined);
  CHECK(minigrad::version == MINIGRAD_VERSION);
  CHECK(MINIGRAD_VERSION_MAJOR >= 0);
  CHECK(MINIGRAD_VERSION_MINOR >= 0);
  CHECK(MINIGRAD_VERSION_PATCH >= 0);
}
