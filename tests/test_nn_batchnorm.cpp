// Tests of nn::BatchNorm1d and nn::BatchNorm2d: the documents' worked examples, PyTorch's golden
// values (forward, backward, running statistics with momentum and with the cumulative average),
// gradient checks in train and eval mode, the fused node against the same function built from
// elementary ops, and the errors. Golden values come from tests/reference/golden_nn.py,
// golden_conv.py (BatchNorm2d) and
// docs/semantics.md#batchnorm1d.
// "The documents": README.md#the-documents.
#include <doctest/doctest.h>

#include <barrier>
#include <cmath>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/nn/batchnorm.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/index.hpp"
#include "minigrad/ops/reduce.hpp"
#include "minigrad/gradcheck.hpp"
#include "support/pattern.hpp"

using namespace minigrad;
using nn::BatchNorm1d;

namespace {

// The function BatchNorm1d computes in training, composed from elementary ops so that autograd
// derives its backward independently of the fused formula.
Tensor composed_batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps) {
  Tensor mu = mean(x, 0, true);                   // (1, C)
  Tensor centred = x - mu;                        // (N, C)
  Tensor var = mean(centred * centred, 0, true);  // (1, C), biased
  Tensor xhat = centred / sqrt(var + eps);
  return xhat * gamma + beta;
}

}  // namespace

TEST_CASE("BatchNorm1d reproduces the documents' hand-worked example (±1.41, ±0.71, 0)") {
  // Neuron 1 sees 1..5 and neuron 2 sees 2..10 across a batch of five.
  BatchNorm1d bn(2);
  Tensor x = Tensor::from({{1, 2}, {2, 4}, {3, 6}, {4, 8}, {5, 10}});
  Tensor y = bn(x);
  const float expected[5] = {-1.41f, -0.71f, 0.0f, 0.71f, 1.41f};
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t c = 0; c < 2; ++c)
      CHECK(y.at({i, c}) == doctest::Approx(expected[i]).epsilon(0.005));
}

TEST_CASE("BatchNorm1d matches PyTorch's golden values (docs/semantics.md#batchnorm1d)") {
  BatchNorm1d bn(2);
  Tensor x = Tensor::from({{1, 2}, {3, 5}, {0, -1}, {4, 0}}).requires_grad_();
  Tensor y = bn(x);
  CHECK(max_abs_diff(y, {-0.6324543f, 0.2182177f, 0.6324543f, 1.5275238f, -1.2649086f, -1.0910884f,
                         1.2649086f, -0.6546531f}) < 1e-6);
  y.backward(Tensor::from({{1, 0}, {0, 1}, {-1, 2}, {0.5f, -0.5f}}));
  CHECK(max_abs_diff(x.grad(), {0.6798878f, -0.2649786f, -0.2055471f, 0.2182176f, -0.4585303f,
                                0.5611313f, -0.0158103f, -0.5143702f}) < 1e-6);
  CHECK(max_abs_diff(bn.weight().grad(), {1.2649086f, -0.3273265f}) < 1e-6);
  CHECK(max_abs_diff(bn.bias().grad(), {0.5f, 2.5f}) < 1e-6);
  CHECK(max_abs_diff(bn.running_mean(), {0.2f, 0.15f}) < 1e-6);
  CHECK(max_abs_diff(bn.running_var(), {1.2333333f, 1.6f}) < 1e-6);
  CHECK(bn.num_batches_tracked().item() == 1.0f);

  bn.eval();
  CHECK(max_abs_diff(bn(x), {0.7203573f, 1.4625490f, 2.5212507f, 3.8342500f, -0.1800893f,
                             -0.9091520f, 3.4216974f, -0.1185851f}) < 1e-6);
  CHECK(bn.num_batches_tracked().item() == 1.0f);  // eval leaves the statistics alone
  CHECK(max_abs_diff(bn.running_mean(), {0.2f, 0.15f}) < 1e-6);
}

TEST_CASE("BatchNorm1d's running_var is the unbiased variance (X3 case)") {
  BatchNorm1d bn(3);
  bn(Tensor::from({{1, 2, 3}, {2, 4, 6}, {4, 8, 12}, {7, 1, 0}}));
  CHECK(max_abs_diff(bn.running_mean(), {0.35f, 0.375f, 0.525f}) < 1e-6);
  // A biased implementation would give [1.425, 1.61875, 2.86875].
  CHECK(max_abs_diff(bn.running_var(), {1.6f, 1.8583333f, 3.525f}) < 1e-5);
}

TEST_CASE("BatchNorm1d reproduces the documents' NumPy-vs-PyTorch table (np.random.seed(42))") {
  // x = np.random.randn(4, 3) after np.random.seed(42), rounded to float32.
  Tensor x = Tensor::from(
      {0.496714153f, -0.138264301f, 0.647688538f, 1.52302986f, -0.234153375f, -0.234136957f,
       1.57921282f, 0.767434729f, -0.469474386f, 0.542560044f, -0.463417693f, -0.465729754f},
      {4, 3});
  BatchNorm1d bn(3);
  Tensor y = bn(x);
  // "PyTorch BatchNorm Output" as printed in the document.
  CHECK(max_abs_diff(y, {-1.043139f, -0.25883406f, 1.6942896f, 0.9443481f, -0.46367487f,
                         -0.22585502f, 1.0531478f, 1.6759443f, -0.7382941f, -0.95435715f,
                         -0.95343536f, -0.7301403f}) < 2e-6);
  // "Custom BatchNorm Output" (NumPy, float64), the same to float32 precision.
  CHECK(max_abs_diff(y, {-1.04313887f, -0.25883405f, 1.69428946f, 0.94434811f, -0.46367483f,
                         -0.22585502f, 1.05314787f, 1.67594423f, -0.73829412f, -0.95435711f,
                         -0.95343535f, -0.73014031f}) < 2e-6);
}

TEST_CASE("BatchNorm1d's backward reproduces the documents' NumPy layer (eps 1e-8)") {
  // np.random.seed(0); X = randn(5, 3); d_out = randn(5, 3), as float32.
  Tensor x = Tensor::from({1.76405235f, 0.400157208f, 0.978737984f, 2.2408932f, 1.86755799f,
                           -0.97727788f, 0.950088418f, -0.151357208f, -0.103218852f, 0.410598502f,
                           0.144043571f, 1.45427351f, 0.761037725f, 0.121675016f, 0.443863233f},
                          {5, 3})
                 .requires_grad_();
  Tensor d_out =
      Tensor::from({0.333674327f, 1.49407907f, -0.205158264f, 0.313067702f, -0.854095739f,
                    -2.55298982f, 0.653618595f, 0.864436199f, -0.74216502f, 2.26975462f,
                    -1.45436567f, 0.0457585173f, -0.18718385f, 1.53277921f, 1.46935877f},
                   {5, 3});
  BatchNorm1d bn(3, {.eps = 1e-8f});
  Tensor y = bn(x);
  // The document's "Forward pass output".
  CHECK(max_abs_diff(y, {0.79835038f, -0.10633531f, 0.7310406f, 1.50500184f, 1.9398276f,
                         -1.5772949f, -0.40789861f, -0.87537424f, -0.54579944f, -1.20739247f,
                         -0.46346352f, 1.29223008f, -0.68806115f, -0.49465453f, 0.09982365f}) <
        2e-6);
  y.backward(d_out);
  // The document's d_X, d_gamma and d_beta.
  CHECK(max_abs_diff(x.grad(),
                     {-1.62886563e-03f, 1.56315931f, -0.547883128f, 0.416198431f, -0.195247371f,
                      -0.873595579f, -0.292845494f, 0.115427271f, 0.170826155f, 1.59490467f,
                      -2.81277254f, -0.846188693f, -1.71662874f, 1.32943333f, 2.09684124f}) < 5e-6);
  CHECK(max_abs_diff(bn.weight().grad(), {-2.14074433f, -2.65652776f, 4.48771932f}) < 5e-6);
  CHECK(max_abs_diff(bn.bias().grad(), {3.3829314f, 1.58283307f, -1.98519581f}) < 5e-6);
}

TEST_CASE("BatchNorm1d with momentum nullopt keeps the cumulative average (golden)") {
  Tensor a = Tensor::from(
      {-0.820134521f, 0.395631164f,  0.898908496f,  -1.38840389f, -0.166996017f,  0.285149962f,
       -0.641091526f, -0.893655419f, -0.848908603f, -1.21692944f, -0.0810215846f, 1.36148512f,
       -1.3032167f,   0.0874783769f, -1.38496137f,  0.503563881f, -0.866701603f,  -0.564006686f,
       -2.05646253f,  -0.356722534f, 1.09558046f,   0.482354164f, 1.39891839f,    1.40585291f},
      {6, 4});
  Tensor b =
      Tensor::from({0.729126215f,   2.49423647f,   2.22363138f,   4.73556709f,  -0.0641577244f,
                    1.59828377f,    -1.84088898f,  0.673090219f,  1.26647961f,  1.36509085f,
                    -0.0292646885f, 2.6010375f,    -0.877678275f, -1.47393727f, 0.874865174f,
                    1.89901876f,    -0.771594405f, 3.39403677f,   1.93492413f,  0.712120056f},
                   {5, 4});
  BatchNorm1d bn(4, {.momentum = std::nullopt});
  CHECK(bn.extra_repr() == "4, eps=1e-05, momentum=None, affine=True, track_running_stats=True");
  bn(a);
  bn(b);
  CHECK(bn.num_batches_tracked().item() == 2.0f);
  CHECK(max_abs_diff(bn.running_mean(), {-0.21431388f, 0.693577528f, 0.160850868f, 1.11476016f}) <
        1e-6);
  CHECK(max_abs_diff(bn.running_var(), {0.802111089f, 1.90366173f, 2.23024988f, 2.08668423f}) <
        1e-6);
  // The same thing said differently: the plain average of the two batch means.
  const std::vector<float> ma = mean(a, 0).to_vector(), mb = mean(b, 0).to_vector();
  for (int64_t c = 0; c < 4; ++c)
    CHECK(bn.running_mean().at({c}) == doctest::Approx((ma[c] + mb[c]) / 2).epsilon(1e-5));
}

TEST_CASE("BatchNorm1d without running statistics or affine parameters (golden)") {
  BatchNorm1d bn(4, {.affine = false, .track_running_stats = false});
  CHECK(bn.state_dict().empty());
  CHECK(bn.parameters().empty());
  bn.eval();  // still normalises with the batch's own statistics
  Tensor b =
      Tensor::from({0.729126215f,   2.49423647f,   2.22363138f,   4.73556709f,  -0.0641577244f,
                    1.59828377f,    -1.84088898f,  0.673090219f,  1.26647961f,  1.36509085f,
                    -0.0292646885f, 2.6010375f,    -0.877678275f, -1.47393727f, 0.874865174f,
                    1.89901876f,    -0.771594405f, 3.39403677f,   1.93492413f,  0.712120056f},
                   {5, 4});
  CHECK(max_abs_diff(bn(b), {0.805226743f,  0.62122196f,    1.08040547f,   1.74504435f,
                             -0.144352376f, 0.0748505369f,  -1.67973971f,  -0.969668865f,
                             1.44845116f,   -0.0673555732f, -0.449497074f, 0.318664372f,
                             -1.11815524f,  -1.79865658f,   0.164481819f,  -0.150453269f,
                             -0.991170406f, 1.16993976f,    0.884349465f,  -0.943587542f}) < 2e-6);
  // Batch statistics need more than one row, in eval too (as in PyTorch).
  CHECK_THROWS_AS(bn(Tensor::ones({1, 4})), std::invalid_argument);
}

TEST_CASE("BatchNorm1d gradient checks in train and eval mode") {
  Generator gen(11);
  BatchNorm1d bn(3);
  bn.weight().data()[0] = 1.5f;  // γ and β away from 1 and 0 so their terms matter
  bn.weight().data()[2] = -0.7f;
  bn.bias().data()[1] = 0.3f;
  Tensor x = Tensor::randn({6, 3}, gen).requires_grad_();
  auto f = [&bn](const std::vector<Tensor>& in) { return bn(in[0]); };

  SUBCASE("train: batch statistics") {
    GradCheckResult r = gradcheck(f, {x, bn.weight(), bn.bias()});
    CHECK_MESSAGE(r.ok, r.report);
  }
  SUBCASE("eval: running statistics") {
    for (int i = 0; i < 3; ++i) bn(Tensor::randn({6, 3}, gen) * 2.0f + 1.0f);  // move the stats
    bn.eval();
    GradCheckResult r = gradcheck(f, {x, bn.weight(), bn.bias()});
    CHECK_MESSAGE(r.ok, r.report);
  }
  SUBCASE("no affine parameters") {
    BatchNorm1d plain(3, {.affine = false});
    GradCheckResult r =
        gradcheck([&plain](const std::vector<Tensor>& in) { return plain(in[0]); }, {x});
    CHECK_MESSAGE(r.ok, r.report);
  }
}

TEST_CASE("BatchNorm1d's fused node agrees with the same function built from elementary ops") {
  Generator gen(5);
  BatchNorm1d bn(4);
  bn.weight().copy_(Tensor::from({1.2f, 0.8f, -0.5f, 2.0f}));
  bn.bias().copy_(Tensor::from({0.1f, -0.2f, 0.3f, 0.0f}));
  Tensor x = Tensor::randn({7, 4}, gen).requires_grad_();
  Tensor x2 = x.detach().clone().requires_grad_();
  Tensor gamma = bn.weight().detach().clone().requires_grad_();
  Tensor beta = bn.bias().detach().clone().requires_grad_();
  Tensor dy = Tensor::randn({7, 4}, gen);

  Tensor fused = bn(x);
  Tensor composed = composed_batch_norm(x2, gamma, beta, 1e-5f);
  CHECK(max_abs_diff(fused, composed.to_vector()) < 1e-5);
  CHECK(fused.grad_fn()->name() == "batch_norm");  // one node, not a chain

  fused.backward(dy);
  composed.backward(dy);
  CHECK(max_abs_diff(x.grad(), x2.grad().to_vector()) < 1e-5);
  CHECK(max_abs_diff(bn.weight().grad(), gamma.grad().to_vector()) < 1e-5);
  CHECK(max_abs_diff(bn.bias().grad(), beta.grad().to_vector()) < 1e-5);
}

TEST_CASE("BatchNorm1d rejects a training batch of one row with PyTorch's explanation") {
  BatchNorm1d bn(128);
  try {
    bn(Tensor::ones({1, 128}));
    FAIL("a batch of one row must be rejected in training");
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    CHECK(
        msg.find("Expected more than 1 value per channel when training, got input size [1, 128]") !=
        std::string::npos);
    CHECK(msg.find("HINT") != std::string::npos);
  }
  CHECK(bn.num_batches_tracked().item() == 0.0f);  // the failed call changed nothing
  bn.eval();
  CHECK(bn(Tensor::ones({1, 128})).shape() == Shape{1, 128});  // eval with one row is fine
}

TEST_CASE("BatchNorm1d names a wrong input shape") {
  BatchNorm1d bn(64);
  try {
    bn(Tensor::ones({32, 128}));
    FAIL("a wrong feature count must be rejected");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("expected input of shape [N, 64] but got [32, 128]") !=
          std::string::npos);
  }
  CHECK_THROWS_AS(bn(Tensor::ones({64})), std::invalid_argument);
}

TEST_CASE("BatchNorm1d's names, repr and state_dict follow PyTorch") {
  BatchNorm1d bn(128);
  CHECK(bn.repr() ==
        "BatchNorm1d(128, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  StateDict sd = bn.state_dict();
  REQUIRE(sd.size() == 5);
  CHECK(sd[0].name == "weight");
  CHECK(sd[1].name == "bias");
  CHECK(sd[2].name == "running_mean");
  CHECK(sd[3].name == "running_var");
  CHECK(sd[4].name == "num_batches_tracked");
  CHECK(sd[4].dtype == DType::I64);
  CHECK(sd[4].tensor.shape() == Shape{});
  CHECK(sd[2].dtype == DType::F32);
  CHECK(bn.running_var().at({5}) == 1.0f);
  CHECK(bn.weight().at({5}) == 1.0f);
  CHECK(bn.bias().at({5}) == 0.0f);
  CHECK_THROWS_AS(BatchNorm1d(4, {.momentum = 1.5f}), std::invalid_argument);
}

// ---- BatchNorm2d: the same core over (N, C, H, W), statistics per channel over N, H and W ----

TEST_CASE("BatchNorm2d matches PyTorch over three training steps, then in eval") {
  nn::BatchNorm2d bn(3);
  bn.weight().copy_(Tensor::from({1.5f, -0.5f, 2.0f}));
  bn.bias().copy_(Tensor::from({0.25f, 0.0f, -1.0f}));
  Tensor y;
  for (int64_t step = 0; step < 3; ++step)
    y = bn(pattern({2, 3, 3, 2}, 7 + 2 * step, 3 + step, 19, 4.0 - static_cast<double>(step)));
  CHECK(
      max_abs_diff(y, {-0.592926621f, 2.4978044f,    0.25000003f,   -1.9978044f,    1.09292674f,
                       -1.15487766f,  -0.44337073f,  0.278046042f,  -0.713901997f,  0.00751475804f,
                       0.728931546f,  -0.263016522f, -3.33193612f,  0.827733696f,   -2.19748068f,
                       1.96218908f,   -1.06302536f,  -4.08823967f,  1.65487778f,    -0.592926621f,
                       2.4978044f,    0.25000003f,   -1.9978044f,   1.09292674f,    0.548577309f,
                       -0.44337073f,  0.278046042f,  -0.713901997f, 0.00751475804f, 0.728931546f,
                       -0.306721717f, -3.33193612f,  0.827733696f,  -2.19748068f,   1.96218908f,
                       -1.06302536f}) < 2e-6);
  CHECK(max_abs_diff(bn.running_mean(), {-0.0858124942f, -0.0418333337f, 0.129208326f}) < 1e-6);
  CHECK(max_abs_diff(bn.running_var(), {1.93083096f, 2.135144f, 1.91862309f}) < 1e-6);
  CHECK(bn.num_batches_tracked().item() == 3.0f);
  bn.eval();
  CHECK(max_abs_diff(bn(pattern({2, 3, 3, 2}, 7, 3, 19, 4.0)),
                     {-1.27659917f,  0.612505734f,  2.50161076f,   -0.736854911f,  1.15225005f,
                      -2.0862155f,   0.156775758f,  -0.442040354f, 0.584501565f,   -0.0143145565f,
                      -0.613130689f, 0.41341123f,   -0.46461767f,  2.06218934f,    -2.26947975f,
                      0.257327199f,  -4.07434177f,  -1.54753494f,  1.96186638f,    -1.27659917f,
                      0.612505734f,  2.50161076f,   -0.736854911f, 1.15225005f,    0.755591869f,
                      0.156775758f,  -0.442040354f, 0.584501565f,  -0.0143145565f, -0.613130689f,
                      -2.9914248f,   -0.46461767f,  2.06218934f,   -2.26947975f,   0.257327199f,
                      -4.07434177f}) < 2e-6);
}

TEST_CASE("BatchNorm2d's gradients match PyTorch (dx, dweight, dbias)") {
  nn::BatchNorm2d bn(3);
  bn.weight().copy_(Tensor::from({1.5f, -0.5f, 2.0f}));
  bn.bias().copy_(Tensor::from({0.25f, 0.0f, -1.0f}));
  Tensor x = pattern({2, 3, 3, 2}, 11, 5, 19, 2.0).requires_grad_();
  Tensor y = bn(x);
  y.backward(pattern(y.shape(), 3, 1, 11, 4.0));
  CHECK(max_abs_diff(x.grad(),
                     {-0.501565933f, 0.0418997407f, 0.374634057f,  0.707368374f,   -0.294531435f,
                      0.0382028967f, -0.119743884f, 0.209595039f,  0.117462397f,   -0.0491726957f,
                      -0.215807796f, 0.188033596f,  -0.401715696f, 0.376180172f,   0.79019469f,
                      -0.51174438f,  -0.097729899f, 0.316284567f,  -0.553324759f,  -0.220590383f,
                      0.322875321f,  0.655609608f,  -0.557021618f, -0.0135558806f, -0.11778833f,
                      -0.209921002f, 0.119417965f,  0.0272853021f, -0.139349788f,  0.189989135f,
                      -0.43757838f,  -0.023563901f, 0.754332006f,  -0.911488414f,  -0.133592576f,
                      0.280421913f}) < 1e-6);
  CHECK(max_abs_diff(bn.weight().grad(), {-1.26438999f, 1.44659066f, -1.60714507f}) < 1e-5);
  CHECK(max_abs_diff(bn.bias().grad(), {-2.0f, -0.25f, 1.5f}) < 1e-6);
}

TEST_CASE("BatchNorm2d with momentum 0.9 weights the new batch by 0.9 (golden, with 0.1)") {
  Tensor x = pattern({2, 2, 2, 2}, 7, 3, 19, 2.0);
  nn::BatchNorm2d pytorch_default(2), documents(2, {.momentum = 0.9f});
  pytorch_default(x);
  documents(x);
  CHECK(max_abs_diff(pytorch_default.running_mean(), {-0.0375000015f, 0.0562500022f}) < 1e-6);
  CHECK(max_abs_diff(pytorch_default.running_var(), {1.74107146f, 1.68169641f}) < 1e-6);
  CHECK(max_abs_diff(documents.running_mean(), {-0.337499976f, 0.506249964f}) < 1e-6);
  CHECK(max_abs_diff(documents.running_var(), {7.66964245f, 7.13526773f}) < 1e-5);
}

TEST_CASE("BatchNorm2d gradient checks in train and eval mode, and the fused node is exact") {
  Generator gen(17);
  nn::BatchNorm2d bn(3);
  bn.weight().copy_(Tensor::from({1.5f, 1.0f, -0.7f}));
  bn.bias().copy_(Tensor::from({0.0f, 0.3f, 0.1f}));
  Tensor x = Tensor::randn({3, 3, 3, 2}, gen).requires_grad_();
  auto f = [&bn](const std::vector<Tensor>& in) { return bn(in[0]); };
  SUBCASE("train: batch statistics") {
    GradCheckResult r = gradcheck(f, {x, bn.weight(), bn.bias()});
    CHECK_MESSAGE(r.ok, r.report);
  }
  SUBCASE("eval: running statistics") {
    for (int i = 0; i < 3; ++i) bn(Tensor::randn({2, 3, 3, 2}, gen) * 2.0f + 1.0f);
    bn.eval();
    GradCheckResult r = gradcheck(f, {x, bn.weight(), bn.bias()});
    CHECK_MESSAGE(r.ok, r.report);
  }
  SUBCASE("BatchNorm2d on (N, C, 1, 1) is BatchNorm1d on (N, C)") {
    nn::BatchNorm1d flat(3);
    flat.weight().copy_(bn.weight());
    flat.bias().copy_(bn.bias());
    Tensor rows = Tensor::randn({5, 3}, gen);
    CHECK(max_abs_diff(bn(rows.reshape({5, 3, 1, 1})), flat(rows).to_vector()) == 0.0);
    CHECK(max_abs_diff(bn.running_var(), flat.running_var().to_vector()) == 0.0);
  }
}

TEST_CASE("BatchNorm2d names a wrong input and needs more than one value per channel") {
  nn::BatchNorm2d bn(32);
  CHECK(bn.repr() ==
        "BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  CHECK_THROWS_WITH_AS(bn(Tensor::ones({8, 32})),
                       doctest::Contains("expected input of shape [N, 32, H, W] but got [8, 32]"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(bn(Tensor::ones({1, 32, 1, 1})),
                       doctest::Contains("Expected more than 1 value per channel when training"),
                       std::invalid_argument);
  CHECK(bn(Tensor::ones({1, 32, 2, 1})).shape() == Shape{1, 32, 2, 1});  // N·H·W = 2 is enough
  CHECK(bn.state_dict().size() == 5);
}

namespace {

// An all-reduce between two threads standing for two processes: each writes its buffer to its
// slot, both wait, each reads the sum, both wait again before a slot is reused.
struct TwoThreadSum {
  std::barrier<> sync{2};
  std::vector<double> slots[2];
  void operator()(int rank, std::span<double> v) {
    slots[rank].assign(v.begin(), v.end());
    sync.arrive_and_wait();
    for (size_t i = 0; i < v.size(); ++i) v[i] = slots[0][i] + slots[1][i];
    sync.arrive_and_wait();
  }
};

}  // namespace

TEST_CASE("synchronised BatchNorm1d on two halves computes what one layer does on the batch") {
  // Rows 0-3 and 4-6 of a (7, 3) batch (unequal halves, as a remainder gives); the loss
  // Σ y·w makes dy = w, different in every element.
  const Tensor x = pattern({7, 3}, 5, 2, 23, 4.0), w = pattern({7, 3}, 7, 3, 19, 8.0);
  BatchNorm1d whole(3);
  Tensor xw = x.clone();
  xw.requires_grad_();
  const Tensor y = whole(xw);
  sum(y * w).backward();

  BatchNorm1d part[2] = {BatchNorm1d(3), BatchNorm1d(3)};
  Tensor xs[2], ys[2];
  TwoThreadSum reduce;
  auto run = [&](int r) {
    const int64_t begin = r == 0 ? 0 : 4, rows = r == 0 ? 4 : 3;
    part[r].set_all_reduce([&reduce, r](std::span<double> v) { reduce(r, v); });
    xs[r] = narrow(x, 0, begin, rows);
    xs[r].requires_grad_();
    ys[r] = part[r](xs[r]);
    sum(ys[r] * narrow(w, 0, begin, rows)).backward();
  };
  std::thread other(run, 1);
  run(0);
  other.join();

  for (int r = 0; r < 2; ++r) {
    const int64_t begin = r == 0 ? 0 : 4;
    for (int64_t k = 0; k < xs[r].numel(); ++k) {
      CHECK(xs[r].grad().data()[k] ==
            doctest::Approx(xw.grad().data()[begin * 3 + k]).epsilon(1e-5));
      CHECK(ys[r].data()[k] == doctest::Approx(y.data()[begin * 3 + k]).epsilon(1e-5));
    }
  }
  for (int64_t c = 0; c < 3; ++c) {
    // dγ and dβ stay per process: their sum is the whole batch's (the data-parallel step adds).
    CHECK(part[0].weight().grad().data()[c] + part[1].weight().grad().data()[c] ==
          doctest::Approx(whole.weight().grad().data()[c]).epsilon(1e-5));
    CHECK(part[0].bias().grad().data()[c] + part[1].bias().grad().data()[c] ==
          doctest::Approx(whole.bias().grad().data()[c]).epsilon(1e-5));
    // Running statistics of the whole batch (unbiased variance over 7 rows), on both halves.
    for (int r = 0; r < 2; ++r) {
      CHECK(part[r].running_mean().data()[c] ==
            doctest::Approx(whole.running_mean().data()[c]).epsilon(1e-6));
      CHECK(part[r].running_var().data()[c] ==
            doctest::Approx(whole.running_var().data()[c]).epsilon(1e-6));
    }
  }
}
