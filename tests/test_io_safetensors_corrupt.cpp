// Tests of io/safetensors.hpp against hostile input: every kind of corrupted or crafted file is
// rejected with a message that names the file and the problem, and nothing escapes as anything
// but std::runtime_error.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "minigrad/io/safetensors.hpp"
#include "support/io_files.hpp"

using namespace minigrad;
using namespace iotest;

TEST_CASE("safetensors: every kind of corruption is rejected, naming the file and the problem") {
  const Bytes good = io::serialize_safetensors(small_state());
  REQUIRE(load_error(good).empty());
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | good[static_cast<size_t>(i)];
  const size_t data_start = 8 + n;

  auto expect = [](const Bytes& bytes, const std::string& needle) {
    const std::string msg = load_error(bytes);
    INFO("message: ", msg);
    CHECK(msg.find("bad.safetensors: invalid safetensors file") == 0);
    CHECK(msg.find(needle) != std::string::npos);
    CHECK(msg.find("HINT") != std::string::npos);
  };
  auto cut = [&](size_t size) {
    return Bytes(good.begin(), good.begin() + static_cast<long>(size));
  };

  SUBCASE("truncated at several points") {
    expect(cut(0), "0 bytes long, shorter than the 8-byte header length");
    expect(cut(7), "7 bytes long");
    expect(cut(8), "only 0 bytes follow it");
    expect(cut(30), "only 22 bytes follow it");
    expect(cut(data_start), "need 32 bytes of data but only 0 are present");
    expect(cut(data_start + 5), "only 5 are present");
    expect(cut(good.size() - 1), "only 31 are present");
  }
  SUBCASE("trailing bytes") {
    Bytes b = good;
    b.push_back(0);
    expect(b, "1 unexpected bytes follow the last tensor");
  }
  SUBCASE("NUL-padded header") {
    std::string h = R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
    h.resize(64, '\0');
    expect(craft(h, 4), "the header is padded with byte 0x00");
    expect(craft(h, 4), "only be padded with spaces");
    h = R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
    h.resize(64, '\n');
    expect(craft(h, 4), "padded with byte 0x0a");
  }
  SUBCASE("a header that is not JSON, or not an object") {
    expect(craft(padded(R"({"x":{"dtype":"F32",)"), 0), "does not end with '}'");
    expect(craft(padded(R"({"x":{"dtype":"F32"})"), 0), "not valid JSON");
    expect(craft(padded(R"({"x":1} {"y":2})"), 0), "not valid JSON");
    expect(craft(padded(R"([1,2])"), 0), "starts with byte 0x5b, not '{'");
    expect(craft("", 0), "the header is empty");
    expect(craft(padded("\xef\xbb\xbf{}"), 0), "starts with byte 0xef");  // a UTF-8 BOM
    expect(craft(padded("{\"\xff\xfe\":{}}"), 0), "not valid JSON");      // invalid UTF-8
  }
  SUBCASE("header length too large") {
    Bytes b = good;
    const Bytes big = u64_le(100'000'001);
    std::copy(big.begin(), big.end(), b.begin());
    expect(b, "header length is 100000001 bytes, above the limit of 100000000");
    const Bytes huge = u64_le(std::numeric_limits<uint64_t>::max());
    std::copy(huge.begin(), huge.end(), b.begin());
    expect(b, "above the limit");
    const Bytes past_end = u64_le(good.size());
    std::copy(past_end.begin(), past_end.end(), b.begin());
    expect(b, "bytes follow it");
  }
  SUBCASE("gap between tensors") {
    expect(craft(padded(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                        R"("b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}})"),
                 16),
           "bytes [8, 12) of the data belong to no tensor (a gap before 'b')");
    expect(craft(padded(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})"), 8),
           "bytes [0, 4)");
  }
  SUBCASE("overlapping offsets") {
    expect(craft(padded(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                        R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})"),
                 12),
           "tensor 'b' at [4, 12) overlaps 'a', which ends at 8");
    expect(craft(padded(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                        R"("b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})"),
                 4),
           "overlaps");
  }
  SUBCASE("wrong size for the shape") {
    expect(craft(padded(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})"), 20),
           "tensor 'w': data_offsets [0, 20] hold 20 bytes but F32 with shape [2, 3] needs 24");
    expect(craft(padded(R"({"w":{"dtype":"I64","shape":[],"data_offsets":[0,4]}})"), 4),
           "I64 with shape [] needs 8");
    expect(craft(padded(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})"), 4),
           "end before they begin");
  }
  SUBCASE("sizes that overflow or are negative") {
    expect(craft(padded(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],)"
                        R"("data_offsets":[0,4]}})"),
                 4),
           "more elements than an int64 can count");
    expect(craft(padded(R"({"w":{"dtype":"F32","shape":[4611686018427387904,3,0],)"
                        R"("data_offsets":[0,0]}})"),
                 0),
           "more elements than an int64 can count");
    expect(craft(padded(R"({"w":{"dtype":"F64","shape":[2305843009213693952],)"
                        R"("data_offsets":[0,4]}})"),
                 4),
           "needs more bytes than fit in 64 bits");
    expect(craft(padded(R"({"w":{"dtype":"F32","shape":[2,-3],"data_offsets":[0,4]}})"), 4),
           "a shape dimension is negative (-3)");
    expect(craft(padded(R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})"), 4),
           "not a non-negative integer");
    expect(craft(padded(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,-4]}})"), 4),
           "data_offsets[1] is negative");
    expect(craft(padded(R"({"w":{"dtype":"F32","shape":[1],)"
                        R"("data_offsets":[18446744073709551615,3]}})"),
                 4),
           "end before they begin");
  }
  SUBCASE("unknown dtype") {
    expect(craft(padded(R"({"w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}})"), 4),
           "tensor 'w' has unknown dtype \"F33\"");
    expect(craft(padded(R"({"w":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}})"), 4),
           "unknown dtype \"f32\"");
    expect(craft(padded(R"({"w":{"dtype":32,"shape":[1],"data_offsets":[0,4]}})"), 4),
           "dtype is a number, not a string");
  }
  SUBCASE("duplicate key") {
    expect(craft(padded(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                        R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})"),
                 8),
           "duplicate key \"w\"");
    expect(
        craft(padded(R"({"w":{"dtype":"F32","dtype":"I64","shape":[1],"data_offsets":[0,4]}})"), 4),
        "duplicate key \"dtype\"");
  }
  SUBCASE("missing or malformed fields") {
    expect(craft(padded(R"({"w":{"dtype":"F32","data_offsets":[0,4]}})"), 4),
           "tensor 'w' has no \"shape\" field");
    expect(craft(padded(R"({"w":{"shape":[1],"data_offsets":[0,4]}})"), 4), "no \"dtype\" field");
    expect(craft(padded(R"({"w":{"dtype":"F32","shape":[1]}})"), 4), "no \"data_offsets\" field");
    expect(craft(padded(R"({"w":[1,2]})"), 0), "tensor 'w' is described by an array");
    expect(craft(padded(R"({"w":{"dtype":"F32","shape":1,"data_offsets":[0,4]}})"), 4),
           "shape is a number, not an array");
    expect(craft(padded(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}})"), 4),
           "data_offsets is [0,4,8], not [begin, end]");
  }
  SUBCASE("non-string metadata") {
    expect(craft(padded(R"({"__metadata__":{"format":"pt","epochs":10}})"), 0),
           "__metadata__ value of \"epochs\" is a number (10), not a string");
    expect(craft(padded(R"({"__metadata__":["pt"]})"), 0), "__metadata__ is an array");
  }
}

TEST_CASE("safetensors: load names the file; corrupted files on disk are rejected") {
  TempDir dir;
  const Bytes good = io::serialize_safetensors(small_state());
  const fs::path path = dir.path / "model.safetensors";
  write_file(path, Bytes(good.begin(), good.end() - 3));
  CHECK_THROWS_WITH_AS(io::load_safetensors(path.string()),
                       doctest::Contains((path.string() + ": invalid safetensors file").c_str()),
                       std::runtime_error);
  write_file(path, {1, 2, 3, 4});
  CHECK_THROWS_WITH_AS(io::load_safetensors(path.string()), doctest::Contains("4 bytes long"),
                       std::runtime_error);
  write_file(path, concat({u64_le(1ull << 40), Bytes(100, ' ')}));
  CHECK_THROWS_WITH_AS(io::load_safetensors(path.string()), doctest::Contains("above the limit"),
                       std::runtime_error);
  write_file(path, concat({u64_le(200), Bytes(100, ' ')}));
  CHECK_THROWS_WITH_AS(io::load_safetensors(path.string()),
                       doctest::Contains("header length is 200 bytes but only 100 bytes follow"),
                       std::runtime_error);
  write_file(path, good);
  const StateDict sd = io::load_safetensors(path.string());
  REQUIRE(sd.size() == 2);
  CHECK(sd[0].name == "count");
  CHECK(sd[0].dtype == DType::I64);
  CHECK(sd[0].tensor.item() == 7.0f);
  CHECK(sd[1].tensor.to_vector() == std::vector<float>{1, 2, 3, 4, 5, 6});

  CHECK_THROWS_WITH_AS(io::load_safetensors((dir.path / "missing.safetensors").string()),
                       doctest::Contains("cannot open"), std::runtime_error);
  CHECK_THROWS_WITH_AS(io::load_safetensors(dir.path.string()), doctest::Contains("is a directory"),
                       std::runtime_error);
}

TEST_CASE("safetensors: a number beyond double in the header is a malformed header, with where") {
  // 24 bytes: length 16, then {"x":1e999} and 5 spaces. nlohmann raises out_of_range for it,
  // which used to escape the reader as an "internal error".
  const Bytes bytes = concat({u64_le(16), text("{\"x\":1e999}     ")});
  REQUIRE(bytes.size() == 24);
  const std::string msg = load_error(bytes);
  INFO("message: ", msg);
  CHECK(msg.find("bad.safetensors: invalid safetensors file: the header is not valid JSON near "
                 "file offset 18") == 0);
  CHECK(msg.find("1e999") != std::string::npos);
  CHECK(msg.find("HINT") != std::string::npos);
  // The same in a tensor's shape, and a huge negative exponent (which is just 0) is fine.
  CHECK(
      load_error(craft(padded(R"({"w":{"dtype":"F32","shape":[1e400],"data_offsets":[0,4]}})"), 4))
          .find("not valid JSON near file offset") != std::string::npos);
  CHECK(load_error(craft(padded(R"({"__metadata__":{"a":"1e-999"}})"), 0)).empty());
}

TEST_CASE("safetensors: NaN and infinite values are refused on load, naming the tensor") {
  auto f32_file = [](float a, float b) {
    Bytes file =
        craft(padded(R"({"layer.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})"), 0);
    for (float v : {a, b}) {
      uint32_t bits;
      std::memcpy(&bits, &v, 4);
      for (int i = 0; i < 4; ++i) file.push_back(static_cast<uint8_t>(bits >> (8 * i)));
    }
    return file;
  };
  REQUIRE(load_error(f32_file(1.0f, -2.0f)).empty());
  const std::string nan = load_error(f32_file(1.0f, std::numeric_limits<float>::quiet_NaN()));
  CHECK(nan.find("tensor 'layer.weight' holds nan at element 1") != std::string::npos);
  CHECK(nan.find("HINT") != std::string::npos);
  CHECK(load_error(f32_file(-std::numeric_limits<float>::infinity(), 0.0f))
            .find("tensor 'layer.weight' holds -inf at element 0") != std::string::npos);

  // An F64 value that is finite but beyond float32 would become infinite: refused too.
  Bytes f64 = craft(padded(R"({"x":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})"), 0);
  uint64_t bits;
  const double big = 1e300;
  std::memcpy(&bits, &big, 8);
  const Bytes b = u64_le(bits);
  f64.insert(f64.end(), b.begin(), b.end());
  CHECK(load_error(f64).find("tensor 'x' holds 1e+300 at element 0, beyond the range of float32") !=
        std::string::npos);
}

TEST_CASE("safetensors: control bytes in names are escaped, so a NUL cannot cut a message") {
  std::string header = R"({"a)";
  header += std::string("\\u0000b\\u001b[31m");
  header += R"(":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}})";
  const std::string msg = load_error(craft(padded(header), 4));
  INFO("message: ", msg);
  CHECK(msg.find(R"(tensor 'a\x00b\x1b[31m' has unknown dtype "F33")") != std::string::npos);
  CHECK(msg.find('\0') == std::string::npos);
  CHECK(msg.find('\x1b') == std::string::npos);
  CHECK(msg.find("HINT") != std::string::npos);  // the message goes on past the NUL
}

TEST_CASE("safetensors: load refuses devices and pipes without reading them") {
  // /dev/zero would otherwise be read forever (or mapped as zeros and called truncated).
  CHECK_THROWS_WITH_AS(io::load_safetensors("/dev/zero"),
                       doctest::Contains("'/dev/zero' is not a regular file"), std::runtime_error);
  CHECK_THROWS_WITH_AS(io::load_safetensors("/dev/null"), doctest::Contains("not a regular file"),
                       std::runtime_error);
}
