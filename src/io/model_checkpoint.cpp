// Reading a CNN back from its key names: network.<i>.weight of rank 4 are the convolutions (one
// block of Conv2d, BatchNorm2d, ReLU, MaxPool2d every 4 indices), rank 2 the two Linears of the
// head; the gap between those says whether a Dropout sits between them.
#include "minigrad/io/model_checkpoint.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <map>
#include <stdexcept>
#include <vector>

namespace minigrad::io {

namespace {

// A whole number >= `least`, all of `text`.
bool whole_number(const std::string& text, int64_t& v, int64_t least) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size() && v >= least;
}

// network.<i>.weight of rank `rank`, by index i.
std::map<int64_t, Shape> weights_of_rank(const StateDict& state, int64_t rank,
                                         const std::string& source) {
  std::map<int64_t, Shape> out;
  const std::string prefix = "network.";
  for (const NamedTensor& t : state) {
    if (t.name.rfind(prefix, 0) != 0)
      throw std::runtime_error(fmt::format(
          "{}: key '{}' is not part of a model saved by minigrad (expected network.<i>.<name>)",
          source, t.name));
    const size_t dot = t.name.find('.', prefix.size());
    int64_t index = 0;
    if (dot == std::string::npos ||
        !whole_number(t.name.substr(prefix.size(), dot - prefix.size()), index, 0))
      throw std::runtime_error(fmt::format("{}: malformed key '{}'", source, t.name));
    if (t.name.substr(dot + 1) == "weight" && t.tensor.dim() == rank) out[index] = t.tensor.shape();
  }
  return out;
}

bool holds_cnn(const StateDict& state) {
  for (const NamedTensor& t : state)
    if (t.tensor.dim() == 4) return true;
  return false;
}

}  // namespace

nn::CnnOptions parse_image_shape(const std::string& text, const std::string& what) {
  std::vector<int64_t> sizes;
  size_t start = 0;
  for (;;) {
    const size_t x = text.find('x', start);
    int64_t v = 0;
    if (!whole_number(text.substr(start, x == std::string::npos ? x : x - start), v, 1)) break;
    sizes.push_back(v);
    if (x == std::string::npos) break;
    start = x + 1;
  }
  if (sizes.size() != 3 || fmt::format("{}", fmt::join(sizes, "x")) != text)
    throw std::invalid_argument(
        fmt::format("{}: expected an image shape CxHxW such as 1x28x28, got '{}'", what, text));
  nn::CnnOptions o;
  o.channels = sizes[0], o.height = sizes[1], o.width = sizes[2];
  return o;
}

std::string image_shape_str(const nn::CnnOptions& o) {
  return fmt::format("{}x{}x{}", o.channels, o.height, o.width);
}

nn::CnnOptions read_cnn_architecture(const StateDict& state, const Metadata& metadata,
                                     const nn::CnnOptions& image, const std::string& source,
                                     bool& dropout_assumed) {
  const std::map<int64_t, Shape> convs = weights_of_rank(state, 4, source);
  const std::map<int64_t, Shape> linears = weights_of_rank(state, 2, source);
  nn::CnnOptions o = image;
  if (const auto it = metadata.find(kImageKey); it != metadata.end()) {
    try {
      const nn::CnnOptions stored =
          parse_image_shape(it->second, fmt::format("metadata {}", kImageKey));
      o.channels = stored.channels, o.height = stored.height, o.width = stored.width;
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(fmt::format("{}: {}", source, e.what()));
    }
  }
  if (o.height <= 0 || o.width <= 0)
    throw std::runtime_error(fmt::format(
        "{}: a convolutional model, but the file does not record its image shape ({}) (HINT: "
        "give it with --image CxHxW, e.g. --image 1x28x28)",
        source, kImageKey));
  // Conv blocks at 0, 4, 8, ...; then Flatten, and the head's Linears.
  o.conv_channels.clear();
  int64_t expected_index = 0, c = -1;
  for (const auto& [index, shape] : convs) {
    if (index != expected_index || shape[2] != 3 || shape[3] != 3 || (c >= 0 && shape[1] != c))
      throw std::runtime_error(fmt::format(
          "{}: network.{}.weight has shape {}: not a 3x3 Conv2d block of make_cnn()'s layout "
          "(blocks of Conv2d, BatchNorm2d, ReLU, MaxPool2d at indices 0, 4, 8, ...)",
          source, index, shape_str(shape)));
    if (c < 0 && shape[1] != o.channels)
      throw std::runtime_error(fmt::format(
          "{}: the first convolution takes {} channels but the image is {} (HINT: give the "
          "image shape with --image CxHxW)",
          source, shape[1], image_shape_str(o)));
    c = shape[0];
    o.conv_channels.push_back(c);
    expected_index += 4;
  }
  const int64_t first_linear = expected_index + 1;  // after Flatten
  if (linears.size() != 2 || linears.begin()->first != first_linear)
    throw std::runtime_error(fmt::format(
        "{}: expected two Linear layers (network.{}.weight and the output one) after {} "
        "convolution blocks",
        source, first_linear, convs.size()));
  const Shape& hidden = linears.begin()->second;
  const auto& [last_index, last] = *linears.rbegin();
  int64_t h = o.height, w = o.width;
  for (size_t i = 0; i < convs.size(); ++i) h /= 2, w /= 2;
  if (hidden[1] != c * h * w)
    throw std::runtime_error(fmt::format(
        "{}: network.{}.weight takes {} features but a {} image gives {}x{}x{} = {} after the "
        "convolutions (HINT: give the image shape the model was trained on with --image CxHxW)",
        source, first_linear, hidden[1], image_shape_str(o), c, h, w, c * h * w));
  if (last[1] != hidden[0])
    throw std::runtime_error(
        fmt::format("{}: network.{}.weight has shape {} but the layer before gives {} features",
                    source, last_index, shape_str(last), hidden[0]));
  o.hidden = hidden[0];
  o.classes = last[0];
  // Linear, BatchNorm1d, ReLU [, Dropout], Linear.
  const int64_t gap = last_index - first_linear;
  if (gap != 3 && gap != 4)
    throw std::runtime_error(fmt::format(
        "{}: Linear layers at indices {} and {} do not match a head of Linear, BatchNorm1d, ReLU, "
        "Dropout, Linear",
        source, first_linear, last_index));
  const DropoutSetting dropout = read_dropout(metadata, gap == 4, source);
  o.dropout = dropout.p;
  dropout_assumed = dropout.assumed;
  return o;
}

data::ClassLabels read_class_labels(const Metadata& metadata, int64_t classes,
                                    const std::string& source) {
  const auto it = metadata.find(data::kClassLabelsKey);
  if (it == metadata.end()) return data::ClassLabels::identity(classes);  // an older file
  const std::string what = fmt::format("{}: metadata {}", source, data::kClassLabelsKey);
  data::ClassLabels labels;
  try {
    labels = data::ClassLabels::parse(it->second, what);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  if (labels.size() != classes)
    throw std::runtime_error(fmt::format(
        "{} has {} labels but the model has {} outputs (HINT: the file was altered after saving)",
        what, labels.size(), classes));
  return labels;
}

ModelCheckpoint model_from_contents(SafetensorsContents file, const std::string& path,
                                    const std::string& name, Generator& gen,
                                    const nn::CnnOptions& image) {
  ModelCheckpoint loaded;
  const Metadata metadata = file.metadata;  // the MLP reader below takes the file apart
  if (!holds_cnn(file.tensors)) {
    MlpCheckpoint mlp = mlp_from_contents(std::move(file), path, name, gen);
    loaded.model = mlp.model;
    loaded.kind = "mlp";
    loaded.in_features = mlp.model->options().in_features;
    loaded.classes = mlp.model->options().classes;
    loaded.transform = std::move(mlp.transform);
    loaded.dropout_assumed = mlp.architecture.dropout_assumed;
    loaded.labels = read_class_labels(metadata, loaded.classes, path);
    return loaded;
  }
  StateDict own, extras;
  for (NamedTensor& t : file.tensors)
    (t.name.rfind(kDefaultExtraPrefix, 0) == 0 ? extras : own).push_back(std::move(t));
  nn::CnnOptions options =
      read_cnn_architecture(own, file.metadata, image, path, loaded.dropout_assumed);
  options.name = name;
  auto cnn = nn::make_cnn(options, gen);
  try {
    cnn->load_state_dict(own, /*strict=*/true);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("{}: {}", path, e.what()));
  }
  loaded.model = cnn;
  loaded.kind = "cnn";
  loaded.in_features = options.channels * options.height * options.width;
  loaded.classes = options.classes;
  loaded.transform = read_scaling(file.metadata, extras, path);
  loaded.labels = read_class_labels(metadata, loaded.classes, path);
  return loaded;
}

ModelCheckpoint load_model(const std::string& path, const std::string& name, Generator& gen,
                           const nn::CnnOptions& image) {
  return model_from_contents(load_safetensors_with_metadata(path), path, name, gen, image);
}

SafetensorsContents model_contents(const nn::Module& model, const data::FeatureTransform& transform,
                                   const data::ClassLabels* labels) {
  SafetensorsContents file = model_contents(model, transform);
  if (labels) {
    const auto* mlp = dynamic_cast<const nn::Mlp*>(&model);
    const int64_t outputs =
        mlp ? mlp->options().classes : dynamic_cast<const nn::Cnn&>(model).options().classes;
    if (labels->size() != outputs)
      throw std::invalid_argument(fmt::format(
          "save_model: {} class labels for a model of {} outputs", labels->size(), outputs));
    file.metadata[data::kClassLabelsKey] = labels->text();
  }
  return file;
}

SafetensorsContents model_contents(const nn::Module& model,
                                   const data::FeatureTransform& transform) {
  if (const auto* mlp = dynamic_cast<const nn::Mlp*>(&model)) return mlp_contents(*mlp, transform);
  const auto* cnn = dynamic_cast<const nn::Cnn*>(&model);
  if (cnn == nullptr)
    throw std::invalid_argument(fmt::format(
        "save_model: a {} is neither make_mlp()'s nor make_cnn()'s model (HINT: use io::save)",
        model.type_name()));
  SafetensorsContents file{cnn->state_dict(),
                           {{"format", "pt"},
                            {kModelKey, "cnn"},
                            {kImageKey, image_shape_str(cnn->options())},
                            {kDropoutKey, fmt::format("{}", cnn->options().dropout)}}};
  write_scaling(transform, file.metadata, file.tensors);
  return file;
}

void save_cnn(const nn::Cnn& model, const data::FeatureTransform& transform,
              const std::string& path) {
  save_model(model, transform, path);
}

void save_model(const nn::Module& model, const data::FeatureTransform& transform,
                const std::string& path, const data::ClassLabels* labels) {
  const SafetensorsContents file = model_contents(model, transform, labels);
  save_safetensors(path, file.tensors, file.metadata);
}

}  // namespace minigrad::io
