// Dropout: inverted dropout, as torch.nn.Dropout. In training each element is kept with
// probability 1-p and scaled by 1/(1-p), so eval is a plain identity. The mask comes from the
// module's own Generator (seed it for a reproducible run) and is one fused graph node.
// Leaves out: inplace, Dropout2d/AlphaDropout.
#pragma once

#include <cstdint>
#include <string>

#include "minigrad/generator.hpp"
#include "minigrad/nn/module.hpp"

namespace minigrad::nn {

class Dropout : public Module {
 public:
  /// p in [0, 1] is the probability of zeroing an element; anything else throws.
  explicit Dropout(float p = 0.5f, uint64_t seed = 0);
  /// Takes over `gen` (a copy) as this module's own source of masks.
  Dropout(float p, const Generator& gen);

  /// x (...) -> y (...). Training: y = x·m/(1-p), m ~ Bernoulli(1-p) (p = 1: all zeros).
  /// Eval, or p = 0: returns x itself (no copy, no graph node).
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Dropout"; }
  /// "p=0.3, inplace=False".
  std::string extra_repr() const override;

  float p() const { return p_; }
  /// Reseeds the mask generator: the next forward draws the same mask as after construction
  /// with this seed.
  void manual_seed(uint64_t seed) { gen_.manual_seed(seed); }
  Generator& generator() { return gen_; }

 private:
  float p_;
  Generator gen_;
};

}  // namespace minigrad::nn
