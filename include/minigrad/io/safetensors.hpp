// safetensors: the Hugging Face tensor file format, written byte-for-byte like the reference
// writer and read with every check the reference reader makes. Layout: u64 little-endian header
// length N, N bytes of compact JSON padded with spaces to a multiple of 8, then raw row-major
// little-endian data. Teaches defensive parsing of untrusted binary input: a file is mapped, its
// header checked before any tensor byte is read, and NaN or infinite values are refused both
// ways. Leaves out: dtypes other than F32/I64 (F64 is read and converted to float32).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "minigrad/state_dict.hpp"

namespace minigrad::io {

/// The free-form "__metadata__" map: string keys, string values.
using Metadata = std::map<std::string, std::string>;

/// What load returns: tensors in file (offset) order, and the metadata.
struct SafetensorsContents {
  StateDict tensors;
  Metadata metadata;
};

/// The exact bytes of a safetensors file: "__metadata__" first (omitted when empty), then
/// tensors ordered like the reference writer (I64 before F32, by name within a dtype).
/// Throws std::invalid_argument on duplicate or reserved names, undefined tensors, a NaN or
/// infinite value, or an I64 tensor holding a value that is not a whole number.
std::vector<uint8_t> serialize_safetensors(const StateDict& tensors,
                                           const Metadata& metadata = {{"format", "pt"}});

/// Parses and validates file bytes; `source` (a path) names the input in error messages.
/// Throws std::runtime_error naming what is wrong (a NaN or infinite value included, with its
/// tensor and element); never reads out of bounds, and control bytes in names are escaped.
SafetensorsContents deserialize_safetensors(std::span<const uint8_t> bytes,
                                            const std::string& source = "<memory>");

/// Writes atomically with write_file_atomically() (atomic_file.hpp): on any error `path` is
/// left as it was and no temporary file remains.
void save_safetensors(const std::string& path, const StateDict& tensors,
                      const Metadata& metadata = {{"format", "pt"}});

/// Maps and validates a whole regular file (pipes and devices are refused); tensors come back in
/// offset order, F32 or I64-tagged.
StateDict load_safetensors(const std::string& path);
/// load_safetensors() plus the file's metadata.
SafetensorsContents load_safetensors_with_metadata(const std::string& path);

}  // namespace minigrad::io
