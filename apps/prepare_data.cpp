// prepare_data: writes the Fashion-MNIST CSVs the apps read, from Debian's dataset-fashion-mnist.
//   build/bin/prepare_data --out data   (what `make data` runs)
// Writes fmnist_small.csv (the first --small training images), fashion-mnist_train.csv and
// fashion-mnist_test.csv as label,pixel1,...,pixel784. Each file is written to a temporary name
// and renamed, so an interrupted run leaves no partial CSV. Leaves out: downloading.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <cxxopts.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "minigrad/data/idx.hpp"
#include "minigrad/train/args.hpp"
#include "version_flag.hpp"

namespace fs = std::filesystem;
using minigrad::data::DataError;
using minigrad::data::IdxImages;
using minigrad::data::IdxLabels;

namespace {

constexpr const char* kDefaultSource = "/usr/share/datasets/fashion-mnist";

// A failure the user can fix (a bad flag, missing package, unwritable directory): message, exit
// code 2. The same type parse_command_line throws for flags.
using minigrad::train::UsageError;

// One split as read from the IDX pair.
struct Split {
  IdxImages images;
  IdxLabels labels;
};

// "<source>/<stem>.gz", or the uncompressed "<source>/<stem>" when only that exists.
std::string source_file(const std::string& dir, const std::string& stem) {
  const fs::path gz = fs::path(dir) / (stem + ".gz");
  const fs::path raw = fs::path(dir) / stem;
  if (fs::exists(gz)) return gz.string();
  if (fs::exists(raw)) return raw.string();
  throw UsageError(
      fmt::format("{} not found (HINT: install Debian's Fashion-MNIST with `sudo apt-get install "
                  "dataset-fashion-mnist`, or pass --source DIR holding {}.gz)",
                  gz.string(), stem));
}

Split read_split(const std::string& dir, const std::string& prefix) {
  try {
    Split s{minigrad::data::read_idx_images(source_file(dir, prefix + "-images-idx3-ubyte")),
            minigrad::data::read_idx_labels(source_file(dir, prefix + "-labels-idx1-ubyte"))};
    minigrad::data::check_same_count(s.images, s.labels);
    return s;
  } catch (const DataError& e) {
    throw UsageError(fmt::format("{} (the package is dataset-fashion-mnist)", e.what()));
  }
}

std::string header_line(int64_t pixels) {
  std::string h = "label";
  for (int64_t j = 1; j <= pixels; ++j) h += fmt::format(",pixel{}", j);
  h += '\n';
  return h;
}

// True when `path` holds exactly `header` followed by `rows` newline-terminated lines: what a
// finished run writes (the temp-and-rename write means a crash never leaves a prefix behind,
// but the check also catches a file made by a different --small or edited by hand).
bool is_complete(const fs::path& path, const std::string& header, int64_t rows) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return false;
  std::vector<char> buf(1 << 20);
  int64_t lines = 0;
  size_t header_seen = 0;
  char last = 0;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) {
    const size_t cmp = std::min(n, header.size() - header_seen);
    if (cmp > 0) {
      if (std::memcmp(buf.data(), header.data() + header_seen, cmp) != 0) return false;
      header_seen += cmp;
    }
    for (const char* p = buf.data(); (p = static_cast<const char*>(std::memchr(
                                          p, '\n', static_cast<size_t>(buf.data() + n - p))));
         ++p) {
      ++lines;
    }
    last = buf[n - 1];
  }
  return header_seen == header.size() && last == '\n' && lines == rows + 1;
}

// Writes rows [0, rows) of `split` as CSV to `path` via a temporary file in the same directory.
void write_csv(const fs::path& path, const Split& split, int64_t rows, const std::string& header) {
  const fs::path tmp = path.string() + fmt::format(".tmp.{}", ::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) {
    throw UsageError(
        fmt::format("cannot write {}: {} (HINT: pass --out DIR with a writable "
                    "directory)",
                    tmp.string(), std::strerror(errno)));
  }
  // Every byte value as ",<decimal>" padded to 4 bytes: one fixed-size copy per pixel, then the
  // cursor advances by the real length (no printf per pixel).
  char cells[256][4] = {};
  unsigned char lengths[256];
  for (int v = 0; v < 256; ++v) {
    char text[8];
    lengths[v] = static_cast<unsigned char>(std::snprintf(text, sizeof text, ",%d", v));
    std::memcpy(cells[v], text, lengths[v]);
  }
  const int64_t per_image = split.images.pixels_per_image();
  const size_t max_row = static_cast<size_t>(4 * (per_image + 1) + 1);
  const size_t capacity = std::max<size_t>(size_t{1} << 22, 2 * max_row);
  std::vector<char> buf(capacity + 4);  // + 4: the padded copy of the last cell
  char* p = buf.data();
  bool ok = std::fwrite(header.data(), 1, header.size(), f) == header.size();
  for (int64_t i = 0; i < rows && ok; ++i) {
    const uint8_t label = split.labels.labels[static_cast<size_t>(i)];
    std::memcpy(p, cells[label] + 1, 4);  // the label has no leading comma
    p += lengths[label] - 1;
    const uint8_t* px = split.images.image(i);
    for (int64_t j = 0; j < per_image; ++j) {
      std::memcpy(p, cells[px[j]], 4);
      p += lengths[px[j]];
    }
    *p++ = '\n';
    const auto used = static_cast<size_t>(p - buf.data());
    if (used + max_row > capacity || i + 1 == rows) {
      ok = std::fwrite(buf.data(), 1, used, f) == used;
      p = buf.data();
    }
  }
  const int write_errno = errno;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw UsageError(fmt::format("cannot write {}: {} (HINT: is the disk full?)", path.string(),
                                 std::strerror(write_errno ? write_errno : errno)));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw UsageError(
        fmt::format("cannot rename {} to {}: {}", tmp.string(), path.string(), ec.message()));
  }
}

// One output file: the split it comes from and how many of its rows.
struct Target {
  std::string name;
  bool from_train;
  int64_t rows;  // -1: all of them
};

int run(int argc, char** argv) {
  cxxopts::Options options("prepare_data",
                           "Write the Fashion-MNIST CSVs (label,pixel1,...,pixel784) from Debian's "
                           "dataset-fashion-mnist");
  // clang-format off
  options.add_options()
      ("source", "directory with the IDX files (train-images-idx3-ubyte.gz, ...)",
       cxxopts::value<std::string>()->default_value(kDefaultSource))
      ("out", "directory to write the CSVs into",
       cxxopts::value<std::string>()->default_value("data"))
      ("force", "rewrite files that are already complete")
      ("small", "rows of fmnist_small.csv (the first N training images)",
       cxxopts::value<std::string>()->default_value("6000"))
      ("h,help", "show this help")
      ("version", "print the version");
  // clang-format on
  const std::optional<cxxopts::ParseResult> parsed =
      minigrad::train::parse_command_line(options, argc, argv);
  if (!parsed) return 0;  // --help
  const cxxopts::ParseResult& args = *parsed;
  const std::string source = args["source"].as<std::string>();
  const fs::path out = args["out"].as<std::string>();
  const bool force = args.count("force") > 0;
  const auto small = minigrad::train::parse_number<int64_t>(
      "small", args["small"].as<std::string>(), "a whole number of rows in 1..60000");
  if (small < 1 || small > 60000) {
    throw UsageError(
        fmt::format("--small is {}, expected 1..60000 (the training set's size)", small));
  }
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec || !fs::is_directory(out)) {
    throw UsageError(
        fmt::format("cannot create the output directory {}: {} (HINT: pass --out DIR "
                    "with a writable directory)",
                    out.string(), ec ? ec.message() : "not a directory"));
  }

  const std::vector<Target> targets = {
      {"fmnist_small.csv", true, small},
      {"fashion-mnist_train.csv", true, -1},
      {"fashion-mnist_test.csv", false, -1},
  };
  std::optional<Split> train, test;  // read only when a file needs writing
  for (const Target& t : targets) {
    const fs::path path = out / t.name;
    // The IDX header gives the row count; without the sources, assume Fashion-MNIST's sizes.
    const int64_t all_rows = t.from_train ? 60000 : 10000;
    const int64_t rows = t.rows < 0 ? all_rows : t.rows;
    const std::string header = header_line(28 * 28);
    if (!force && is_complete(path, header, rows)) {
      fmt::print("{}: complete ({} rows), skipped (--force rewrites it)\n", path.string(), rows);
      continue;
    }
    std::optional<Split>& split = t.from_train ? train : test;
    if (!split) split = read_split(source, t.from_train ? "train" : "t10k");
    const int64_t count = split->images.count;
    const int64_t n = t.rows < 0 ? count : t.rows;
    if (n > count) {
      throw UsageError(
          fmt::format("--small is {} but {} holds only {} images", n, split->images.path, count));
    }
    const auto start = std::chrono::steady_clock::now();
    write_csv(path, *split, n, header_line(split->images.pixels_per_image()));
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print("{}: wrote {} rows x {} columns ({:.1f} MB) in {:.2f} s\n", path.string(), n,
               split->images.pixels_per_image() + 1, static_cast<double>(fs::file_size(path)) / 1e6,
               secs);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (minigrad_app::print_version_if_asked(argc, argv, "prepare_data")) return 0;
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    fmt::print(stderr, "prepare_data: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "prepare_data: error: {}\n", e.what());
    return 1;
  }
}
