// IDX reader over zlib's gzFile: gzread inflates gzip files and passes raw files through, so one
// code path reads both. The body is read in chunks as it arrives, so a corrupt header claiming
// billions of images fails as "truncated" instead of allocating what it claims.
// Dataset::from_idx is defined here too, beside the reader, so a program that builds its
// datasets in memory (keras_example) does not link zlib.
#include "minigrad/data/idx.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "minigrad/data/dataset.hpp"

namespace minigrad::data {

namespace {

constexpr uint32_t kLabelsMagic = 2049;  // 0x00000801: uint8, 1 dimension
constexpr uint32_t kImagesMagic = 2051;  // 0x00000803: uint8, 3 dimensions
constexpr const char* kPackageHint =
    "HINT: Debian's dataset-fashion-mnist installs them under /usr/share/datasets/fashion-mnist";

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

GzFile open_gz(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) throw DataError(fmt::format("{}: no such file ({})", path, kPackageHint));
  if (fs::is_directory(st)) {
    throw DataError(fmt::format("{}: is a directory, expected an IDX file", path));
  }
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw DataError(fmt::format("{}: cannot be opened: {}", path, std::strerror(errno)));
  gzbuffer(f, 1 << 18);
  return GzFile(f);
}

// Reads up to n bytes; returns how many arrived. Throws on a zlib error (corrupt gzip data).
size_t read_some(gzFile f, const std::string& path, uint8_t* dst, size_t n) {
  size_t got = 0;
  while (got < n) {
    const auto want = static_cast<unsigned>(std::min<size_t>(n - got, 1u << 30));
    const int r = gzread(f, dst + got, want);
    if (r < 0) {
      int errnum = 0;
      const char* msg = gzerror(f, &errnum);
      throw DataError(
          fmt::format("{}: corrupt gzip data: {} (HINT: reinstall the file; "
                      "`gzip -t {}` checks it)",
                      path, msg, path));
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

uint32_t big_endian(const uint8_t* b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

// Reads the magic and `ndim` dimensions; checks the magic is `expected`.
std::vector<int64_t> read_header(gzFile f, const std::string& path, uint32_t expected, int ndim,
                                 const char* what) {
  std::array<uint8_t, 16> head{};
  const size_t want = 4 + 4 * static_cast<size_t>(ndim);
  const size_t got = read_some(f, path, head.data(), want);
  if (got < 4) {
    throw DataError(
        fmt::format("{}: {} bytes, too short for an IDX file (expected a {}-byte "
                    "header; {})",
                    path, got, want, kPackageHint));
  }
  const uint32_t magic = big_endian(head.data());
  if (magic != expected) {
    std::string hint;
    if (magic == kLabelsMagic)
      hint = " (HINT: this is a labels file; were the files swapped?)";
    else if (magic == kImagesMagic)
      hint = " (HINT: this is an images file; were the files swapped?)";
    else
      hint = " (HINT: is it an IDX file? MNIST-style files start with 0x00000803 or 0x00000801)";
    throw DataError(fmt::format("{}: magic number {} (0x{:08x}), expected {} (0x{:08x}) for {}{}",
                                path, magic, magic, expected, expected, what, hint));
  }
  if (got < want) {
    throw DataError(fmt::format("{}: truncated header: {} of {} bytes", path, got, want));
  }
  std::vector<int64_t> dims;
  for (int d = 0; d < ndim; ++d) {
    const int64_t v = big_endian(head.data() + 4 + 4 * d);
    if (v == 0) {
      throw DataError(fmt::format("{}: dimension {} of the header is 0, expected > 0", path, d));
    }
    dims.push_back(v);
  }
  return dims;
}

// Reads exactly `n` body bytes after the header and checks nothing follows them.
std::vector<uint8_t> read_body(gzFile f, const std::string& path, uint64_t n, const char* unit,
                               uint64_t per_item) {
  std::vector<uint8_t> body;
  constexpr uint64_t kChunk = uint64_t{16} << 20;
  uint64_t got = 0;
  while (got < n) {
    const uint64_t step = std::min(kChunk, n - got);
    body.resize(static_cast<size_t>(got + step));
    const size_t r = read_some(f, path, body.data() + got, static_cast<size_t>(step));
    got += r;
    if (r < step) {
      throw DataError(
          fmt::format("{}: truncated: the header promises {} {} ({} bytes) but only "
                      "{} bytes follow it, {} whole {} (HINT: the file is incomplete; "
                      "reinstall dataset-fashion-mnist or re-download it)",
                      path, n / per_item, unit, n, got, got / per_item, unit));
    }
  }
  uint8_t extra = 0;
  if (read_some(f, path, &extra, 1) != 0) {
    throw DataError(
        fmt::format("{}: trailing bytes after the {} {} the header promises (HINT: "
                    "is the header's count wrong, or two files concatenated?)",
                    path, n / per_item, unit));
  }
  return body;
}

}  // namespace

IdxImages read_idx_images(const std::string& path) {
  GzFile f = open_gz(path);
  const auto dims = read_header(f.get(), path, kImagesMagic, 3, "images (uint8, 3 dimensions)");
  IdxImages images;
  images.path = path;
  images.count = dims[0];
  images.rows = dims[1];
  images.cols = dims[2];
  if (images.rows > 65536 || images.cols > 65536) {
    throw DataError(fmt::format("{}: images of {} x {} pixels are implausible (a corrupt header?)",
                                path, images.rows, images.cols));
  }
  const auto per_image = static_cast<uint64_t>(images.rows * images.cols);
  images.pixels = read_body(f.get(), path, static_cast<uint64_t>(images.count) * per_image,
                            "images", per_image);
  return images;
}

IdxLabels read_idx_labels(const std::string& path) {
  GzFile f = open_gz(path);
  const auto dims = read_header(f.get(), path, kLabelsMagic, 1, "labels (uint8, 1 dimension)");
  IdxLabels labels;
  labels.path = path;
  labels.count = dims[0];
  labels.labels = read_body(f.get(), path, static_cast<uint64_t>(labels.count), "labels", 1);
  return labels;
}

void check_same_count(const IdxImages& images, const IdxLabels& labels) {
  if (images.count == labels.count) return;
  throw DataError(
      fmt::format("{} holds {} images but {} holds {} labels (HINT: are they from the "
                  "same split, train or t10k?)",
                  images.path, images.count, labels.path, labels.count));
}

Dataset Dataset::from_idx(const IdxImages& images, const IdxLabels& labels) {
  check_same_count(images, labels);
  std::vector<int32_t> ids(labels.labels.begin(), labels.labels.end());
  return from_bytes(images.pixels, std::move(ids), images.pixels_per_image());
}

}  // namespace minigrad::data
