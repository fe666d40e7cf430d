// Tests of escape.hpp: control bytes and invalid UTF-8 become visible escapes, valid UTF-8
// and printable text stay as they are, and long text is cut with its length given.
#include <doctest/doctest.h>

#include <string>

#include "minigrad/escape.hpp"

using minigrad::escape_bytes;

TEST_CASE("escape_bytes: printable text and valid UTF-8 are kept") {
  CHECK(escape_bytes("pixel12") == "pixel12");
  CHECK(escape_bytes("Gr\xc3\xb6\xc3\x9f"
                     "e \xe2\x82\xac \xf0\x9f\x98\x80") ==
        "Gr\xc3\xb6\xc3\x9f"
        "e \xe2\x82\xac \xf0\x9f\x98\x80");
  CHECK(escape_bytes("") == "");
}

TEST_CASE("escape_bytes: control bytes, DEL and backslash are escaped") {
  using namespace std::string_literals;
  CHECK(escape_bytes("1\0002"s) == "1\\x002");
  CHECK(escape_bytes("a\tb\nc\rd") == "a\\tb\\nc\\rd");
  CHECK(escape_bytes("\x1b[31mred") == "\\x1b[31mred");
  CHECK(escape_bytes("\x7f") == "\\x7f");
  CHECK(escape_bytes("C:\\data") == "C:\\\\data");
}

TEST_CASE("escape_bytes: bytes that are not valid UTF-8 are escaped one by one") {
  CHECK(escape_bytes("\xff\xfe") == "\\xff\\xfe");
  CHECK(escape_bytes("\xc3") == "\\xc3");                    // a lead byte with nothing after it
  CHECK(escape_bytes("\xc0\xaf") == "\\xc0\\xaf");           // overlong '/'
  CHECK(escape_bytes("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a UTF-16 surrogate
  CHECK(escape_bytes("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  CHECK(escape_bytes("a\x80z") == "a\\x80z");
}

TEST_CASE("escape_bytes: long text is cut and its length given") {
  const std::string long_text(1000, 'x');
  CHECK(escape_bytes(long_text, 10) == "xxxxxxxxxx... (1000 bytes)");
  CHECK(escape_bytes(long_text).size() == 80 + std::string("... (1000 bytes)").size());
  CHECK(escape_bytes("exactly", 7) == "exactly");
}

TEST_CASE("first_invalid_utf8: the first byte outside valid UTF-8, or npos") {
  CHECK(minigrad::first_invalid_utf8("plain ascii") == std::string_view::npos);
  CHECK(minigrad::first_invalid_utf8("gro\xc3\x9f \xe2\x98\x83") == std::string_view::npos);
  CHECK(minigrad::first_invalid_utf8("gro\xdf") == 3);        // Latin-1 sharp s
  CHECK(minigrad::first_invalid_utf8("ab\xc3") == 2);         // cut short
  CHECK(minigrad::first_invalid_utf8("\xc0\xaf") == 0);       // overlong
  CHECK(minigrad::first_invalid_utf8("x\xed\xa0\x80") == 1);  // a UTF-16 surrogate
  CHECK(minigrad::first_invalid_utf8(std::string_view("a\0b", 3)) ==
        std::string_view::npos);  // ASCII NUL
}
