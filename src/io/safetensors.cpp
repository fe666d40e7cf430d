// safetensors writer and reader (docs/semantics.md#safetensors). The writer reproduces the
// reference bytes; the reader treats the file as untrusted: every length and offset is checked,
// with overflow checks, before a single tensor byte is read, and each error names the file.
#include "minigrad/io/safetensors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string_view>

#include "minigrad/io/atomic_file.hpp"

namespace minigrad::io {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; minigrad writes its float storage as is");

namespace {

using ordered_json = nlohmann::ordered_json;
using json = nlohmann::json;

// The reference reader's limit on the header length (tensor.rs MAX_HEADER_SIZE).
constexpr uint64_t kMaxHeaderSize = 100'000'000;
constexpr const char* kMetadataKey = "__metadata__";

// Every dtype name the reference knows, with its element size in bytes (sub-byte types as 0:
// minigrad never loads them, so their size only matters for the message).
const std::map<std::string, uint64_t, std::less<>>& known_dtypes() {
  static const std::map<std::string, uint64_t, std::less<>> dtypes = {
      {"BOOL", 1},        {"U8", 1},         {"I8", 1},      {"F8_E5M2", 1}, {"F8_E4M3", 1},
      {"I16", 2},         {"U16", 2},        {"F16", 2},     {"BF16", 2},    {"I32", 4},
      {"U32", 4},         {"F32", 4},        {"F64", 8},     {"I64", 8},     {"U64", 8},
      {"C64", 8},         {"F4", 0},         {"F6_E2M3", 0}, {"F6_E3M2", 0}, {"F8_E8M0", 1},
      {"F8_E4M3FNUZ", 1}, {"F8_E5M2FNUZ", 1}};
  return dtypes;
}

const char* dtype_name(DType d) { return d == DType::I64 ? "I64" : "F32"; }

// ---- little-endian integers ----
void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
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

// Bytes of one tensor as stored: F32 as is, I64 as 64-bit integers converted from whole floats.
void append_data(std::vector<uint8_t>& out, const NamedTensor& nt) {
  const int64_t n = nt.tensor.numel();
  const float* x = nt.tensor.data();
  if (nt.dtype == DType::F32) {
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

[[noreturn]] void fail(const std::string& source, const std::string& what,
                       const std::string& hint) {
  throw std::runtime_error(
      fmt::format("{}: invalid safetensors file: {} (HINT: {})", source, what, hint));
}

const char* json_kind(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "a number";
    default:
      return "not a JSON value";
  }
}

struct Entry {
  std::string name;
  std::string dtype;
  uint64_t itemsize = 0;
  Shape shape;
  uint64_t begin = 0, end = 0;
};

// Checks the first 8 bytes (fewer if the file is shorter) against the file size; returns the
// header length N. Shared by load, which runs it before reading the rest of a file.
uint64_t check_header_length(std::span<const uint8_t> first8, uint64_t size,
                             const std::string& source) {
  if (size < 8)
    fail(source, fmt::format("it is {} bytes long, shorter than the 8-byte header length", size),
         "the file is truncated or is not a safetensors file");
  const uint64_t n = get_u64(first8.data());
  if (n > kMaxHeaderSize)
    fail(source,
         fmt::format("the header length is {} bytes, above the limit of {}", n, kMaxHeaderSize),
         "this is not a safetensors file, or its first 8 bytes are corrupted");
  if (n > size - 8)
    fail(source,
         fmt::format("the header length is {} bytes but only {} bytes follow it", n, size - 8),
         "the file is truncated (an interrupted download or write?)");
  return n;
}

// Parses the header JSON, rejecting duplicate keys at any level (nlohmann would keep the last).
json parse_header(std::string_view text, const std::string& source) {
  std::vector<std::set<std::string>> seen;  // keys of each object being parsed, innermost last
  auto on_event = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        seen.emplace_back();
        break;
      case json::parse_event_t::object_end:
        seen.pop_back();
        break;
      case json::parse_event_t::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        if (!seen.back().insert(key).second)
          fail(source, fmt::format("duplicate key \"{}\" in the header", key),
               "each tensor name may appear once; the writer is broken");
        break;
      }
      default:
        break;
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), on_event);
  } catch (const json::parse_error& e) {
    fail(source, fmt::format("the header is not valid JSON: {}", e.what()),
         "the file is corrupted or was not written as safetensors");
  }
}

uint64_t get_unsigned(const json& j, const std::string& source, const std::string& what) {
  if (j.is_number_unsigned()) return j.get<uint64_t>();
  if (j.is_number_integer())
    fail(source, fmt::format("{} is negative ({})", what, j.get<int64_t>()),
         "sizes and offsets are non-negative integers");
  fail(source,
       fmt::format("{} is {} ({}), not a non-negative integer", what, json_kind(j), j.dump()),
       "sizes and offsets are non-negative integers");
}

Entry parse_entry(const std::string& name, const json& info, const std::string& source) {
  const std::string where = fmt::format("tensor '{}'", name);
  if (!info.is_object())
    fail(source, fmt::format("{} is described by {}, not an object", where, json_kind(info)),
         "each tensor needs {\"dtype\", \"shape\", \"data_offsets\"}");
  for (const char* field : {"dtype", "shape", "data_offsets"})
    if (!info.contains(field))
      fail(source, fmt::format("{} has no \"{}\" field", where, field),
           "each tensor needs {\"dtype\", \"shape\", \"data_offsets\"}");

  Entry e;
  e.name = name;
  const json& dtype = info["dtype"];
  if (!dtype.is_string())
    fail(source, fmt::format("{}: dtype is {}, not a string", where, json_kind(dtype)),
         "dtype is a name such as \"F32\"");
  e.dtype = dtype.get<std::string>();
  const auto known = known_dtypes().find(e.dtype);
  if (known == known_dtypes().end())
    fail(source, fmt::format("{} has unknown dtype \"{}\"", where, e.dtype),
         "dtype names are upper case, e.g. F32, F16, BF16, I64");
  e.itemsize = known->second;

  const json& shape = info["shape"];
  if (!shape.is_array())
    fail(source, fmt::format("{}: shape is {}, not an array", where, json_kind(shape)),
         "shape is a list of sizes such as [128, 784], or [] for a scalar");
  // Every partial product stays within int64, so no later shape arithmetic can overflow.
  uint64_t numel = 1;
  for (const json& d : shape) {
    const uint64_t size = get_unsigned(d, source, where + ": a shape dimension");
    if (size > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
        __builtin_mul_overflow(numel, size, &numel) ||
        numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      fail(source,
           fmt::format("{}: shape {} has more elements than an int64 can count", where,
                       shape.dump()),
           "the header is corrupted");
    e.shape.push_back(static_cast<int64_t>(size));
  }

  const json& offsets = info["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2)
    fail(source, fmt::format("{}: data_offsets is {}, not [begin, end]", where, offsets.dump()),
         "data_offsets are two byte offsets into the data buffer");
  e.begin = get_unsigned(offsets[0], source, where + ": data_offsets[0]");
  e.end = get_unsigned(offsets[1], source, where + ": data_offsets[1]");
  if (e.end < e.begin)
    fail(source,
         fmt::format("{}: data_offsets [{}, {}] end before they begin", where, e.begin, e.end),
         "the header is corrupted");

  if (e.itemsize == 0) return e;  // sub-byte dtype: rejected by the caller with its name
  uint64_t nbytes = 0;
  if (__builtin_mul_overflow(numel, e.itemsize, &nbytes))
    fail(source,
         fmt::format("{}: shape {} of {} needs more bytes than fit in 64 bits", where,
                     shape_str(e.shape), e.dtype),
         "the header is corrupted");
  if (e.end - e.begin != nbytes)
    fail(source,
         fmt::format("{}: data_offsets [{}, {}] hold {} bytes but {} with shape {} needs {}", where,
                     e.begin, e.end, e.end - e.begin, e.dtype, shape_str(e.shape), nbytes),
         "the header does not match the data; the file is corrupted");
  return e;
}

// Converts one validated entry's bytes to a minigrad tensor.
NamedTensor to_tensor(const Entry& e, const uint8_t* data, const std::string& source) {
  if (e.dtype != "F32" && e.dtype != "I64" && e.dtype != "F64")
    fail(source,
         fmt::format("tensor '{}' has dtype {}, which minigrad cannot load", e.name, e.dtype),
         "minigrad reads F32 and I64 (F64 is converted to float32); save with tensor.float()");
  Tensor t = Tensor::empty(e.shape);
  const int64_t n = t.numel();
  float* out = t.data();
  if (e.dtype == "F32") {
    if (n > 0) std::memcpy(out, data, static_cast<size_t>(n) * sizeof(float));
    return {e.name, t, DType::F32};
  }
  for (int64_t k = 0; k < n; ++k) {
    const uint64_t bits = get_u64(data + 8 * k);
    if (e.dtype == "I64")
      out[k] = static_cast<float>(static_cast<int64_t>(bits));
    else
      out[k] = static_cast<float>(std::bit_cast<double>(bits));
  }
  return {e.name, t, e.dtype == "I64" ? DType::I64 : DType::F32};
}

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
  const uint64_t n =
      check_header_length(bytes.first(std::min<size_t>(8, bytes.size())), size, source);

  // bytes [8, 8+n): a JSON object starting with '{', padded at the end with spaces only.
  std::string_view header(reinterpret_cast<const char*>(bytes.data()) + 8, n);
  if (header.empty() || header.front() != '{')
    fail(source,
         header.empty() ? std::string("the header is empty")
                        : fmt::format("the header starts with byte 0x{:02x}, not '{{'",
                                      static_cast<uint8_t>(header.front())),
         "a safetensors header is a JSON object; this is not a safetensors file");
  const size_t last = header.find_last_not_of(' ');
  const auto last_byte = static_cast<uint8_t>(header[last]);
  if (last_byte == 0 || last_byte == '\t' || last_byte == '\n' || last_byte == '\r')
    fail(source,
         fmt::format("the header is padded with byte 0x{:02x} (at file offset {})", last_byte,
                     8 + last),
         "the header may only be padded with spaces (0x20); the writer must not pad with NUL");
  if (last_byte != '}')
    fail(source,
         fmt::format("the header JSON does not end with '}}' (its last byte is 0x{:02x} at file "
                     "offset {})",
                     last_byte, 8 + last),
         "the header is cut short or corrupted");
  const json root = parse_header(header.substr(0, last + 1), source);

  SafetensorsContents contents;
  std::vector<Entry> entries;
  for (const auto& [key, value] : root.items()) {
    if (key == kMetadataKey) {
      if (!value.is_object())
        fail(source, fmt::format("__metadata__ is {}, not an object", json_kind(value)),
             "__metadata__ maps strings to strings");
      for (const auto& [mkey, mvalue] : value.items()) {
        if (!mvalue.is_string())
          fail(source,
               fmt::format("__metadata__ value of \"{}\" is {} ({}), not a string", mkey,
                           json_kind(mvalue), mvalue.dump()),
               "metadata values must be strings; write numbers as text, e.g. \"3\"");
        contents.metadata[mkey] = mvalue.get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(key, value, source));
  }

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
                       expected, e.begin, e.name),
           "tensors must be stored back to back from offset 0");
    if (e.begin < expected)
      fail(source,
           fmt::format("tensor '{}' at [{}, {}) overlaps '{}', which ends at {}", e.name, e.begin,
                       e.end, previous != nullptr ? previous->name : "", expected),
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

  const uint8_t* data = bytes.data() + 8 + n;
  for (const Entry& e : entries) {
    if (e.itemsize == 0)
      fail(source,
           fmt::format("tensor '{}' has dtype {}, which minigrad cannot load", e.name, e.dtype),
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
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw std::runtime_error(fmt::format(
        "load_safetensors: '{}' is a directory (HINT: give the .safetensors file inside it)",
        path));
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error(fmt::format(
        "load_safetensors: cannot open '{}': {} (HINT: check the path; a model is written by "
        "training with --save)",
        path, std::strerror(errno)));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size < 0) throw std::runtime_error(fmt::format("load_safetensors: cannot read '{}'", path));
  std::vector<uint8_t> bytes(static_cast<size_t>(std::min<std::streamoff>(size, 8)));
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size())))
    throw std::runtime_error(fmt::format("load_safetensors: cannot read '{}'", path));
  // Reject a wrong header length before reading what may be a huge file that is not ours.
  (void)check_header_length(bytes, static_cast<uint64_t>(size), path);
  bytes.resize(static_cast<size_t>(size));
  if (!in.read(reinterpret_cast<char*>(bytes.data()) + 8, size - 8))
    throw std::runtime_error(fmt::format(
        "load_safetensors: reading '{}' failed after {} of {} bytes", path, 8 + in.gcount(), size));
  return deserialize_safetensors(bytes, path);
}

StateDict load_safetensors(const std::string& path) {
  return load_safetensors_with_metadata(path).tensors;
}

}  // namespace minigrad::io
