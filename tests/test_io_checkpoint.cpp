// Tests of io/checkpoint.hpp: a trained model saved and loaded into a fresh one gives identical
// eval outputs; extras (feature standardisation) come back while the module's keys stay strict;
// mismatched checkpoints fail naming the file and the keys; an MLP comes back with the dropout
// probability its metadata records, or the documented default for a file without it.
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

// ---- MLP checkpoints: the architecture comes back from key names, shapes and metadata ----

TEST_CASE("checkpoint: save_mlp records the dropout probability and load_mlp rebuilds with it") {
  TempDir dir;
  const std::string path = (dir.path / "mlp.safetensors").string();
  Generator gen(11);
  auto model = nn::make_mlp(
      {.in_features = 5, .hidden = {7, 4}, .classes = 3, .batchnorm = false, .dropout = 0.45f},
      gen);
  const auto transform = data::FeatureTransform::standardize({1, 2, 3, 4, 5}, {1, 1, 2, 2, 4});
  io::save_mlp(*model, transform, path);
  CHECK(io::load_safetensors_with_metadata(path).metadata.at(io::kDropoutKey) == "0.45");

  Generator other(12);
  const io::MlpCheckpoint loaded = io::load_mlp(path, "Reloaded", other);
  const nn::MlpOptions& o = loaded.model->options();
  CHECK(o.dropout == 0.45f);  // not the default 0.3: read from the metadata
  CHECK_FALSE(loaded.architecture.dropout_assumed);
  CHECK(o.in_features == 5);
  CHECK(o.hidden == std::vector<int64_t>{7, 4});
  CHECK(o.classes == 3);
  CHECK_FALSE(o.batchnorm);
  CHECK(o.name == "Reloaded");
  REQUIRE(loaded.transform.has_value());
  CHECK(loaded.transform->kind == data::FeatureTransform::Kind::Standardize);
  CHECK(loaded.transform->stddev == std::vector<float>{1, 1, 2, 2, 4});
  const StateDict a = model->state_dict(), b = loaded.model->state_dict();
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(same_bits(a[i].tensor, b[i].tensor));

  // Without Dropout layers the probability is 0, and stays 0.
  auto plain = nn::make_mlp({.in_features = 5, .hidden = {7}, .classes = 3, .dropout = 0.0f}, gen);
  io::save_mlp(*plain, data::FeatureTransform::divide_by(255.0f), path);
  const io::MlpCheckpoint reloaded = io::load_mlp(path, "MLP", other);
  CHECK(reloaded.model->options().dropout == 0.0f);
  CHECK_FALSE(reloaded.architecture.dropout_assumed);
  REQUIRE(reloaded.transform.has_value());
  CHECK(reloaded.transform->divisor == 255.0f);
}

TEST_CASE("checkpoint: a PyTorch MyNN without metadata gets the default dropout, and says so") {
  Generator gen(0);
  const io::MlpCheckpoint loaded = io::load_mlp(k_torch_fixture, "MyNN", gen);
  CHECK(loaded.architecture.dropout_assumed);
  CHECK(loaded.model->options().dropout == io::kDefaultDropout);
  CHECK(loaded.model->options().hidden == std::vector<int64_t>{8, 6});
  CHECK(loaded.model->options().batchnorm);
  CHECK_FALSE(loaded.transform.has_value());  // PyTorch's file does not say how to scale
  loaded.model->eval();
  NoGradGuard no_grad;
  const std::vector<float> y = (*loaded.model)(fixed_input(6, 6)).to_vector();
  REQUIRE(y.size() == k_torch_output.size());
  for (size_t k = 0; k < y.size(); ++k) CHECK(std::abs(y[k] - k_torch_output[k]) <= 1e-5f);
}

TEST_CASE(
    "checkpoint: dropout metadata that contradicts the layers or is not a probability fails") {
  Generator gen(3);
  auto with_dropout = nn::make_mlp({.in_features = 4, .hidden = {5}, .classes = 2}, gen);
  auto without =
      nn::make_mlp({.in_features = 4, .hidden = {5}, .classes = 2, .dropout = 0.0f}, gen);
  auto read = [](const nn::Module& m, const std::string& p) {
    return io::read_mlp_architecture(m.state_dict(), {{io::kDropoutKey, p}}, "m.safetensors");
  };
  CHECK(read(*with_dropout, "0.25").options.dropout == 0.25f);
  CHECK_THROWS_WITH_AS(read(*with_dropout, "0"),
                       doctest::Contains("m.safetensors: metadata minigrad.dropout is 0 but the "
                                         "layer indices show Dropout layers"),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(read(*without, "0.3"), doctest::Contains("show no Dropout layers"),
                       std::runtime_error);
  for (const char* bad : {"half", "1", "-0.1", "0.3x", ""})
    CHECK_THROWS_WITH_AS(read(*with_dropout, bad),
                         doctest::Contains("expected a probability in [0, 1)"), std::runtime_error);
  // The key names still have to be an MLP's.
  CHECK_THROWS_WITH_AS(
      io::read_mlp_architecture({{"encoder.weight", Tensor::zeros({2, 2})}}, {}, "x.safetensors"),
      doctest::Contains("x.safetensors: key 'encoder.weight' is not part of an MLP"),
      std::runtime_error);
}
