// The shared command-line steps of args.hpp.
#include "minigrad/train/args.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace minigrad::train {

namespace {

// Edits (insert, delete, substitute, swap two neighbours) between a and b.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

// The flag a user most likely meant by `name`: a word other tools use for one of ours, or the
// nearest of ours within about a third of its length in edits. Empty if none is close.
std::string nearest_flag(const cxxopts::Options& spec, const std::string& name) {
  static const std::pair<const char*, const char*> kOtherWords[] = {
      {"target", "label"},         {"y", "label"},          {"label-column", "label"},
      {"input", "data"},           {"csv", "data"},         {"file", "data"},
      {"out", "output"},           {"learning-rate", "lr"}, {"batch", "batch-size"},
      {"batchsize", "batch-size"}, {"bs", "batch-size"},    {"num-threads", "threads"},
      {"jobs", "threads"},         {"weights", "model"}};
  std::vector<std::string> flags;
  for (const std::string& group : spec.groups())
    for (const cxxopts::HelpOptionDetails& o : spec.group_help(group).options)
      for (const std::string& l : o.l) flags.push_back(l);
  for (const auto& [word, ours] : kOtherWords)
    if (name == word && std::find(flags.begin(), flags.end(), ours) != flags.end()) return ours;
  std::string best;
  size_t best_distance = std::max<size_t>(1, (name.size() + 1) / 3) + 1;
  for (const std::string& f : flags)
    if (const size_t d = edit_distance(name, f); d < best_distance) best = f, best_distance = d;
  return best;
}

// cxxopts names an unknown flag in curly quotes: "Option ‘target’ does not exist".
std::string quoted_name(const std::string& message) {
  const std::string open = "\u2018", close = "\u2019";
  const size_t a = message.find(open);
  const size_t b = a == std::string::npos ? a : message.find(close, a + open.size());
  return b == std::string::npos ? "" : message.substr(a + open.size(), b - a - open.size());
}

}  // namespace

std::optional<cxxopts::ParseResult> parse_command_line(cxxopts::Options& spec, int argc,
                                                       char** argv) {
  const std::string hint = fmt::format("(HINT: {} --help lists the flags)", spec.program());
  cxxopts::ParseResult r;
  try {
    r = spec.parse(argc, argv);
  } catch (const cxxopts::exceptions::no_such_option& e) {
    const std::string name = quoted_name(e.what());
    if (name.empty()) throw UsageError(fmt::format("{} {}", e.what(), hint));
    const std::string near = nearest_flag(spec, name);
    throw UsageError(fmt::format("unknown flag {}{}{} {}", name.size() == 1 ? "-" : "--", name,
                                 near.empty() ? "" : fmt::format(" (did you mean --{}?)", near),
                                 hint));
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
