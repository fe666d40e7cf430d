// Checkpoints: a module's state_dict, plus optional extras under a key prefix, in one safetensors
// file. The module's own keys are loaded strictly; the extras are handed back to the caller.
#include "minigrad/io/checkpoint.hpp"

#include <fmt/format.h>

#include <set>
#include <stdexcept>
#include <string_view>

namespace minigrad::io {

namespace {

bool has_prefix(std::string_view name, std::string_view prefix) {
  return name.substr(0, prefix.size()) == prefix;
}

}  // namespace

void save(const nn::Module& module, const std::string& path, const StateDict& extras,
          const std::string& extra_prefix) {
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
  save_safetensors(path, state);
}

StateDict load(nn::Module& module, const std::string& path, bool strict,
               const std::string& extra_prefix) {
  StateDict own, extras;
  for (NamedTensor& nt : load_safetensors(path)) {
    if (!extra_prefix.empty() && has_prefix(nt.name, extra_prefix))
      extras.push_back(std::move(nt));
    else
      own.push_back(std::move(nt));
  }
  try {
    module.load_state_dict(own, strict);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("{}: {}", path, e.what()));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(fmt::format("{}: {}", path, e.what()));
  }
  return extras;
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

}  // namespace minigrad::io
