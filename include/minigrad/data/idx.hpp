// IDX reader: the binary format of MNIST and Fashion-MNIST (as shipped by Debian's
// dataset-fashion-mnist under /usr/share/datasets/fashion-mnist), gzip-compressed or raw.
// Teaches a validated binary header: big-endian magic and dimensions, checked against the length.
// Leaves out: element types other than uint8 (0x08) and writing IDX files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "minigrad/data/csv.hpp"  // DataError

namespace minigrad::data {

/// Images from an idx3-ubyte file (magic 2051): count x rows x cols bytes, row-major.
struct IdxImages {
  std::string path;
  int64_t count = 0;
  int64_t rows = 0;             // 28 for Fashion-MNIST
  int64_t cols = 0;             // 28
  std::vector<uint8_t> pixels;  // count * rows * cols, image after image

  int64_t pixels_per_image() const { return rows * cols; }
  const uint8_t* image(int64_t i) const { return pixels.data() + i * rows * cols; }
};

/// Labels from an idx1-ubyte file (magic 2049): one byte per item.
struct IdxLabels {
  std::string path;
  int64_t count = 0;
  std::vector<uint8_t> labels;
};

/// Reads an images file, gzip or raw (zlib's gzread passes raw files through). Throws DataError
/// on a missing file, a wrong magic, a zero or huge dimension, truncation or trailing bytes.
IdxImages read_idx_images(const std::string& path);
/// Reads a labels file, gzip or raw; same checks.
IdxLabels read_idx_labels(const std::string& path);
/// Throws DataError unless both files hold the same number of items.
void check_same_count(const IdxImages& images, const IdxLabels& labels);

}  // namespace minigrad::data
