// Tests of data/idx.hpp: small IDX files written here (raw and gzip) are read back byte for byte,
// and corrupt ones (wrong magic, zero dimension, truncation, trailing bytes, broken gzip, count
// mismatch) fail with messages that say what is wrong. Reading the real Debian files is covered
// by tests/cli/prepare_data.sh.
#include <doctest/doctest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "minigrad/data/dataset.hpp"
#include "minigrad/data/idx.hpp"
#include "support/error_of.hpp"

using namespace minigrad::data;
using minigrad::error_of;
namespace fs = std::filesystem;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

// An IDX byte image: magic, dims, then the body.
std::vector<uint8_t> idx_bytes(uint32_t magic, const std::vector<uint32_t>& dims,
                               const std::vector<uint8_t>& body) {
  std::vector<uint8_t> out;
  put_u32(out, magic);
  for (uint32_t d : dims) put_u32(out, d);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("minigrad_idx_" + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string raw(const std::string& name, const std::vector<uint8_t>& bytes) const {
    const fs::path p = path / name;
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    return p.string();
  }
  std::string gz(const std::string& name, const std::vector<uint8_t>& bytes) const {
    const fs::path p = path / name;
    gzFile f = gzopen(p.string().c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) ==
            static_cast<int>(bytes.size()));
    REQUIRE(gzclose(f) == Z_OK);
    return p.string();
  }
};

// Three 2x3 images with distinct pixels, and their labels.
const std::vector<uint8_t> k_pixels = {0,  1,  2,  3,   4,   5,   10,  20,  30,
                                       40, 50, 60, 255, 254, 253, 252, 251, 250};
const std::vector<uint8_t> k_labels = {9, 0, 3};

}  // namespace

TEST_CASE("idx: images and labels read back, raw and gzip") {
  TempDir dir;
  const auto images_bytes = idx_bytes(2051, {3, 2, 3}, k_pixels);
  const auto labels_bytes = idx_bytes(2049, {3}, k_labels);
  for (bool gz : {false, true}) {
    CAPTURE(gz);
    const std::string ip = gz ? dir.gz("img.gz", images_bytes) : dir.raw("img", images_bytes);
    const std::string lp = gz ? dir.gz("lab.gz", labels_bytes) : dir.raw("lab", labels_bytes);
    const IdxImages images = read_idx_images(ip);
    CHECK(images.path == ip);
    CHECK(images.count == 3);
    CHECK(images.rows == 2);
    CHECK(images.cols == 3);
    CHECK(images.pixels_per_image() == 6);
    CHECK(images.pixels == k_pixels);
    CHECK(images.image(2)[0] == 255);
    const IdxLabels labels = read_idx_labels(lp);
    CHECK(labels.count == 3);
    CHECK(labels.labels == k_labels);
    CHECK_NOTHROW(check_same_count(images, labels));

    const Dataset d = Dataset::from_idx(images, labels);
    CHECK(d.size() == 3);
    CHECK(d.num_features() == 6);
    CHECK(d.is_bytes());
    CHECK(d.labels() == std::vector<int32_t>{9, 0, 3});
    CHECK(d.raw_value(1, 5) == 60.0f);
  }
}

TEST_CASE("idx: wrong magic names both numbers and spots swapped files") {
  TempDir dir;
  const std::string labels = dir.raw("lab", idx_bytes(2049, {3}, k_labels));
  const std::string msg = error_of<DataError>([&] { read_idx_images(labels); });
  CHECK(has(msg, "magic number 2049 (0x00000801), expected 2051 (0x00000803)"));
  CHECK(has(msg, "this is a labels file"));
  const std::string images = dir.raw("img", idx_bytes(2051, {3, 2, 3}, k_pixels));
  CHECK(has(error_of<DataError>([&] { read_idx_labels(images); }), "this is an images file"));
  const std::string text = dir.raw(
      "text", {'h', 'e', 'l', 'l', 'o', ',', 'w', 'o', 'r', 'l', 'd', '!', '!', '!', '!', '!'});
  CHECK(has(error_of<DataError>([&] { read_idx_images(text); }), "is it an IDX file?"));
}

TEST_CASE("idx: truncation, trailing bytes and zero dimensions") {
  TempDir dir;
  std::vector<uint8_t> short_body(k_pixels.begin(), k_pixels.end() - 4);
  for (bool gz : {false, true}) {
    CAPTURE(gz);
    const auto bytes = idx_bytes(2051, {3, 2, 3}, short_body);
    const std::string p = gz ? dir.gz("short.gz", bytes) : dir.raw("short", bytes);
    const std::string msg = error_of<DataError>([&] { read_idx_images(p); });
    CHECK(has(msg,
              "truncated: the header promises 3 images (18 bytes) but only 14 bytes follow it, "
              "2 whole images"));
  }
  std::vector<uint8_t> long_body = k_labels;
  long_body.push_back(7);
  const std::string extra = dir.raw("extra", idx_bytes(2049, {3}, long_body));
  CHECK(has(error_of<DataError>([&] { read_idx_labels(extra); }),
            "trailing bytes after the 3 labels"));

  const std::string zero = dir.raw("zero", idx_bytes(2051, {3, 0, 3}, {}));
  CHECK(has(error_of<DataError>([&] { read_idx_images(zero); }), "dimension 1 of the header is 0"));
  const std::string tiny = dir.raw("tiny", {0, 0});
  CHECK(has(error_of<DataError>([&] { read_idx_images(tiny); }),
            "2 bytes, too short for an IDX file"));
  const std::string header = dir.raw("header", idx_bytes(2051, {3}, {}));
  CHECK(has(error_of<DataError>([&] { read_idx_images(header); }),
            "truncated header: 8 of 16 bytes"));
  // A header claiming 4 billion images fails as truncated, without allocating for them.
  const std::string huge = dir.raw("huge", idx_bytes(2051, {0xFFFFFFFFu, 28, 28}, k_pixels));
  CHECK(has(error_of<DataError>([&] { read_idx_images(huge); }), "truncated"));
}

TEST_CASE("idx: corrupt gzip, missing files, directories, count mismatch") {
  TempDir dir;
  // Gzip's header followed by bytes that are not a deflate stream.
  const std::string broken =
      dir.raw("broken.gz", {0x1f, 0x8b, 8,    0,    0,    0,    0,    0,    0,    3,
                            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  CHECK(has(error_of<DataError>([&] { read_idx_images(broken); }), "corrupt gzip data"));

  const std::string missing =
      error_of<DataError>([&] { read_idx_images((dir.path / "nope.gz").string()); });
  CHECK(has(missing, "nope.gz: no such file"));
  CHECK(has(missing, "dataset-fashion-mnist"));
  CHECK(has(error_of<DataError>([&] { read_idx_labels(dir.path.string()); }), "is a directory"));

  const IdxImages images = read_idx_images(dir.raw("img", idx_bytes(2051, {3, 2, 3}, k_pixels)));
  const IdxLabels two = read_idx_labels(dir.raw("lab", idx_bytes(2049, {2}, {1, 2})));
  const std::string msg = error_of<DataError>([&] { check_same_count(images, two); });
  CHECK(has(msg, "holds 3 images but"));
  CHECK(has(msg, "holds 2 labels"));
  CHECK(has(error_of<DataError>([&] { Dataset::from_idx(images, two); }), "holds 3 images but"));
}
