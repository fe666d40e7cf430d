// Escaping for error messages: one pass over the bytes, UTF-8 sequences checked by their lead
// byte and continuation bytes (overlong forms and surrogates count as invalid).
#include "minigrad/escape.hpp"

#include <fmt/format.h>

namespace minigrad {

namespace {

// Length of the valid UTF-8 sequence starting at s[i] (2 to 4), or 0 if there is none.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the first continuation byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    if (lead == 0xE0) lo = 0xA0;  // overlong
    if (lead == 0xED) hi = 0x9F;  // UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    if (lead == 0xF0) lo = 0x90;  // overlong
    if (lead == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return n;
}

}  // namespace

size_t first_invalid_utf8(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size();) {
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      ++i;
    } else if (const size_t n = utf8_sequence_length(bytes, i); n > 0) {
      i += n;
    } else {
      return i;
    }
  }
  return std::string_view::npos;
}

std::string escape_bytes(std::string_view bytes, size_t max_bytes) {
  const std::string_view shown = bytes.substr(0, max_bytes);
  std::string out;
  out.reserve(shown.size() + 16);
  for (size_t i = 0; i < shown.size();) {
    const auto c = static_cast<unsigned char>(shown[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
      ++i;
    } else if (c == '\\' || c == '\n' || c == '\r' || c == '\t') {
      out += c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t";
      ++i;
    } else if (const size_t n = c >= 0x80 ? utf8_sequence_length(shown, i) : 0; n > 0) {
      out.append(shown.substr(i, n));
      i += n;
    } else {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    }
  }
  if (bytes.size() > max_bytes) out += fmt::format("... ({} bytes)", bytes.size());
  return out;
}

}  // namespace minigrad
