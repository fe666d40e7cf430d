// Tests of io/checkpoint.hpp: a trained model saved and loaded into a fresh one gives identical
// eval outputs; extras (feature standardisation) come back while the module's keys stay strict;
// mismatched checkpoints fail naming the file and the keys.
// "The documents": README.md#the-documents.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/generator.hpp"
#include "minigrad/io/checkpoint.hpp"
#include "minigrad/nn/mlp.hpp"

using namespace minigrad;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    static int n = 0;
    path = fs::temp_directory_path() /
           ("minigrad_ckpt_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(), static_cast<size_t>(a.numel()) * sizeof(float)) == 0;
}

// A small MLP of the documents' shape whose BatchNorm running statistics have moved away from
// their initial values (three training-mode forwards), so buffers matter to the eval output.
std::shared_ptr<nn::Mlp> trained_model(uint64_t seed) {
  Generator gen(seed);
  auto model = nn::make_mlp({.in_features = 12, .hidden = {8, 6}, .classes = 3}, gen);
  model->train();
  NoGradGuard no_grad;
  for (int i = 0; i < 3; ++i) (void)(*model)(Tensor::randn({16, 12}, gen));
  model->eval();
  return model;
}

// Written by PyTorch: tests/reference/check_safetensors_torch.py fixture (torch 1.13), a seeded
// MyNN(6) with hidden sizes 8, 6 and 3 classes whose BatchNorm statistics moved for 3 batches.
const char* const k_torch_fixture =
    MINIGRAD_SOURCE_DIR "/tests/fixtures/torch_mynn_small.safetensors";
// Its eval output on fixed_input(6, 6), from the same script.
const std::vector<float> k_torch_output = {
    -0.188499376f,  -0.294824094f, -0.227757201f,  -0.197244436f,  -0.327303112f, -0.113137603f,
    -0.0997503102f, -0.285124123f, -0.123733744f,  -0.127022207f,  -0.325563371f, -0.0926108956f,
    -0.113857858f,  -0.325418711f, -0.0801078156f, -0.0675621852f, -0.259326071f, -0.12814413f};

// The script's fixed_input: x[i][j] = ((7i + 3j) mod 11 − 5) / 4, exact in float32.
Tensor fixed_input(int64_t rows, int64_t features) {
  Tensor x = Tensor::empty({rows, features});
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < features; ++j)
      x.data()[i * features + j] = static_cast<float>((7 * i + 3 * j) % 11 - 5) / 4.0f;
  return x;
}

}  // namespace

TEST_CASE("checkpoint: a model written by PyTorch loads strictly and gives PyTorch's outputs") {
  Generator gen(0);
  auto model = nn::make_mlp({.in_features = 6, .hidden = {8, 6}, .classes = 3}, gen);
  const StateDict extras = io::load(*model, k_torch_fixture, /*strict=*/true);
  CHECK(extras.empty());
  model->eval();
  NoGradGuard no_grad;
  const std::vector<float> y = (*model)(fixed_input(6, 6)).to_vector();
  REQUIRE(y.size() == k_torch_output.size());
  for (size_t k = 0; k < y.size(); ++k) {
    INFO("output ", k, ": minigrad ", y[k], ", PyTorch ", k_torch_output[k]);
    CHECK(std::abs(y[k] - k_torch_output[k]) <= 1e-5f);
  }
  // Writing the loaded state again reproduces the PyTorch-side file byte for byte.
  std::ifstream in(k_torch_fixture, std::ios::binary);
  const std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  CHECK(io::serialize_safetensors(model->state_dict()) == file);
}

TEST_CASE("checkpoint: a saved and reloaded model gives identical eval outputs") {
  TempDir dir;
  const std::string path = (dir.path / "model.safetensors").string();
  auto model = trained_model(1);
  io::save(*model, path);

  Generator other(99);
  auto fresh = nn::make_mlp({.in_features = 12, .hidden = {8, 6}, .classes = 3}, other);
  fresh->eval();
  Generator data(5);
  const Tensor x = Tensor::randn({10, 12}, data);
  NoGradGuard no_grad;
  const Tensor before = (*fresh)(x);
  const Tensor expected = (*model)(x);
  REQUIRE_FALSE(same_bits(before, expected));  // otherwise the test proves nothing

  const StateDict extras = io::load(*fresh, path);
  CHECK(extras.empty());
  CHECK(same_bits((*fresh)(x), expected));
  const StateDict a = model->state_dict(), b = fresh->state_dict();
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].name);
    CHECK(a[i].name == b[i].name);
    CHECK(a[i].dtype == b[i].dtype);
    CHECK(same_bits(a[i].tensor, b[i].tensor));
  }
  // num_batches_tracked survived as a whole number.
  bool found = false;
  for (const NamedTensor& nt : b)
    if (nt.name == "network.1.num_batches_tracked") {
      found = true;
      CHECK(nt.dtype == DType::I64);
      CHECK(nt.tensor.item() == 3.0f);
    }
  CHECK(found);
}

TEST_CASE("checkpoint: extras are stored beside the model and handed back") {
  TempDir dir;
  const std::string path = (dir.path / "model.safetensors").string();
  auto model = trained_model(2);
  const Tensor mean = Tensor::from({0.5f, 1.5f, -2.0f});
  const Tensor stddev = Tensor::from({1.0f, 0.25f, 3.0f});
  io::save(*model, path, {{"preprocess.mean", mean}, {"preprocess.std", stddev}});

  // The file is a plain safetensors file with the module's keys and the extras.
  const StateDict raw = io::load_safetensors(path);
  CHECK(raw.size() == model->state_dict().size() + 2);

  Generator other(7);
  auto fresh = nn::make_mlp({.in_features = 12, .hidden = {8, 6}, .classes = 3}, other);
  const StateDict extras = io::load(*fresh, path, /*strict=*/true);
  REQUIRE(extras.size() == 2);
  CHECK(same_bits(io::find_tensor(extras, "preprocess.mean"), mean));
  CHECK(same_bits(io::find_tensor(extras, "preprocess.std"), stddev));
  CHECK_THROWS_WITH_AS(io::find_tensor(extras, "preprocess.min"),
                       doctest::Contains("have: preprocess.mean, preprocess.std"),
                       std::out_of_range);
  const StateDict a = model->state_dict(), b = fresh->state_dict();
  for (size_t i = 0; i < a.size(); ++i) CHECK(same_bits(a[i].tensor, b[i].tensor));
}

TEST_CASE("checkpoint: extras must carry the prefix and never clash with the module") {
  TempDir dir;
  const std::string path = (dir.path / "m.safetensors").string();
  auto model = trained_model(3);
  CHECK_THROWS_WITH_AS(io::save(*model, path, {{"mean", Tensor::from({1.0f})}}),
                       doctest::Contains("extra tensor 'mean' does not start with 'preprocess.'"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(io::save(*model, path, {{"network.0.weight", Tensor::from({1.0f})}},
                                /*extra_prefix=*/"network."),
                       doctest::Contains("starts with the extras prefix"), std::invalid_argument);
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("checkpoint: a checkpoint of another architecture fails naming the file and keys") {
  TempDir dir;
  const std::string path = (dir.path / "m.safetensors").string();
  auto model = trained_model(4);
  io::save(*model, path);

  Generator gen(0);
  auto wider = nn::make_mlp({.in_features = 12, .hidden = {9, 6}, .classes = 3}, gen);
  CHECK_THROWS_WITH_AS(io::load(*wider, path),
                       doctest::Contains((path + ": Error(s) in loading state_dict").c_str()),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(io::load(*wider, path),
                       doctest::Contains("size mismatch for network.0.weight"), std::runtime_error);

  auto no_bn =
      nn::make_mlp({.in_features = 12, .hidden = {8, 6}, .classes = 3, .batchnorm = false}, gen);
  CHECK_THROWS_WITH_AS(io::load(*no_bn, path), doctest::Contains("Unexpected key(s)"),
                       std::runtime_error);
  // strict=false loads the keys both have (the first Linear) and skips the rest.
  CHECK_NOTHROW(io::load(*no_bn, path, /*strict=*/false));
  CHECK(same_bits(no_bn->state_dict()[0].tensor, model->state_dict()[0].tensor));
  // ... but shapes must match even then.
  CHECK_THROWS_WITH_AS(io::load(*wider, path, /*strict=*/false), doctest::Contains("size mismatch"),
                       std::runtime_error);
}
