// The safetensors header, internal to safetensors.cpp: the 8-byte length checked against the
// file size, and the JSON text parsed into one validated entry per tensor plus the metadata.
// Every check on a name, dtype, shape or offset lives here; what is left to the caller is how
// the entries tile the data and how their bytes become tensors.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "minigrad/io/safetensors.hpp"
#include "minigrad/tensor.hpp"

namespace minigrad::io::safetensors_detail {

/// Throws std::runtime_error("source: invalid safetensors file: what (HINT: hint)").
[[noreturn]] void fail(const std::string& source, const std::string& what, const std::string& hint);

/// A little-endian u64 at p.
uint64_t get_u64(const uint8_t* p);

/// The header length N from the first 8 bytes (fewer if the file is shorter), checked against
/// the limit and the file's `size` before anything else is read.
uint64_t check_header_length(std::span<const uint8_t> first8, uint64_t size,
                             const std::string& source);

/// One tensor as the header describes it; shape and offsets already agree with the dtype.
struct Entry {
  std::string name;
  std::string dtype;
  uint64_t itemsize = 0;  // 0 for sub-byte dtypes, which minigrad refuses to load
  Shape shape;
  uint64_t begin = 0, end = 0;  // byte offsets into the data buffer
};

struct Header {
  std::vector<Entry> entries;  // in name order
  Metadata metadata;
};

/// Parses the header text (file bytes [8, 8 + N)): a JSON object padded with spaces. Any
/// malformation, including every exception of the JSON library, becomes a std::runtime_error
/// naming the file offset where it was found.
Header parse_header(std::string_view text, const std::string& source);

}  // namespace minigrad::io::safetensors_detail
