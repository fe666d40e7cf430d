// The preprocessing as JSON, stored in the model file's safetensors "__metadata__" so that
// predict needs nothing but the model file. Reading it back checks every key and names the one
// that is missing or has the wrong type.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "minigrad/tabular/preprocessing.hpp"

namespace minigrad::tabular {

using nlohmann::json;

std::string to_json(const Preprocessing& p) {
  json features = json::array();
  for (const ColumnEncoding& f : p.features) {
    json c = {{"name", f.name}};
    if (f.kind == ColumnKind::Numeric) {
      c["type"] = "numeric";
      c["median"] = f.median;
      c["mean"] = f.mean;
      c["std"] = f.std;
      c["missing_indicator"] = f.missing_indicator;
    } else {
      c["type"] = "categorical";
      c["forced"] = f.forced;
      c["categories"] = f.categories;
      c["missing_category"] = f.missing_category;
    }
    features.push_back(std::move(c));
  }
  json j = {{"version", 1},
            {"label", p.label},
            {"task", task_name(p.task)},
            {"task_reason", p.task_reason},
            {"features", std::move(features)},
            {"ignored", p.ignored},
            {"na_values", p.na_values}};
  if (p.task == Task::Classification)
    j["classes"] = p.classes;
  else
    j["target"] = {{"mean", p.target_mean}, {"std", p.target_std}};
  return j.dump();
}

namespace {

// Reads j[key] as T; a DataError names the source and the key's path otherwise.
template <class T>
T get(const json& j, const std::string& key, const std::string& where, const std::string& source) {
  if (!j.is_object() || !j.contains(key))
    throw DataError(fmt::format("{}: the preprocessing metadata lacks '{}{}'", source, where, key));
  try {
    return j.at(key).get<T>();
  } catch (const json::exception&) {
    throw DataError(fmt::format("{}: the preprocessing metadata's '{}{}' has the wrong type ({})",
                                source, where, key, j.at(key).type_name()));
  }
}

// A statistic the encoder uses in float: finite there (and positive for a standard deviation).
double stat(const json& j, const std::string& key, const std::string& where,
            const std::string& source, bool positive = false) {
  const auto v = get<double>(j, key, where, source);
  const auto f = static_cast<float>(v);
  if (std::isfinite(v) && std::isfinite(f) && (!positive || (f > 0.0f && std::isfinite(1.0f / f))))
    return v;
  throw DataError(fmt::format("{}: the preprocessing metadata's '{}{}' is {}, expected a {} number",
                              source, where, key, v, positive ? "positive float32" : "float32"));
}

}  // namespace

Preprocessing preprocessing_from_json(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {  // a syntax error, or a number beyond double (1e999)
    throw DataError(
        fmt::format("{}: the preprocessing metadata is not valid JSON: {}", source, e.what()));
  }
  Preprocessing p;
  if (const json version = get<json>(j, "version", "", source); version != 1)
    throw DataError(
        fmt::format("{}: preprocessing version {} is not the one this minigrad reads (1)", source,
                    version.dump()));
  p.label = get<std::string>(j, "label", "", source);
  const std::string task = get<std::string>(j, "task", "", source);
  if (task == "classification") {
    p.task = Task::Classification;
    p.classes = get<std::vector<std::string>>(j, "classes", "", source);
    if (p.classes.size() < 2)
      throw DataError(
          fmt::format("{}: the preprocessing metadata has fewer than 2 classes", source));
  } else if (task == "regression") {
    p.task = Task::Regression;
    const json target = j.value("target", json());
    p.target_mean = stat(target, "mean", "target.", source);
    p.target_std = stat(target, "std", "target.", source, true);
  } else {
    throw DataError(
        fmt::format("{}: the preprocessing metadata's 'task' is '{}'; expected "
                    "classification or regression",
                    source, task));
  }
  if (j.contains("task_reason")) p.task_reason = get<std::string>(j, "task_reason", "", source);
  p.ignored = get<std::vector<std::string>>(j, "ignored", "", source);
  p.na_values = get<std::vector<std::string>>(j, "na_values", "", source);
  const json features = get<json>(j, "features", "", source);
  if (!features.is_array() || features.empty())
    throw DataError(
        fmt::format("{}: the preprocessing metadata's 'features' must be a non-empty "
                    "list",
                    source));
  for (size_t i = 0; i < features.size(); ++i) {
    const json& c = features[i];
    const std::string where = fmt::format("features[{}].", i);
    ColumnEncoding f;
    f.name = get<std::string>(c, "name", where, source);
    const std::string type = get<std::string>(c, "type", where, source);
    if (type == "numeric") {
      f.kind = ColumnKind::Numeric;
      f.median = stat(c, "median", where, source);
      f.mean = stat(c, "mean", where, source);
      f.std = stat(c, "std", where, source, true);
      // A missing cell becomes (median - mean) / std: that too must be finite in float.
      if (!std::isfinite((static_cast<float>(f.median) - static_cast<float>(f.mean)) *
                         (1.0f / static_cast<float>(f.std))))
        throw DataError(
            fmt::format("{}: the preprocessing metadata's '{}median', '{}mean' and "
                        "'{}std' standardise to a non-finite value",
                        source, where, where, where));
      f.missing_indicator = get<bool>(c, "missing_indicator", where, source);
    } else if (type == "categorical") {
      f.kind = ColumnKind::Categorical;
      f.forced = get<bool>(c, "forced", where, source);
      f.categories = get<std::vector<std::string>>(c, "categories", where, source);
      f.missing_category = get<bool>(c, "missing_category", where, source);
      if (!std::is_sorted(f.categories.begin(), f.categories.end()))
        throw DataError(
            fmt::format("{}: the preprocessing metadata's '{}categories' are not "
                        "sorted",
                        source, where));
    } else {
      throw DataError(
          fmt::format("{}: the preprocessing metadata's '{}type' is '{}'; expected "
                      "numeric or categorical",
                      source, where, type));
    }
    p.features.push_back(std::move(f));
  }
  return p;
}

}  // namespace minigrad::tabular
