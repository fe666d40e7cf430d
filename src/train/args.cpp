// The shared command-line steps of args.hpp.
#include "minigrad/train/args.hpp"

#include <fmt/format.h>

namespace minigrad::train {

std::optional<cxxopts::ParseResult> parse_command_line(cxxopts::Options& spec, int argc,
                                                       char** argv) {
  const std::string hint = fmt::format("(HINT: {} --help lists the flags)", spec.program());
  cxxopts::ParseResult r;
  try {
    r = spec.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    throw UsageError(fmt::format("{} {}", e.what(), hint));
  }
  if (r.count("help")) {
    fmt::print("{}\n", spec.help());
    return std::nullopt;
  }
  if (!r.unmatched().empty())
    throw UsageError(fmt::format("unexpected argument '{}'; flags start with -- {}",
                                 r.unmatched().front(), hint));
  return r;
}

void bad_flag(const std::string& flag, const std::string& expected, const std::string& got) {
  throw UsageError(fmt::format("--{}: expected {}, got '{}'", flag, expected, got));
}

std::vector<int64_t> parse_positive_list(const std::string& flag, const std::string& text,
                                         const std::string& expected) {
  std::vector<int64_t> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    const std::string part =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || v < 1)
      bad_flag(flag, expected, text);
    out.push_back(v);
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

}  // namespace minigrad::train
