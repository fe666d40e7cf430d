// Tabular model files: safetensors weights plus preprocessing and MLP shape in the metadata.
#include "minigrad/tabular/model_file.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <filesystem>

#include "minigrad/generator.hpp"
#include "minigrad/io/safetensors.hpp"

namespace minigrad::tabular {

using nlohmann::json;

TabularModel make_model(const Preprocessing& prep, nn::MlpOptions shape, uint64_t seed) {
  shape.in_features = prep.num_inputs();
  shape.classes = prep.num_outputs();
  Generator gen(seed);
  return {prep, shape, nn::make_mlp(shape, gen)};
}

void save_model(const std::string& path, const TabularModel& m) {
  const json shape = {
      {"hidden", m.mlp.hidden}, {"batchnorm", m.mlp.batchnorm}, {"dropout", m.mlp.dropout}};
  io::save_safetensors(
      path, m.model->state_dict(),
      {{"format", "pt"}, {kPreprocessingKey, to_json(m.prep)}, {kModelKey, shape.dump()}});
}

TabularModel load_model(const std::string& path) {
  if (!std::filesystem::exists(path))
    throw DataError(fmt::format("{}: No such file (HINT: a model is written by "
                                "`minigrad train --save`)",
                                path));
  const io::SafetensorsContents file = io::load_safetensors_with_metadata(path);
  const auto prep_it = file.metadata.find(kPreprocessingKey);
  const auto model_it = file.metadata.find(kModelKey);
  if (prep_it == file.metadata.end() || model_it == file.metadata.end())
    throw DataError(
        fmt::format("{}: the model file has weights but no preprocessing metadata "
                    "('{}'), so its columns are unknown (HINT: was it saved by "
                    "train_csv or PyTorch? Train it with `minigrad train --save`)",
                    path, kPreprocessingKey));
  const Preprocessing prep = preprocessing_from_json(prep_it->second, path);
  nn::MlpOptions shape;
  try {
    const json j = json::parse(model_it->second);
    shape.hidden = j.at("hidden").get<std::vector<int64_t>>();
    shape.batchnorm = j.at("batchnorm").get<bool>();
    shape.dropout = j.at("dropout").get<float>();
  } catch (const json::exception& e) {
    throw DataError(
        fmt::format("{}: the metadata '{}' is malformed: {}", path, kModelKey, e.what()));
  }
  TabularModel m = make_model(prep, shape, 0);
  try {
    m.model->load_state_dict(file.tensors, true);
  } catch (const std::exception& e) {
    throw DataError(
        fmt::format("{}: the weights do not fit the preprocessing metadata: {}", path, e.what()));
  }
  m.model->eval();
  return m;
}

}  // namespace minigrad::tabular
