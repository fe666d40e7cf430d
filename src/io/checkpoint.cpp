// Checkpoints: a module's state_dict, plus optional extras under a key prefix, in one safetensors
// file. The module's own keys are loaded strictly; the extras are handed back to the caller. An
// MLP checkpoint also records in the metadata what its weights cannot show: Dropout's
// probability and how inputs are scaled.
// "The documents": README.md#the-documents.
#include "minigrad/io/checkpoint.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <map>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace minigrad::io {

namespace {

bool has_prefix(std::string_view name, std::string_view prefix) {
  return name.substr(0, prefix.size()) == prefix;
}

// The module's own tensors and the extras (names starting with `extra_prefix`), apart.
struct SplitState {
  StateDict own, extras;
};

SplitState split_extras(StateDict tensors, const std::string& extra_prefix) {
  SplitState split;
  for (NamedTensor& nt : tensors) {
    if (!extra_prefix.empty() && has_prefix(nt.name, extra_prefix))
      split.extras.push_back(std::move(nt));
    else
      split.own.push_back(std::move(nt));
  }
  return split;
}

// module.load_state_dict, with errors that name the file.
void load_into(nn::Module& module, const StateDict& own, bool strict, const std::string& path) {
  try {
    module.load_state_dict(own, strict);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("{}: {}", path, e.what()));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(fmt::format("{}: {}", path, e.what()));
  }
}

}  // namespace

void save(const nn::Module& module, const std::string& path, const StateDict& extras,
          const std::string& extra_prefix, const Metadata& metadata) {
  StateDict state = module.state_dict();
  if (!extras.empty() && extra_prefix.empty())
    throw std::invalid_argument(
        "checkpoint save: extras need a non-empty key prefix to stay apart from the module's keys "
        "(HINT: use the default \"preprocess.\")");
  if (!extras.empty())
    for (const NamedTensor& nt : state)
      if (has_prefix(nt.name, extra_prefix))
        throw std::invalid_argument(fmt::format(
            "checkpoint save: the module's key '{}' starts with the extras prefix '{}', so load() "
            "could not tell them apart (HINT: pass another extra_prefix)",
            nt.name, extra_prefix));
  for (const NamedTensor& nt : extras) {
    if (!has_prefix(nt.name, extra_prefix))
      throw std::invalid_argument(fmt::format(
          "checkpoint save: extra tensor '{}' does not start with '{}' (HINT: name it '{}{}')",
          nt.name, extra_prefix, extra_prefix, nt.name));
    state.push_back(nt);
  }
  save_safetensors(path, state, metadata);
}

StateDict load(nn::Module& module, const std::string& path, bool strict,
               const std::string& extra_prefix) {
  SplitState split = split_extras(load_safetensors(path), extra_prefix);
  load_into(module, split.own, strict, path);
  return std::move(split.extras);
}

const Tensor& find_tensor(const StateDict& state, const std::string& name) {
  for (const NamedTensor& nt : state)
    if (nt.name == name) return nt.tensor;
  std::string have;
  for (const NamedTensor& nt : state) have += (have.empty() ? "" : ", ") + nt.name;
  throw std::out_of_range(fmt::format(
      "no tensor named '{}' (have: {}) (HINT: extras are saved with checkpoint save(module, path, "
      "extras))",
      name, have.empty() ? "none" : have));
}

// ---- MLP checkpoints ----

namespace {

constexpr const char* kMeanKey = "preprocess.mean";
constexpr const char* kStdKey = "preprocess.std";

}  // namespace

DropoutSetting read_dropout(const Metadata& metadata, bool has_dropout, const std::string& source) {
  const auto it = metadata.find(kDropoutKey);
  if (it == metadata.end()) return {has_dropout ? kDefaultDropout : 0.0f, has_dropout};
  const std::string& text = it->second;
  float p = 0.0f;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), p);
  if (ec != std::errc() || end != text.data() + text.size() || !(p >= 0.0f && p < 1.0f))
    throw std::runtime_error(fmt::format(
        "{}: metadata {} is '{}', expected a probability in [0, 1) (HINT: save the model again)",
        source, kDropoutKey, text));
  if ((p > 0.0f) != has_dropout)
    throw std::runtime_error(fmt::format(
        "{}: metadata {} is {} but the layer indices show {} (HINT: the metadata belongs to "
        "another model; save the model again)",
        source, kDropoutKey, text, has_dropout ? "Dropout layers" : "no Dropout layers"));
  return {p, false};
}

MlpArchitecture read_mlp_architecture(const StateDict& state, const Metadata& metadata,
                                      const std::string& source) {
  // Keys look like network.<index>.<name>; collect the Linear weights and BatchNorm layers.
  std::map<int64_t, Shape> linear_weights;
  std::map<int64_t, bool> batchnorms;
  for (const NamedTensor& t : state) {
    const std::string prefix = "network.";
    if (t.name.rfind(prefix, 0) != 0)
      throw std::runtime_error(
          fmt::format("{}: key '{}' is not part of an MLP saved by minigrad or "
                      "the documents' MyNN (expected network.<i>.<name>)",
                      source, t.name));
    const size_t dot = t.name.find('.', prefix.size());
    if (dot == std::string::npos)
      throw std::runtime_error(fmt::format("{}: malformed key '{}'", source, t.name));
    int64_t index = 0;
    try {
      index = std::stoll(t.name.substr(prefix.size(), dot - prefix.size()));
    } catch (const std::exception&) {
      throw std::runtime_error(fmt::format("{}: malformed key '{}'", source, t.name));
    }
    const std::string field = t.name.substr(dot + 1);
    if (field == "running_mean")
      batchnorms[index] = true;
    else if (field == "weight" && t.tensor.dim() == 2)
      linear_weights[index] = t.tensor.shape();
  }
  if (linear_weights.empty())
    throw std::runtime_error(
        fmt::format("{}: no Linear layer weights (network.<i>.weight) found", source));

  MlpArchitecture a;
  nn::MlpOptions& o = a.options;
  o.batchnorm = !batchnorms.empty();
  o.hidden.clear();
  std::vector<int64_t> indices;
  int64_t previous_out = -1;
  for (const auto& [index, shape] : linear_weights) {
    indices.push_back(index);
    if (previous_out >= 0 && shape[1] != previous_out)
      throw std::runtime_error(
          fmt::format("{}: network.{}.weight has shape {} but the layer before "
                      "gives {} features",
                      source, index, shape_str(shape), previous_out));
    if (previous_out < 0)
      o.in_features = shape[1];
    else
      o.hidden.push_back(previous_out);
    previous_out = shape[0];
  }
  o.classes = previous_out;
  // Layers per hidden block: Linear [+ BatchNorm] + ReLU [+ Dropout].
  const int64_t stride = indices.size() > 1 ? indices[1] - indices[0] : 2 + (o.batchnorm ? 1 : 0);
  const int64_t without_dropout = 2 + (o.batchnorm ? 1 : 0);
  if (stride != without_dropout && stride != without_dropout + 1)
    throw std::runtime_error(
        fmt::format("{}: layer indices {} do not match an MLP of Linear, "
                    "BatchNorm1d, ReLU and Dropout blocks",
                    source, fmt::join(indices, ", ")));
  const DropoutSetting dropout = read_dropout(metadata, stride == without_dropout + 1, source);
  a.options.dropout = dropout.p;
  a.dropout_assumed = dropout.assumed;
  return a;
}

std::optional<data::FeatureTransform> read_scaling(const Metadata& metadata,
                                                   const StateDict& extras,
                                                   const std::string& path) {
  const auto it = metadata.find(kScalingKey);
  if (it == metadata.end()) return std::nullopt;
  const std::string& how = it->second;
  if (how == "identity") return data::FeatureTransform::identity();
  if (how.rfind("divide:", 0) == 0)
    return data::FeatureTransform::divide_by(std::stof(how.substr(7)));
  if (how != "standardize")
    throw std::runtime_error(
        fmt::format("{}: unknown {} '{}' (expected divide:K, standardize or identity)", path,
                    kScalingKey, how));
  const Tensor* mean = nullptr;
  const Tensor* stddev = nullptr;
  for (const NamedTensor& t : extras) {
    if (t.name == kMeanKey) mean = &t.tensor;
    if (t.name == kStdKey) stddev = &t.tensor;
  }
  if (mean == nullptr || stddev == nullptr)
    throw std::runtime_error(
        fmt::format("{}: metadata says 'standardize' but the tensors {} and {} are missing", path,
                    kMeanKey, kStdKey));
  return data::FeatureTransform::standardize(mean->to_vector(), stddev->to_vector());
}

MlpCheckpoint mlp_from_contents(SafetensorsContents file, const std::string& path,
                                const std::string& name, Generator& gen) {
  const SplitState split = split_extras(std::move(file.tensors), kDefaultExtraPrefix);
  MlpCheckpoint loaded;
  loaded.architecture = read_mlp_architecture(split.own, file.metadata, path);
  nn::MlpOptions options = loaded.architecture.options;
  options.name = name;
  loaded.model = nn::make_mlp(options, gen);
  load_into(*loaded.model, split.own, /*strict=*/true, path);
  loaded.transform = read_scaling(file.metadata, split.extras, path);
  return loaded;
}

MlpCheckpoint load_mlp(const std::string& path, const std::string& name, Generator& gen) {
  return mlp_from_contents(load_safetensors_with_metadata(path), path, name, gen);
}

void write_scaling(const data::FeatureTransform& transform, Metadata& metadata, StateDict& extras) {
  using Kind = data::FeatureTransform::Kind;
  switch (transform.kind) {
    case Kind::Identity:
      metadata[kScalingKey] = "identity";
      break;
    case Kind::Divide:
      metadata[kScalingKey] = fmt::format("divide:{}", transform.divisor);
      break;
    case Kind::Standardize:
      // Extra tensors: PyTorch users drop the "preprocess." keys before load_state_dict.
      metadata[kScalingKey] = "standardize";
      extras.push_back({kMeanKey, Tensor::from(transform.mean), DType::F32});
      extras.push_back({kStdKey, Tensor::from(transform.stddev), DType::F32});
      break;
  }
}

SafetensorsContents mlp_contents(const nn::Mlp& model, const data::FeatureTransform& transform) {
  SafetensorsContents file{
      model.state_dict(),
      {{"format", "pt"}, {kDropoutKey, fmt::format("{}", model.options().dropout)}}};
  write_scaling(transform, file.metadata, file.tensors);
  return file;
}

void save_mlp(const nn::Mlp& model, const data::FeatureTransform& transform,
              const std::string& path) {
  const SafetensorsContents file = mlp_contents(model, transform);
  save_safetensors(path, file.tensors, file.metadata);
}

}  // namespace minigrad::io
