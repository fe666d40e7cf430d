// Tests of io/model_checkpoint.hpp: a CNN saved by save_cnn() comes back from load_model() with
// the same architecture and identical eval outputs; a file without minigrad's metadata (as
// PyTorch writes it) takes the image shape from the caller; keys that are no make_cnn() layout,
// and image shapes that do not fit the weights, fail naming the file and the hint; an MLP file
// still loads as an MLP; the class labels round-trip, and a file without them has class ids.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "minigrad/autograd.hpp"
#include "minigrad/generator.hpp"
#include "minigrad/io/model_checkpoint.hpp"
#include "minigrad/nn/cnn.hpp"
#include "minigrad/nn/mlp.hpp"

using namespace minigrad;
namespace fs = std::filesystem;

namespace {

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() /
         ("minigrad_model_ckpt_" + std::to_string(::getpid()) + "_" + name);
}

// A CNN on 2x8x8 images whose BatchNorm statistics moved (three training-mode forwards).
std::shared_ptr<nn::Cnn> small_cnn(Generator& gen, float dropout = 0.3f) {
  auto model = nn::make_cnn({.channels = 2,
                             .height = 8,
                             .width = 8,
                             .conv_channels = {3, 4},
                             .hidden = 6,
                             .classes = 3,
                             .dropout = dropout},
                            gen);
  NoGradGuard no_grad;
  model->train();
  for (int i = 0; i < 3; ++i) (void)(*model)(Tensor::randn({5, 2, 8, 8}, gen));
  model->eval();
  return model;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(), static_cast<size_t>(a.numel()) * sizeof(float)) == 0;
}

nn::CnnOptions no_image() {
  nn::CnnOptions o;
  o.height = o.width = 0;
  return o;
}

}  // namespace

TEST_CASE("save_cnn then load_model: same architecture, scaling and eval outputs") {
  Generator gen(3);
  auto model = small_cnn(gen);
  const fs::path path = temp_file("cnn.safetensors");
  io::save_cnn(*model, data::FeatureTransform::divide_by(255.0f), path.string());
  Generator gen2(99);
  const io::ModelCheckpoint loaded = io::load_model(path.string(), "CNN", gen2, no_image());
  CHECK(loaded.kind == "cnn");
  CHECK(loaded.in_features == 2 * 8 * 8);
  CHECK(loaded.classes == 3);
  CHECK_FALSE(loaded.dropout_assumed);
  REQUIRE(loaded.transform.has_value());
  CHECK(loaded.transform->divisor == 255.0f);
  const auto& cnn = dynamic_cast<const nn::Cnn&>(*loaded.model);
  CHECK(cnn.options().conv_channels == std::vector<int64_t>{3, 4});
  CHECK(cnn.options().hidden == 6);
  CHECK(cnn.options().dropout == doctest::Approx(0.3f));
  loaded.model->eval();
  NoGradGuard no_grad;
  const Tensor x = Tensor::randn({4, 128}, gen);  // rows of pixels, as the apps feed them
  CHECK(same_bits((*model)(x), (*loaded.model)(x)));
  fs::remove(path);
}

TEST_CASE("a CNN file without minigrad's metadata takes the caller's image shape") {
  Generator gen(4);
  auto model = small_cnn(gen, 0.0f);
  const fs::path path = temp_file("bare.safetensors");
  io::save(*model, path.string());  // {"format": "pt"} only, as PyTorch writes it
  nn::CnnOptions image;
  image.channels = 2, image.height = 8, image.width = 8;
  const io::ModelCheckpoint loaded = io::load_model(path.string(), "CNN", gen, image);
  CHECK(loaded.kind == "cnn");
  CHECK_FALSE(loaded.transform.has_value());
  CHECK_FALSE(loaded.dropout_assumed);  // the indices show no Dropout layer
  loaded.model->eval();
  NoGradGuard no_grad;
  const Tensor x = Tensor::randn({2, 2, 8, 8}, gen);
  CHECK(same_bits((*model)(x), (*loaded.model)(x)));

  // No image shape known: the error says how to give one.
  CHECK_THROWS_WITH_AS(io::load_model(path.string(), "CNN", gen, no_image()),
                       doctest::Contains("--image CxHxW"), std::runtime_error);
  // 9x9 images also pool to 2x2, 7x7 ones do not: the Linear's width tells.
  image.height = image.width = 9;
  CHECK_NOTHROW(io::load_model(path.string(), "CNN", gen, image));
  image.height = image.width = 7;
  CHECK_THROWS_WITH_AS(io::load_model(path.string(), "CNN", gen, image),
                       doctest::Contains("takes 16 features but a 2x7x7 image gives 4x1x1 = 4"),
                       std::runtime_error);
  image.channels = 3, image.height = image.width = 8;
  CHECK_THROWS_WITH_AS(io::load_model(path.string(), "CNN", gen, image),
                       doctest::Contains("takes 2 channels but the image is 3x8x8"),
                       std::runtime_error);
  fs::remove(path);
}

TEST_CASE("read_cnn_architecture rejects keys of another layout") {
  Generator gen(5);
  auto model = small_cnn(gen);
  StateDict state = model->state_dict();
  bool assumed = false;
  nn::CnnOptions image;
  image.channels = 2, image.height = 8, image.width = 8;
  const nn::CnnOptions o = io::read_cnn_architecture(state, {}, image, "f", assumed);
  CHECK(o.conv_channels == std::vector<int64_t>{3, 4});
  CHECK(o.dropout == doctest::Approx(0.3f));
  CHECK(assumed);  // Dropout layer, no metadata: the default probability
  for (NamedTensor& nt : state)
    if (nt.name == "network.4.weight") nt.tensor = Tensor::zeros({4, 3, 5, 5});
  CHECK_THROWS_WITH_AS(io::read_cnn_architecture(state, {}, image, "f", assumed),
                       doctest::Contains("f: network.4.weight has shape [4, 3, 5, 5]: not a 3x3"),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(
      io::read_cnn_architecture(model->state_dict(), {{io::kImageKey, "8x8"}}, image, "f", assumed),
      doctest::Contains("expected an image shape CxHxW"), std::runtime_error);
}

TEST_CASE("parse_image_shape") {
  const nn::CnnOptions o = io::parse_image_shape("3x32x16", "--image");
  CHECK(o.channels == 3);
  CHECK(o.height == 32);
  CHECK(o.width == 16);
  CHECK(io::image_shape_str(o) == "3x32x16");
  for (const char* bad : {"", "28x28", "1x28x28x1", "0x28x28", "1x28x", "1X28X28", "1x028x28"})
    CHECK_THROWS_WITH_AS(io::parse_image_shape(bad, "--image"),
                         doctest::Contains("--image: expected an image shape CxHxW"),
                         std::invalid_argument);
}

TEST_CASE("load_model reads an MLP file as an MLP, save_model picks the writer by type") {
  Generator gen(6);
  auto mlp = nn::make_mlp({.in_features = 5, .hidden = {4}, .classes = 2}, gen);
  const fs::path path = temp_file("mlp.safetensors");
  io::save_model(*mlp, data::FeatureTransform::identity(), path.string());
  const io::ModelCheckpoint loaded = io::load_model(path.string(), "MLP", gen, no_image());
  CHECK(loaded.kind == "mlp");
  CHECK(loaded.in_features == 5);
  CHECK(loaded.classes == 2);
  fs::remove(path);
}

TEST_CASE("the class labels go into the metadata and come back; older files are 0..K-1") {
  Generator gen(7);
  auto mlp = nn::make_mlp({.in_features = 4, .hidden = {}, .classes = 3, .dropout = 0}, gen);
  const fs::path path = temp_file("labels.safetensors");
  const data::ClassLabels labels = data::ClassLabels::parse("-4,7,2147483647", "test");
  io::save_model(*mlp, data::FeatureTransform::identity(), path.string(), &labels);
  Generator gen2(8);
  const io::ModelCheckpoint back = io::load_model(path.string(), "MLP", gen2, no_image());
  CHECK(back.labels == labels);
  CHECK(io::load_safetensors_with_metadata(path.string()).metadata.at("minigrad.class_labels") ==
        "-4,7,2147483647");

  // A file written without labels (before they were saved, or by PyTorch) has class ids.
  io::save_model(*mlp, data::FeatureTransform::identity(), path.string());
  CHECK(io::load_model(path.string(), "MLP", gen2, no_image()).labels ==
        data::ClassLabels::identity(3));
  auto cnn = small_cnn(gen);
  io::save_model(*cnn, data::FeatureTransform::identity(), path.string());
  CHECK(io::load_model(path.string(), "CNN", gen2, no_image()).labels ==
        data::ClassLabels::identity(3));

  // One label per output, or the save is refused; a file altered afterwards is refused on load.
  const data::ClassLabels two = data::ClassLabels::identity(2);
  CHECK_THROWS_AS(io::save_model(*mlp, data::FeatureTransform::identity(), path.string(), &two),
                  std::invalid_argument);
  io::SafetensorsContents file =
      io::model_contents(*mlp, data::FeatureTransform::identity(), &labels);
  file.metadata["minigrad.class_labels"] = "3,7";
  io::save_safetensors(path.string(), file.tensors, file.metadata);
  CHECK_THROWS_WITH_AS(io::load_model(path.string(), "MLP", gen2, no_image()),
                       doctest::Contains("metadata minigrad.class_labels has 2 labels but the "
                                         "model has 3 outputs"),
                       std::runtime_error);
  file.metadata["minigrad.class_labels"] = "7,3,1";
  io::save_safetensors(path.string(), file.tensors, file.metadata);
  CHECK_THROWS_WITH_AS(io::load_model(path.string(), "MLP", gen2, no_image()),
                       doctest::Contains("labels.safetensors: metadata minigrad.class_labels is "
                                         "'7,3,1', expected strictly ascending"),
                       std::runtime_error);
  fs::remove(path);
}
