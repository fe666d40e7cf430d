// Helpers shared by the io tests: bytes of hand-made safetensors files, a private temporary
// directory, and whole-file reads and writes.
#pragma once

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "minigrad/io/safetensors.hpp"

namespace iotest {

using namespace minigrad;
namespace fs = std::filesystem;

using Bytes = std::vector<uint8_t>;

inline Bytes u64_le(uint64_t v) {
  Bytes b;
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return b;
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

// A file made by hand: header length, `header` as given (padding included), `data_bytes` zeros.
inline Bytes craft(const std::string& header, size_t data_bytes) {
  return concat({u64_le(header.size()), text(header), Bytes(data_bytes, 0)});
}

// `json` padded with spaces to a multiple of 8, as a valid writer would.
inline std::string padded(std::string json) {
  json.resize((json.size() + 7) / 8 * 8, ' ');
  return json;
}

// The message deserialize_safetensors throws for `bytes`, or "" if it loads.
inline std::string load_error(const Bytes& bytes) {
  try {
    io::deserialize_safetensors(bytes, "bad.safetensors");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// A directory of its own under the system temp dir, removed with everything in it at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("minigrad_io_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(path)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }
};

inline Bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_file(const fs::path& p, const Bytes& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Two tensors, one I64 scalar: a small valid file to corrupt.
inline StateDict small_state() {
  return {{"w", Tensor::from({{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}}), DType::F32},
          {"count", Tensor::scalar(7.0f), DType::I64}};
}

}  // namespace iotest
