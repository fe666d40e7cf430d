// Tests of io/safetensors.hpp, the writer and the happy path: byte-exact agreement with the
// reference writer's own test fixtures (docs/semantics.md#safetensors), the documents' model layout
// (#state-dict), exact round trips, F64 conversion, and state dicts refused before anything is
// written. Hostile files are in test_io_safetensors_corrupt.cpp, the atomic save in
// test_io_atomic_file.cpp.
// "The documents": README.md#the-documents.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "minigrad/generator.hpp"
#include "minigrad/io/safetensors.hpp"
#include "minigrad/nn/mlp.hpp"
#include "support/io_files.hpp"

using namespace minigrad;
using namespace iotest;

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
  // Every finite extreme (NaN and infinities are refused: see the test below).
  Tensor special = Tensor::from({0.0f, -0.0f, std::numeric_limits<float>::max(),
                                 std::numeric_limits<float>::lowest(),
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

TEST_CASE("safetensors: a NaN or infinite value is refused on save, naming the tensor") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH_AS(io::serialize_safetensors({{"fc.bias", Tensor::from({0.5f, nan})}}),
                       doctest::Contains("tensor 'fc.bias' holds nan at element 1"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      io::serialize_safetensors({{"w", Tensor::from({std::numeric_limits<float>::infinity()})}}),
      doctest::Contains("holds inf at element 0"), std::invalid_argument);
}
