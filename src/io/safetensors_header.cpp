// The safetensors header: length, JSON text, entries. The JSON is parsed with a callback that
// rejects duplicate keys (nlohmann would keep the last one silently), and every exception the
// JSON library can raise is turned into a message with the file offset where it happened.
#include "safetensors_header.hpp"

#include <fmt/format.h>

#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "minigrad/escape.hpp"

namespace minigrad::io::safetensors_detail {

namespace {

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

// Where the JSON library stopped in `text`: a SAX pass that records the position of the first
// error. Only run after an error, to place exceptions that carry no position (a number too
// large for a double is one).
struct ErrorLocator : nlohmann::json_sax<json> {
  size_t position = 0;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t pos, const std::string&, const json::exception&) override {
    position = pos;
    return false;
  }
};

// nlohmann's message without its "[json.exception.parse_error.101] " tag, escaped.
std::string json_message(const json::exception& e) {
  std::string_view what = e.what();
  if (const size_t tag_end = what.find("] "); what.substr(0, 1) == "[" && tag_end != what.npos)
    what.remove_prefix(tag_end + 2);
  return escape_bytes(what, 200);
}

// Parses the header JSON, rejecting duplicate keys at any level (nlohmann would keep the last).
json parse_json(std::string_view text, const std::string& source) {
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
          fail(source, fmt::format("duplicate key \"{}\" in the header", escape_bytes(key)),
               "each tensor name may appear once; the writer is broken");
        break;
      }
      default:
        break;
    }
    return true;
  };
  size_t position = 0;  // bytes into the header text
  std::string message;
  try {
    return json::parse(text.begin(), text.end(), on_event);
  } catch (const json::parse_error& e) {
    position = e.byte;
    message = json_message(e);
  } catch (const json::exception& e) {  // out_of_range (a number beyond double), and the rest
    ErrorLocator locator;
    json::sax_parse(text.begin(), text.end(), &locator);
    position = locator.position;
    message = json_message(e);
  }
  fail(source,
       fmt::format("the header is not valid JSON near file offset {}: {}", 8 + position, message),
       "the file is corrupted or was not written as safetensors");
}

uint64_t get_unsigned(const json& j, const std::string& source, const std::string& what) {
  if (j.is_number_unsigned()) return j.get<uint64_t>();
  if (j.is_number_integer())
    fail(source, fmt::format("{} is negative ({})", what, j.get<int64_t>()),
         "sizes and offsets are non-negative integers");
  fail(source,
       fmt::format("{} is {} ({}), not a non-negative integer", what, json_kind(j),
                   escape_bytes(j.dump())),
       "sizes and offsets are non-negative integers");
}

Entry parse_entry(const std::string& name, const json& info, const std::string& source) {
  const std::string where = fmt::format("tensor '{}'", escape_bytes(name));
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
                       escape_bytes(shape.dump())),
           "the header is corrupted");
    e.shape.push_back(static_cast<int64_t>(size));
  }

  const json& offsets = info["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2)
    fail(source,
         fmt::format("{}: data_offsets is {}, not [begin, end]", where,
                     escape_bytes(offsets.dump())),
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

}  // namespace

void fail(const std::string& source, const std::string& what, const std::string& hint) {
  throw std::runtime_error(
      fmt::format("{}: invalid safetensors file: {} (HINT: {})", source, what, hint));
}

uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

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

Header parse_header(std::string_view text, const std::string& source) {
  // A JSON object starting with '{', padded at the end with spaces only.
  if (text.empty() || text.front() != '{')
    fail(source,
         text.empty() ? std::string("the header is empty")
                      : fmt::format("the header starts with byte 0x{:02x}, not '{{'",
                                    static_cast<uint8_t>(text.front())),
         "a safetensors header is a JSON object; this is not a safetensors file");
  const size_t last = text.find_last_not_of(' ');
  const auto last_byte = static_cast<uint8_t>(text[last]);
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
  const json root = parse_json(text.substr(0, last + 1), source);

  Header header;
  // Reading a parsed value can still raise (a type the checks above missed): say where.
  try {
    for (const auto& [key, value] : root.items()) {
      if (key == kMetadataKey) {
        if (!value.is_object())
          fail(source, fmt::format("__metadata__ is {}, not an object", json_kind(value)),
               "__metadata__ maps strings to strings");
        for (const auto& [mkey, mvalue] : value.items()) {
          if (!mvalue.is_string())
            fail(source,
                 fmt::format("__metadata__ value of \"{}\" is {} ({}), not a string",
                             escape_bytes(mkey), json_kind(mvalue), escape_bytes(mvalue.dump())),
                 "metadata values must be strings; write numbers as text, e.g. \"3\"");
          header.metadata[mkey] = mvalue.get<std::string>();
        }
        continue;
      }
      header.entries.push_back(parse_entry(key, value, source));
    }
  } catch (const json::exception& e) {
    fail(source, fmt::format("the header's values are malformed: {}", json_message(e)),
         "the file is corrupted or was not written as safetensors");
  }
  return header;
}

}  // namespace minigrad::io::safetensors_detail
