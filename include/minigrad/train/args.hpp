// Command-line helpers shared by every app: one parse step that treats --help, unknown flags and
// stray arguments the same way everywhere, and number parsing whose errors name the flag and what
// it expected. Values are read as text and converted here, never by cxxopts, so no message is a
// bare "argument parsing failed".
#pragma once

#include <charconv>
#include <cstdint>
#include <cxxopts.hpp>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace minigrad::train {

/// A command line the user must fix: the apps print "<program>: error: <message>" and exit with 2.
struct UsageError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

/// Parses argv with `spec`. For -h/--help (which `spec` must define) prints the help and returns
/// std::nullopt: the app then exits with 0. Throws UsageError, ending in "(HINT: <program> --help
/// lists the flags)", for an unknown flag, a flag without its value and an argument that is not
/// a flag.
std::optional<cxxopts::ParseResult> parse_command_line(cxxopts::Options& spec, int argc,
                                                       char** argv);

/// UsageError "--<flag>: expected <expected>, got '<got>'".
[[noreturn]] void bad_flag(const std::string& flag, const std::string& expected,
                           const std::string& got);

/// The whole of `text` as a T (an integer or floating-point type) no smaller than `lowest`;
/// otherwise bad_flag(flag, expected, text). Leading '+', spaces and trailing characters are
/// refused; for integers so are values out of T's range.
template <class T>
T parse_number(const std::string& flag, const std::string& text, const std::string& expected,
               T lowest = std::numeric_limits<T>::lowest()) {
  T value{};
  const char* first = text.data();
  const char* last = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || ptr != last || !(value >= lowest)) bad_flag(flag, expected, text);
  return value;
}

/// Comma-separated whole numbers, each at least 1 ("32,128,256"); bad_flag(flag, expected, text)
/// for anything else, an empty list included.
std::vector<int64_t> parse_positive_list(const std::string& flag, const std::string& text,
                                         const std::string& expected);

}  // namespace minigrad::train
