// safetensors writer and reader (docs/semantics.md#safetensors). The writer reproduces the
// reference bytes; the reader treats the file as untrusted: the header (safetensors_header.cpp) is
// validated before a single tensor byte is read, the tensors must tile the data exactly, and no
// non-finite value gets through. A file on disk is mapped, not read, so its size costs address
// space rather than memory.
#include "minigrad/io/safetensors.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "minigrad/io/atomic_file.hpp"
#include "minigrad/escape.hpp"
#include "safetensors_header.hpp"

namespace minigrad::io {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; minigrad writes its float storage as is");

namespace {

using ordered_json = nlohmann::ordered_json;
using json = nlohmann::json;
using safetensors_detail::Entry;
using safetensors_detail::fail;
using safetensors_detail::get_u64;

constexpr const char* kMetadataKey = "__metadata__";

const char* dtype_name(DType d) { return d == DType::I64 ? "I64" : "F32"; }

void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// ---- writing ----

// The JSON text of `s`, or a clear error if it is not valid UTF-8.
void check_utf8(const std::string& s, const std::string& what) {
  try {
    (void)json(s).dump();
  } catch (const json::exception&) {
    throw std::invalid_argument(fmt::format(
        "save_safetensors: {} is not valid UTF-8 (HINT: names and metadata must be UTF-8 text)",
        what));
  }
}

// Bytes of one tensor as stored: F32 as is (finite values only), I64 as 64-bit integers
// converted from whole floats.
void append_data(std::vector<uint8_t>& out, const NamedTensor& nt) {
  const int64_t n = nt.tensor.numel();
  const float* x = nt.tensor.data();
  if (nt.dtype == DType::F32) {
    for (int64_t k = 0; k < n; ++k)
      if (!std::isfinite(x[k]))
        throw std::invalid_argument(fmt::format(
            "save_safetensors: tensor '{}' holds {} at element {} (HINT: a model with a NaN or "
            "infinite value is broken, and load would refuse it: lower the learning rate or "
            "standardize the inputs, and train again)",
            escape_bytes(nt.name), x[k], k));
    const auto* bytes = reinterpret_cast<const uint8_t*>(x);
    out.insert(out.end(), bytes, bytes + n * static_cast<int64_t>(sizeof(float)));
    return;
  }
  for (int64_t k = 0; k < n; ++k) {
    // 2^63 is exactly representable; anything at or beyond it does not fit an int64.
    if (!(std::nearbyint(x[k]) == x[k] && std::abs(x[k]) < 9.2233720368547758e18f))
      throw std::invalid_argument(fmt::format(
          "save_safetensors: tensor '{}' is tagged I64 but element {} is {}, not a whole number "
          "(HINT: only integer counters such as num_batches_tracked should be tagged DType::I64)",
          nt.name, k, x[k]));
    const auto v = static_cast<int64_t>(x[k]);
    put_u64(out, static_cast<uint64_t>(v));
  }
}

// ---- reading ----

// Converts one validated entry's bytes to a minigrad tensor; a NaN or infinity (or an F64 value
// beyond float32's range) is an error naming the tensor: a model holding one is broken.
NamedTensor to_tensor(const Entry& e, const uint8_t* data, const std::string& source) {
  const std::string name = escape_bytes(e.name);
  if (e.dtype != "F32" && e.dtype != "I64" && e.dtype != "F64")
    fail(source, fmt::format("tensor '{}' has dtype {}, which minigrad cannot load", name, e.dtype),
         "minigrad reads F32 and I64 (F64 is converted to float32); save with tensor.float()");
  Tensor t = Tensor::empty(e.shape);
  const int64_t n = t.numel();
  float* out = t.data();
  if (e.dtype == "F32") {
    if (n > 0) std::memcpy(out, data, static_cast<size_t>(n) * sizeof(float));
  } else {
    for (int64_t k = 0; k < n; ++k) {
      const uint64_t bits = get_u64(data + 8 * k);
      if (e.dtype == "I64")
        out[k] = static_cast<float>(static_cast<int64_t>(bits));
      else
        out[k] = static_cast<float>(std::bit_cast<double>(bits));
    }
  }
  for (int64_t k = 0; k < n; ++k)
    if (!std::isfinite(out[k])) {
      const double original =
          e.dtype == "F64" ? std::bit_cast<double>(get_u64(data + 8 * k)) : out[k];
      fail(source,
           fmt::format("tensor '{}' holds {} at element {}{}", name, original, k,
                       std::isfinite(original) ? ", beyond the range of float32" : ""),
           "a model with a NaN or infinite value is broken: its training diverged (lower the "
           "learning rate, standardize the inputs) or the file was damaged; train it again");
    }
  return {e.name, t, e.dtype == "I64" ? DType::I64 : DType::F32};
}

// A whole file mapped read-only; unmapped and closed at the end of its scope.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0)
      throw std::runtime_error(fmt::format(
          "load_safetensors: cannot open '{}': {} (HINT: check the path and the file's "
          "permissions)",
          path, std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail_errno("cannot stat");
    if (S_ISDIR(st.st_mode)) refuse("is a directory", "give the .safetensors file inside it");
    if (!S_ISREG(st.st_mode))
      refuse("is not a regular file (a pipe or a device)",
             "give the path of a .safetensors file; models are not read from streams");
    size_ = static_cast<uint64_t>(st.st_size);
  }
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
    if (fd_ >= 0) ::close(fd_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  uint64_t size() const { return size_; }

  /// The first min(8, size) bytes, read without mapping anything.
  std::vector<uint8_t> first8() {
    std::vector<uint8_t> b(static_cast<size_t>(std::min<uint64_t>(size_, 8)));
    size_t got = 0;
    while (got < b.size()) {
      const ssize_t r = ::pread(fd_, b.data() + got, b.size() - got, static_cast<off_t>(got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) fail_errno("cannot read");
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    b.resize(got);
    return b;
  }

  /// Every byte of the file (mapped on the first call).
  std::span<const uint8_t> bytes() {
    if (data_ == nullptr && size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
      if (p == MAP_FAILED) fail_errno("cannot map");
      data_ = static_cast<const uint8_t*>(p);
    }
    return {data_, static_cast<size_t>(size_)};
  }

 private:
  [[noreturn]] void refuse(const std::string& what, const std::string& hint) {
    throw std::runtime_error(
        fmt::format("load_safetensors: '{}' {} (HINT: {})", path_, what, hint));
  }
  [[noreturn]] void fail_errno(const char* what) {
    throw std::runtime_error(
        fmt::format("load_safetensors: {} '{}': {}", what, path_, std::strerror(errno)));
  }

  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  const uint8_t* data_ = nullptr;
};

}  // namespace

std::vector<uint8_t> serialize_safetensors(const StateDict& tensors, const Metadata& metadata) {
  // Reference order: larger dtypes first (I64 before F32), then by name; this keeps every tensor
  // aligned to its element size with no gaps.
  std::vector<const NamedTensor*> order;
  std::set<std::string> names;
  for (const NamedTensor& nt : tensors) {
    if (!nt.tensor.defined())
      throw std::invalid_argument(
          fmt::format("save_safetensors: tensor '{}' is undefined (HINT: every entry of the state "
                      "dict needs a tensor)",
                      nt.name));
    if (nt.name == kMetadataKey)
      throw std::invalid_argument(
          "save_safetensors: '__metadata__' is reserved for the metadata and cannot name a tensor");
    if (!names.insert(nt.name).second)
      throw std::invalid_argument(fmt::format(
          "save_safetensors: tensor name '{}' appears twice (HINT: names must be unique)",
          nt.name));
    check_utf8(nt.name, fmt::format("tensor name '{}'", nt.name));
    order.push_back(&nt);
  }
  std::sort(order.begin(), order.end(), [](const NamedTensor* a, const NamedTensor* b) {
    if (a->dtype != b->dtype) return a->dtype == DType::I64;
    return a->name < b->name;
  });

  ordered_json header = ordered_json::object();
  if (!metadata.empty()) {
    ordered_json meta = ordered_json::object();
    for (const auto& [key, value] : metadata) {
      check_utf8(key, fmt::format("metadata key '{}'", key));
      check_utf8(value, fmt::format("metadata value of '{}'", key));
      meta[key] = value;
    }
    header[kMetadataKey] = std::move(meta);
  }
  uint64_t offset = 0;
  for (const NamedTensor* nt : order) {
    const uint64_t nbytes =
        static_cast<uint64_t>(nt->tensor.numel()) * 4 * (nt->dtype == DType::I64 ? 2 : 1);
    ordered_json info = ordered_json::object();
    info["dtype"] = dtype_name(nt->dtype);
    info["shape"] = nt->tensor.shape();
    info["data_offsets"] = {offset, offset + nbytes};
    header[nt->name] = std::move(info);
    offset += nbytes;
  }

  std::string text = header.dump();             // compact: no spaces, like serde_json
  text.resize((text.size() + 7) / 8 * 8, ' ');  // data starts on a multiple of 8

  std::vector<uint8_t> out;
  out.reserve(8 + text.size() + offset);
  put_u64(out, text.size());
  out.insert(out.end(), text.begin(), text.end());
  for (const NamedTensor* nt : order) append_data(out, *nt);
  return out;
}

SafetensorsContents deserialize_safetensors(std::span<const uint8_t> bytes,
                                            const std::string& source) {
  const uint64_t size = bytes.size();
  const uint64_t n = safetensors_detail::check_header_length(
      bytes.first(std::min<size_t>(8, bytes.size())), size, source);
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()) + 8, n);
  safetensors_detail::Header header = safetensors_detail::parse_header(text, source);
  std::vector<Entry>& entries = header.entries;

  // Sorted by offsets, the tensors must tile [0, total) exactly: no gap, no overlap.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t expected = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.begin > expected)
      fail(source,
           fmt::format("bytes [{}, {}) of the data belong to no tensor (a gap before '{}')",
                       expected, e.begin, escape_bytes(e.name)),
           "tensors must be stored back to back from offset 0");
    if (e.begin < expected)
      fail(source,
           fmt::format("tensor '{}' at [{}, {}) overlaps '{}', which ends at {}",
                       escape_bytes(e.name), e.begin, e.end,
                       previous != nullptr ? escape_bytes(previous->name) : "", expected),
           "tensors must be stored back to back without sharing bytes");
    expected = e.end;
    previous = &e;
  }
  const uint64_t available = size - 8 - n;
  if (expected > available)
    fail(source,
         fmt::format("the tensors need {} bytes of data but only {} are present", expected,
                     available),
         "the file is truncated (an interrupted download or write?)");
  if (expected < available)
    fail(source,
         fmt::format("{} unexpected bytes follow the last tensor (data ends at file "
                     "offset {}, the file is {} bytes)",
                     available - expected, 8 + n + expected, size),
         "something was appended to the file, or the header was edited");

  SafetensorsContents contents;
  contents.metadata = std::move(header.metadata);
  const uint8_t* data = bytes.data() + 8 + n;
  for (const Entry& e : entries) {
    if (e.itemsize == 0)
      fail(source,
           fmt::format("tensor '{}' has dtype {}, which minigrad cannot load", escape_bytes(e.name),
                       e.dtype),
           "minigrad reads F32 and I64 (F64 is converted to float32)");
    contents.tensors.push_back(to_tensor(e, data + e.begin, source));
  }
  return contents;
}

void save_safetensors(const std::string& path, const StateDict& tensors, const Metadata& metadata) {
  const std::vector<uint8_t> bytes = serialize_safetensors(tensors, metadata);
  write_file_atomically(path, bytes, "save_safetensors");
}

SafetensorsContents load_safetensors_with_metadata(const std::string& path) {
  MappedFile file(path);
  // A wrong header length is rejected before the rest of what may be a huge file is touched.
  (void)safetensors_detail::check_header_length(file.first8(), file.size(), path);
  return deserialize_safetensors(file.bytes(), path);
}

StateDict load_safetensors(const std::string& path) {
  return load_safetensors_with_metadata(path).tensors;
}

}  // namespace minigrad::io
