// Tabular model files: safetensors weights plus preprocessing and the MLP's or CNN's shape in the
// metadata.
#include "minigrad/tabular/model_file.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "minigrad/generator.hpp"
#include "minigrad/io/model_checkpoint.hpp"
#include "minigrad/io/safetensors.hpp"
#include "minigrad/train/resume_state.hpp"

namespace minigrad::tabular {

using nlohmann::json;

TabularModel make_model(const Preprocessing& prep, nn::MlpOptions shape, uint64_t seed) {
  shape.in_features = prep.num_inputs();
  shape.classes = prep.num_outputs();
  Generator gen(seed);
  return {prep, shape, std::nullopt, nn::make_mlp(shape, gen)};
}

TabularModel make_cnn_model(const Preprocessing& prep, nn::CnnOptions shape, uint64_t seed) {
  for (const ColumnEncoding& f : prep.features)
    if (f.width() != 1)
      throw std::invalid_argument(fmt::format(
          "--model cnn: column '{}' is {}, but a CNN reads one number per pixel (HINT: leave it "
          "out with --ignore '{}')",
          f.name,
          f.kind == ColumnKind::Numeric ? "numeric with a missing-cell indicator input"
                                        : fmt::format("categorical ({} one-hot inputs)", f.width()),
          f.name));
  const int64_t pixels = shape.channels * shape.height * shape.width;
  if (pixels != prep.num_inputs())
    throw std::invalid_argument(fmt::format(
        "--model cnn: the table has {} pixel columns, which is not the {} pixels of a {} image "
        "(HINT: give the image shape with --image CxHxW, e.g. --image 3x32x32 for 3072 columns)",
        prep.num_inputs(), pixels, io::image_shape_str(shape)));
  shape.classes = prep.num_outputs();
  shape.name = "CNN";
  Generator gen(seed);
  return {prep, nn::MlpOptions{}, shape, nn::make_cnn(shape, gen)};
}

io::SafetensorsContents model_file_contents(const TabularModel& m) {
  json shape = {
      {"hidden", m.mlp.hidden}, {"batchnorm", m.mlp.batchnorm}, {"dropout", m.mlp.dropout}};
  if (m.cnn)
    shape = {{"model", "cnn"},
             {"image", io::image_shape_str(*m.cnn)},
             {"conv_channels", m.cnn->conv_channels},
             {"hidden", m.cnn->hidden},
             {"dropout", m.cnn->dropout}};
  return {m.model->state_dict(),
          {{"format", "pt"}, {kPreprocessingKey, to_json(m.prep)}, {kModelKey, shape.dump()}}};
}

void save_model(const std::string& path, const TabularModel& m) {
  const io::SafetensorsContents file = model_file_contents(m);
  io::save_safetensors(path, file.tensors, file.metadata);
}

TabularModel load_model(const std::string& path) {
  if (!std::filesystem::exists(path))
    throw DataError(
        fmt::format("{}: No such file (HINT: a model is written by "
                    "`minigrad train --save`)",
                    path));
  const io::SafetensorsContents file = io::load_safetensors_with_metadata(path);
  if (train::is_resume_checkpoint(file.metadata))
    throw DataError(fmt::format(
        "{}: the file is a resume checkpoint, which holds an optimizer's state beside the model "
        "(HINT: continue that run with its flags and `minigrad train --resume {}`; the model is "
        "the --save file the finished run writes)",
        path, path));
  return model_from_file_contents(file, path);
}

TabularModel model_from_file_contents(const io::SafetensorsContents& file,
                                      const std::string& path) {
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
  std::optional<nn::CnnOptions> cnn;
  try {
    const json j = json::parse(model_it->second);
    if (j.value("model", "mlp") == "cnn") {
      cnn = io::parse_image_shape(j.at("image").get<std::string>(), "image");
      cnn->conv_channels = j.at("conv_channels").get<std::vector<int64_t>>();
      cnn->hidden = j.at("hidden").get<int64_t>();
      cnn->dropout = j.at("dropout").get<float>();
    } else {
      shape.hidden = j.at("hidden").get<std::vector<int64_t>>();
      shape.batchnorm = j.at("batchnorm").get<bool>();
      shape.dropout = j.at("dropout").get<float>();
    }
  } catch (const std::exception& e) {  // json errors and a bad image shape
    throw DataError(
        fmt::format("{}: the metadata '{}' is malformed: {}", path, kModelKey, e.what()));
  }
  TabularModel m;
  try {
    m = cnn ? make_cnn_model(prep, *cnn, 0) : make_model(prep, shape, 0);
  } catch (const std::invalid_argument& e) {
    throw DataError(
        fmt::format("{}: the model does not fit its preprocessing metadata: {}", path, e.what()));
  }
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
