// Tests of io/safetensors.hpp: byte-exact agreement with the reference writer's own test fixtures
// (docs/semantics.md#safetensors), the documents' model layout (#state-dict), exact round trips,
// rejection of every kind of corrupted file with a message naming the problem, and atomic saves.
// "The documents": README.md#the-documents.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "minigrad/generator.hpp"
#include "minigrad/io/safetensors.hpp"
#include "minigrad/nn/mlp.hpp"

using namespace minigrad;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes u64_le(uint64_t v) {
  Bytes b;
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return b;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

// A file made by hand: header length, `header` as given (padding included), `data_bytes` zeros.
Bytes craft(const std::string& header, size_t data_bytes) {
  return concat({u64_le(header.size()), text(header), Bytes(data_bytes, 0)});
}

// `json` padded with spaces to a multiple of 8, as a valid writer would.
std::string padded(std::string json) {
  json.resize((json.size() + 7) / 8 * 8, ' ');
  return json;
}

// The message deserialize_safetensors throws for `bytes`, or "" if it loads.
std::string load_error(const Bytes& bytes) {
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

Bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& p, const Bytes& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Two tensors, one I64 scalar: a small valid file to corrupt.
StateDict small_state() {
  return {{"w", Tensor::from({{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}}), DType::F32},
          {"count", Tensor::scalar(7.0f), DType::I64}};
}

}  // namespace

TEST_CASE("safetensors: byte-exact against the reference writer's fixtures") {
  // Data of 0, 1, ..., 5 as little-endian float32.
  const Bytes data = {0, 0, 0,  0,  0, 0, 128, 63, 0, 0, 0,   64,
                      0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64};

  SUBCASE("test_serialization: a 64-byte header needs no padding") {
    StateDict sd = {{"attn.0", Tensor::arange(6).reshape({1, 2, 3}), DType::F32}};
    const Bytes expected =
        concat({{64, 0, 0, 0, 0, 0, 0, 0},
                text(R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})"),
                data});
    CHECK(io::serialize_safetensors(sd, {}) == expected);
  }
  SUBCASE("test_serialization_forced_alignement: 65 bytes of JSON + 7 spaces") {
    StateDict sd = {{"attn0", Tensor::arange(6).reshape({1, 1, 2, 3}), DType::F32}};
    const Bytes expected =
        concat({{72, 0, 0, 0, 0, 0, 0, 0},
                text(R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}})"
                     "       "),
                data});
    CHECK(io::serialize_safetensors(sd, {}) == expected);
  }
  SUBCASE("test_empty: no tensors, with and without metadata") {
    CHECK(io::serialize_safetensors({}, {}) ==
          concat({{8, 0, 0, 0, 0, 0, 0, 0}, text("{}      ")}));
    CHECK(io::serialize_safetensors({}, {{"framework", "pt"}}) ==
          concat({{40, 0, 0, 0, 0, 0, 0, 0}, text(R"({"__metadata__":{"framework":"pt"}}     )")}));
  }
  SUBCASE("default metadata is {\"format\": \"pt\"}, first; I64 before F32; names sorted") {
    StateDict sd = {{"b", Tensor::from({1.0f}), DType::F32},
                    {"a", Tensor::from({2.0f}), DType::F32},
                    {"n", Tensor::scalar(3.0f), DType::I64}};
    const std::string header =
        R"({"__metadata__":{"format":"pt"},"n":{"dtype":"I64","shape":[],"data_offsets":[0,8]},)"
        R"("a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},)"
        R"("b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}})";
    const Bytes expected = concat({u64_le(padded(header).size()),
                                   text(padded(header)),
                                   {3, 0, 0, 0, 0, 0, 0, 0},  // int64 3
                                   {0, 0, 0, 64},             // 2.0f
                                   {0, 0, 128, 63}});         // 1.0f
    CHECK(io::serialize_safetensors(sd) == expected);
  }
}

TEST_CASE("safetensors: the documents' model has PyTorch's layout (docs/semantics.md#state-dict)") {
  Generator gen(0);
  auto model = nn::make_mlp({}, gen);
  const Bytes bytes = io::serialize_safetensors(model->state_dict());
  CHECK(bytes.size() == 441'960);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[static_cast<size_t>(i)];
  CHECK(n == 1'320);
  const std::string header(bytes.begin() + 8, bytes.begin() + 8 + static_cast<int64_t>(n));
  CHECK(header.find_last_not_of(' ') + 1 == 1'318);
  CHECK(header.rfind(R"({"__metadata__":{"format":"pt"},)", 0) == 0);

  // (name, dtype, shape, begin, end) in file order, as the reference writer lays them out.
  struct Row {
    const char* name;
    DType dtype;
    Shape shape;
    uint64_t begin, end;
  };
  const std::vector<Row> expected = {
      {"network.1.num_batches_tracked", DType::I64, {}, 0, 8},
      {"network.5.num_batches_tracked", DType::I64, {}, 8, 16},
      {"network.0.bias", DType::F32, {128}, 16, 528},
      {"network.0.weight", DType::F32, {128, 784}, 528, 401936},
      {"network.1.bias", DType::F32, {128}, 401936, 402448},
      {"network.1.running_mean", DType::F32, {128}, 402448, 402960},
      {"network.1.running_var", DType::F32, {128}, 402960, 403472},
      {"network.1.weight", DType::F32, {128}, 403472, 403984},
      {"network.4.bias", DType::F32, {64}, 403984, 404240},
      {"network.4.weight", DType::F32, {64, 128}, 404240, 437008},
      {"network.5.bias", DType::F32, {64}, 437008, 437264},
      {"network.5.running_mean", DType::F32, {64}, 437264, 437520},
      {"network.5.running_var", DType::F32, {64}, 437520, 437776},
      {"network.5.weight", DType::F32, {64}, 437776, 438032},
      {"network.8.bias", DType::F32, {10}, 438032, 438072},
      {"network.8.weight", DType::F32, {10, 64}, 438072, 440632},
  };
  size_t pos = 0;
  for (const Row& r : expected) {
    const std::string shape = fmt::format("[{}]", fmt::join(r.shape, ","));
    const std::string entry =
        fmt::format(R"("{}":{{"dtype":"{}","shape":{},"data_offsets":[{},{}]}})", r.name,
                    r.dtype == DType::I64 ? "I64" : "F32", shape, r.begin, r.end);
    const size_t at = header.find(entry);
    INFO("entry ", entry);
    REQUIRE(at != std::string::npos);
    CHECK(at > pos);  // in file order
    pos = at;
  }
  const io::SafetensorsContents back = io::deserialize_safetensors(bytes);
  REQUIRE(back.tensors.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    CHECK(back.tensors[i].name == expected[i].name);
    CHECK(back.tensors[i].dtype == expected[i].dtype);
    CHECK(back.tensors[i].tensor.shape() == expected[i].shape);
  }
  CHECK(back.metadata == io::Metadata{{"format", "pt"}});
}

TEST_CASE("safetensors: a round trip gives identical bits, names, shapes and dtypes") {
  Generator gen(42);
  Tensor special = Tensor::from({0.0f, -0.0f, std::numeric_limits<float>::infinity(),
                                 -std::numeric_limits<float>::infinity(),
                                 std::numeric_limits<float>::quiet_NaN(),
                                 std::numeric_limits<float>::denorm_min(), 1e-38f, 3.4e38f});
  StateDict sd = {{"layer.weight", Tensor::randn({7, 5}, gen), DType::F32},
                  {"special", special, DType::F32},
                  {"steps", Tensor::scalar(16777216.0f), DType::I64},  // 2^24
                  {"negative_count", Tensor::from({-3.0f, 0.0f, 12.0f}), DType::I64},
                  {"empty", Tensor::zeros({0, 3}), DType::F32},
                  {"scalar", Tensor::scalar(0.5f), DType::F32},
                  {"ünïcode.name", Tensor::from({1.0f}), DType::F32}};
  const io::Metadata meta = {{"format", "pt"}, {"note", "a \"quoted\" value\n"}};
  TempDir dir;
  const std::string path = (dir.path / "rt.safetensors").string();
  io::save_safetensors(path, sd, meta);
  const io::SafetensorsContents back = io::load_safetensors_with_metadata(path);
  CHECK(back.metadata == meta);
  REQUIRE(back.tensors.size() == sd.size());
  for (const NamedTensor& original : sd) {
    const NamedTensor* found = nullptr;
    for (const NamedTensor& nt : back.tensors)
      if (nt.name == original.name) found = &nt;
    INFO("tensor ", original.name);
    REQUIRE(found != nullptr);
    CHECK(found->dtype == original.dtype);
    CHECK(found->tensor.shape() == original.tensor.shape());
    CHECK(std::memcmp(found->tensor.data(), original.tensor.data(),
                      static_cast<size_t>(original.tensor.numel()) * sizeof(float)) == 0);
  }
  // Saving what was loaded reproduces the file byte for byte.
  CHECK(io::serialize_safetensors(back.tensors, back.metadata) == read_file(path));
  CHECK(dir.listing() == std::vector<std::string>{"rt.safetensors"});
}

TEST_CASE("safetensors: F64 is converted to float32; other dtypes are refused by name") {
  Bytes f64 = craft(padded(R"({"x":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}})"), 0);
  for (double v : {0.25, -3.5}) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    const Bytes b = u64_le(bits);
    f64.insert(f64.end(), b.begin(), b.end());
  }
  const StateDict sd = io::deserialize_safetensors(f64).tensors;
  REQUIRE(sd.size() == 1);
  CHECK(sd[0].dtype == DType::F32);
  CHECK(sd[0].tensor.to_vector() == std::vector<float>{0.25f, -3.5f});

  const std::string bf16 =
      load_error(craft(padded(R"({"x":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})"), 4));
  CHECK(bf16.find("tensor 'x' has dtype BF16, which minigrad cannot load") != std::string::npos);
  CHECK(bf16.find("HINT") != std::string::npos);
}

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

TEST_CASE("safetensors: invalid state dicts are refused before anything is written") {
  CHECK_THROWS_WITH_AS(io::serialize_safetensors({{"x", Tensor::from({2.5f}), DType::I64}}),
                       doctest::Contains("tagged I64 but element 0 is 2.5"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(io::serialize_safetensors({{"x", Tensor::from({1.0f}), DType::F32},
                                                  {"x", Tensor::from({2.0f}), DType::F32}}),
                       doctest::Contains("'x' appears twice"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(io::serialize_safetensors({{"__metadata__", Tensor::from({1.0f})}}),
                       doctest::Contains("reserved"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(io::serialize_safetensors({{"x", Tensor()}}),
                       doctest::Contains("'x' is undefined"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(io::serialize_safetensors({{"bad\xff", Tensor::from({1.0f})}}),
                       doctest::Contains("not valid UTF-8"), std::invalid_argument);
}

TEST_CASE("safetensors: a failed save leaves no file behind and the old file intact") {
  TempDir dir;
  const StateDict sd = small_state();

  SUBCASE("the directory does not exist") {
    const fs::path path = dir.path / "no_such_dir" / "m.safetensors";
    CHECK_THROWS_WITH_AS(io::save_safetensors(path.string(), sd),
                         doctest::Contains("does not exist"), std::runtime_error);
    CHECK_FALSE(fs::exists(path.parent_path()));
    CHECK(dir.listing().empty());
  }
  SUBCASE("the path is a directory") {
    fs::create_directory(dir.path / "model.safetensors");
    CHECK_THROWS_WITH_AS(io::save_safetensors((dir.path / "model.safetensors").string(), sd),
                         doctest::Contains("it is a directory"), std::runtime_error);
    CHECK(dir.listing() == std::vector<std::string>{"model.safetensors"});
    CHECK(fs::is_empty(dir.path / "model.safetensors"));
  }
  SUBCASE("an invalid tensor: the existing file is untouched") {
    const fs::path path = dir.path / "m.safetensors";
    io::save_safetensors(path.string(), sd);
    const Bytes before = read_file(path);
    CHECK_THROWS(io::save_safetensors(path.string(), {{"x", Tensor::from({0.5f}), DType::I64}}));
    CHECK(read_file(path) == before);
    CHECK(dir.listing() == std::vector<std::string>{"m.safetensors"});
  }
  SUBCASE("the write fails part way (file size limit): the temporary file is removed") {
    const fs::path path = dir.path / "m.safetensors";
    io::save_safetensors(path.string(), sd);
    const Bytes before = read_file(path);
    Generator gen(1);
    const StateDict big = {{"w", Tensor::randn({64, 64}, gen), DType::F32}};  // 16 KiB of data
    rlimit old{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
    auto* old_handler = std::signal(SIGXFSZ, SIG_IGN);  // make write() fail with EFBIG instead
    rlimit small = old;
    small.rlim_cur = 4096;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    std::string message;
    try {
      io::save_safetensors(path.string(), big);
    } catch (const std::runtime_error& e) {
      message = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, old_handler);
    CHECK(message.find("writing") != std::string::npos);
    CHECK(read_file(path) == before);
    CHECK(dir.listing() == std::vector<std::string>{"m.safetensors"});
  }
  SUBCASE("a successful save replaces the old file") {
    const fs::path path = dir.path / "m.safetensors";
    io::save_safetensors(path.string(), sd);
    io::save_safetensors(path.string(), {{"only", Tensor::from({1.0f})}});
    const StateDict back = io::load_safetensors(path.string());
    REQUIRE(back.size() == 1);
    CHECK(back[0].name == "only");
    CHECK(dir.listing() == std::vector<std::string>{"m.safetensors"});
  }
}
