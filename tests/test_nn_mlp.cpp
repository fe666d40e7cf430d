// Tests of make_mlp(): the documents' MyNN structure (state_dict keys, 109,770 parameters, print
// output), one training step against PyTorch's numbers for the same weights, eval output that
// does not depend on the rest of the batch, reproducibility from one seed, and gradient checks.
// "The documents": README.md#the-documents.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/nn/batchnorm.hpp"
#include "minigrad/nn/dropout.hpp"
#include "minigrad/nn/linear.hpp"
#include "minigrad/nn/loss.hpp"
#include "minigrad/nn/mlp.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/gradcheck.hpp"

using namespace minigrad;
using namespace minigrad::nn;

TEST_CASE("make_mlp builds the documents' MyNN: keys, dtypes and 109,770 parameters") {
  Generator gen(0);
  auto model = make_mlp({}, gen);
  CHECK(model->num_parameters() == 109770);
  std::vector<std::string> names;
  for (const NamedTensor& nt : model->state_dict()) names.push_back(nt.name);
  const std::vector<std::string> expected = {"network.0.weight",
                                             "network.0.bias",
                                             "network.1.weight",
                                             "network.1.bias",
                                             "network.1.running_mean",
                                             "network.1.running_var",
                                             "network.1.num_batches_tracked",
                                             "network.4.weight",
                                             "network.4.bias",
                                             "network.5.weight",
                                             "network.5.bias",
                                             "network.5.running_mean",
                                             "network.5.running_var",
                                             "network.5.num_batches_tracked",
                                             "network.8.weight",
                                             "network.8.bias"};
  CHECK(names == expected);
  for (const NamedTensor& nt : model->state_dict())
    CHECK(nt.dtype ==
          (nt.name.find("num_batches_tracked") != std::string::npos ? DType::I64 : DType::F32));
  CHECK(model->network()->at<Linear>(0)->weight().shape() == Shape{128, 784});
  CHECK(model->network()->at<Linear>(8)->weight().shape() == Shape{10, 64});
  CHECK(model->network()->at<Dropout>(3)->p() == doctest::Approx(0.3));
}

TEST_CASE("make_mlp's model prints like the documents' print(model)") {
  Generator gen(0);
  MlpOptions options;
  options.name = "MyNN";
  CHECK(
      make_mlp(options, gen)->repr() ==
      "MyNN(\n"
      "  (network): Sequential(\n"
      "    (0): Linear(in_features=784, out_features=128, bias=True)\n"
      "    (1): BatchNorm1d(128, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
      "    (2): ReLU()\n"
      "    (3): Dropout(p=0.3, inplace=False)\n"
      "    (4): Linear(in_features=128, out_features=64, bias=True)\n"
      "    (5): BatchNorm1d(64, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
      "    (6): ReLU()\n"
      "    (7): Dropout(p=0.3, inplace=False)\n"
      "    (8): Linear(in_features=64, out_features=10, bias=True)\n"
      "  )\n"
      ")");
}

TEST_CASE("make_mlp's options: hidden sizes, no batchnorm, no dropout") {
  Generator gen(1);
  auto model = make_mlp(
      {.in_features = 6, .hidden = {5}, .classes = 3, .batchnorm = false, .dropout = 0.0f}, gen);
  CHECK(model->network()->size() == 3);  // Linear, ReLU, Linear
  const auto params = model->named_parameters();
  REQUIRE(params.size() == 4);
  CHECK(params[2].first == "network.2.weight");
  CHECK(model->num_parameters() == 6 * 5 + 5 + 5 * 3 + 3);
  auto deep = make_mlp({.in_features = 4, .hidden = {8, 8, 8}, .classes = 2}, gen);
  CHECK(deep->network()->size() == 13);
  CHECK_THROWS_AS(make_mlp({.dropout = 1.5f}, gen), std::invalid_argument);
  CHECK_THROWS_AS(make_mlp({.classes = 0}, gen), std::invalid_argument);
}

TEST_CASE("one seed fixes the weights and every dropout mask") {
  Generator g1(7), g2(7), g3(8);
  auto a = make_mlp({.in_features = 10, .hidden = {16, 8}, .classes = 4}, g1);
  auto b = make_mlp({.in_features = 10, .hidden = {16, 8}, .classes = 4}, g2);
  auto c = make_mlp({.in_features = 10, .hidden = {16, 8}, .classes = 4}, g3);
  Generator data(1);
  Tensor x = Tensor::randn({12, 10}, data);
  CHECK(a->state_dict()[0].tensor.to_vector() == b->state_dict()[0].tensor.to_vector());
  const std::vector<float> ya = (*a)(x).to_vector();
  CHECK(ya == (*b)(x).to_vector());  // training mode: the masks match too
  CHECK(ya != (*c)(x).to_vector());
  // The two Dropout layers draw from different generators.
  CHECK(a->network()->at<Dropout>(3)->generator().next_u64() !=
        a->network()->at<Dropout>(7)->generator().next_u64());
}

TEST_CASE("eval output of a row does not depend on the rest of the batch") {
  Generator gen(3);
  auto model = make_mlp({.in_features = 20, .hidden = {32, 16}, .classes = 5}, gen);
  for (int step = 0; step < 3; ++step) (*model)(Tensor::randn({16, 20}, gen) * 2.0f + 0.5f);
  model->eval();
  CHECK_FALSE(model->network()->at<BatchNorm1d>(1)->is_training());
  CHECK_FALSE(model->network()->at<Dropout>(3)->is_training());
  Tensor batch = Tensor::randn({9, 20}, gen);
  Tensor together = (*model)(batch);
  for (int64_t i = 0; i < 9; ++i) {
    Tensor row = Tensor::from(
        std::vector<float>(batch.data() + i * 20, batch.data() + (i + 1) * 20), {1, 20});
    Tensor alone = (*model)(row);
    for (int64_t c = 0; c < 5; ++c)
      CHECK(alone.at({0, c}) == doctest::Approx(together.at({i, c})).epsilon(1e-5));
  }
  // In training mode the same comparison must fail: batch statistics couple the rows.
  model->train();
  model->network()->at<Dropout>(3)->eval();
  model->network()->at<Dropout>(7)->eval();
  Tensor first_two = Tensor::from(std::vector<float>(batch.data(), batch.data() + 40), {2, 20});
  CHECK((*model)(first_two).at({0, 0}) !=
        doctest::Approx((*model)(batch).at({0, 0})).epsilon(1e-3));
}

// The golden values of this test come from tests/reference/golden_nn.py (a PyTorch Sequential
// 6 -> 5 -> 4 -> 3 with the same layers, γ and β drawn away from 1 and 0).
TEST_CASE("one training step of a small MyNN matches PyTorch (forward, loss, every gradient)") {
  Generator gen(0);
  auto model = make_mlp({.in_features = 6, .hidden = {5, 4}, .classes = 3}, gen);
  auto f32 = [](const std::vector<float>& v, const Shape& s) { return Tensor::from(v, s); };
  StateDict sd = {
      {"network.0.weight",
       f32({-0.404767156f,  -0.322051287f, -0.174858898f, -0.386239767f,  -0.0231767781f,
            -0.359163553f,  0.221977547f,  0.198979706f,  0.0770945996f,  0.31668365f,
            -0.0399827547f, 0.244533092f,  -0.285903722f, -0.0804503784f, -0.364013016f,
            -0.0331454799f, -0.264867216f, 0.36675629f,   0.283584505f,   0.306068838f,
            0.121094957f,   -0.232899338f, 0.366856009f,  -0.398361593f,  -0.260562688f,
            -0.254979491f,  -0.169223249f, 0.0814036205f, -0.309243768f,  -0.314517915f},
           {5, 6})},
      {"network.0.bias",
       f32({-0.19524096f, 0.249171823f, -0.294459611f, -0.366156369f, -0.353832245f}, {5})},
      {"network.1.weight",
       f32({1.30723548f, 1.17283142f, 1.0605793f, 1.4180975f, 1.11395264f}, {5})},
      {"network.1.bias",
       f32({0.336415589f, -0.430901229f, -0.430855334f, -0.451297164f, 0.028303802f}, {5})},
      {"network.1.running_mean", Tensor::zeros({5})},
      {"network.1.running_var", Tensor::ones({5})},
      {"network.1.num_batches_tracked", Tensor::scalar(0), DType::I64},
      {"network.4.weight",
       f32({-0.220067203f, -0.11750453f,   -0.443345696f,  -0.209379837f,  0.00860333256f,
            0.0737205446f, -0.0641120672f, -0.0507074036f, -0.290945679f,  0.229110196f,
            -0.107735954f, -0.305767447f,  -0.107699916f,  -0.0624782145f, 0.413496256f,
            0.233068988f,  -0.180579305f,  -0.0634469986f, 0.395188957f,   0.287306428f},
           {4, 5})},
      {"network.4.bias", f32({0.111505754f, -0.160422832f, 0.372116089f, 0.191599861f}, {4})},
      {"network.5.weight", f32({1.42430854f, 0.563657999f, 1.19895005f, 0.558759391f}, {4})},
      {"network.5.bias", f32({-0.332282066f, -0.170501769f, -0.203318596f, 0.147684097f}, {4})},
      {"network.5.running_mean", Tensor::zeros({4})},
      {"network.5.running_var", Tensor::ones({4})},
      {"network.5.num_batches_tracked", Tensor::scalar(0), DType::I64},
      {"network.8.weight",
       f32({-0.222687483f, 0.35482955f, 0.0356363654f, -0.369778275f, -0.221618652f, -0.374469757f,
            -0.414124906f, 0.0122233629f, -0.358315229f, 0.266475618f, 0.22361213f, 0.107554913f},
           {3, 4})},
      {"network.8.bias", f32({0.411983013f, -0.226810038f, 0.00745612383f}, {3})},
  };
  model->load_state_dict(sd);
  Tensor x = f32(
      {-0.353134871f, -0.838797927f, -1.23286414f,    -0.680596054f, -0.496350229f,  -0.601576507f,
       -0.477520764f, -0.298764795f, -0.20898445f,    -3.11167479f,  -0.426009506f,  1.3343091f,
       -0.328160495f, 1.62163591f,   0.85939914f,     0.699559867f,  1.56593478f,    0.532029271f,
       -1.43870008f,  1.65513659f,   -0.381512165f,   0.505234361f,  0.583146334f,   -0.0215291698f,
       -0.863596797f, -0.207821161f, 0.674941242f,    -0.328247428f, -0.470908821f,  0.0301819388f,
       0.159570545f,  0.399835527f,  0.000443184137f, -0.577350318f, 1.00481546f,    -0.946484208f,
       -0.126346514f, 0.311359942f,  2.46668792f,     -1.0854398f,   -0.0501726978f, 0.545693934f,
       1.00365329f,   -0.667911768f, -1.01386464f,    -1.19001031f,  0.463432789f,   0.47954601f},
      {8, 6});
  Tensor target = Tensor::from({0, 2, 1, 1, 0, 2, 2, 1});

  model->train();
  model->network()->at<Dropout>(3)->eval();  // masks cannot be matched across libraries
  model->network()->at<Dropout>(7)->eval();
  Tensor logits = (*model)(x);
  CHECK(max_abs_diff(logits,
                     {0.368344188f,  -1.33205962f,  0.781622171f,  0.358918399f,   -0.225055933f,
                      0.022890674f,  0.411983013f,  -0.226810038f, 0.00745612383f, 0.174725205f,
                      -0.46292907f,  -0.37430346f,  0.317705989f,  -0.938738585f,  0.135269716f,
                      0.0514508188f, -0.214892313f, 0.11232169f,   0.15947786f,    -0.47810325f,
                      -0.398837239f, 0.211009815f,  -0.426818609f, -0.315919727f}) < 2e-6);
  Tensor loss = CrossEntropyLoss()(logits, target);
  CHECK(loss.item() == doctest::Approx(1.17178559).epsilon(1e-6));
  loss.backward();

  auto grad = [&model](const std::string& name) {
    for (const auto& [n, p] : model->named_parameters())
      if (n == name) return p.grad();
    FAIL("no parameter " << name);
    return Tensor();
  };
  const double tol = 2e-6;
  CHECK(max_abs_diff(
            grad("network.0.weight"),
            {-0.00925591402f, -0.0309831537f,  -0.00718337903f,  0.0503837578f,   -0.0323368944f,
             -0.0103852563f,  -0.0123860389f,  0.0114488099f,    -0.0377597064f,  0.0192099456f,
             0.0071554617f,   -0.00987761188f, -0.000564428105f, 0.00621167151f,  0.00832566898f,
             -0.00899180863f, 0.00298977364f,  0.0105323475f,    -0.00530437194f, 0.0406286828f,
             -0.0413154922f,  0.048582729f,    0.0393892117f,    0.0227564443f,   -0.0111270798f,
             -0.00656356942f, 0.00910023972f,  0.00795774441f,   -0.0208677687f,  0.0322162546f}) <
        tol);
  // A bias right before a BatchNorm gets (numerically) no gradient: the batch mean removes it.
  CHECK(max_abs_diff(grad("network.0.bias"), {0, 0, 0, 0, 0}) < tol);
  CHECK(max_abs_diff(grad("network.1.weight"), {-0.000129961278f, -0.00665985839f, -0.0018375942f,
                                                -0.032731723f, 0.0340426713f}) < tol);
  CHECK(max_abs_diff(grad("network.1.bias"), {0.00603561895f, -0.00633700192f, -0.00306750508f,
                                              -0.026987642f, 0.00577773061f}) < tol);
  CHECK(max_abs_diff(grad("network.4.weight"),
                     {-0.0186971556f, 0.00549745187f,   0.00278041931f,  0.00957877841f,
                      -0.0267859846f, -0.000175637339f, -0.00159283087f, 0.00875434093f,
                      -0.015122585f,  -0.0176628381f,   0.0226011854f,   0.0119231436f,
                      0.00989233609f, 0.00511859404f,   0.0180598032f,   0.000831791549f,
                      0.00493248412f, -0.0333307646f,   -0.0918845981f,  0.121455602f}) < tol);
  CHECK(max_abs_diff(grad("network.4.bias"), {0, 0, 0, 0}) < tol);
  CHECK(max_abs_diff(grad("network.5.weight"),
                     {-0.000642752042f, -0.0353806801f, 0.0187810715f, 0.0323115364f}) < tol);
  CHECK(max_abs_diff(grad("network.5.bias"),
                     {-0.00385577744f, -0.0289733168f, 0.011061281f, 0.0131045524f}) < tol);
  CHECK(max_abs_diff(grad("network.8.weight"),
                     {0.141828895f, -0.0837230086f, -0.228014216f, -0.0520704314f, -0.138044521f,
                      0.0118658226f, 0.03542611f, 0.0510348938f, -0.00378439901f, 0.0718571842f,
                      0.192588106f, 0.00103553222f}) < tol);
  CHECK(max_abs_diff(grad("network.8.bias"), {0.189402491f, -0.161137074f, -0.0282654315f}) < tol);

  auto bn1 = model->network()->at<BatchNorm1d>(1);
  auto bn5 = model->network()->at<BatchNorm1d>(5);
  CHECK(max_abs_diff(bn1->running_mean(), {0.00339747593f, 0.00443575485f, -0.0266739633f,
                                           -0.015862748f, -0.0558329113f}) < 1e-6);
  CHECK(max_abs_diff(bn1->running_var(),
                     {0.949586749f, 0.920594096f, 0.93612957f, 0.924386084f, 0.932427108f}) < 1e-6);
  CHECK(max_abs_diff(bn5->running_mean(),
                     {-0.026772067f, -0.0159855448f, 0.0326948427f, 0.0574548244f}) < 1e-6);
  CHECK(max_abs_diff(bn5->running_var(), {0.912834048f, 0.914024055f, 0.91440028f, 0.918721735f}) <
        1e-6);

  model->eval();
  CHECK(max_abs_diff((*model)(x),
                     {0.223388031f,  -0.355200946f, 0.138590619f,  0.257814467f,  -0.221713856f,
                      0.0522980951f, 0.345752448f,  -0.22462073f,  0.0267201606f, 0.336506158f,
                      -0.31527853f,  0.0809498355f, 0.301113486f,  -0.279194564f, 0.071461834f,
                      0.256147057f,  -0.264946073f, 0.0773098543f, 0.33637628f,   -0.316088229f,
                      0.0814488232f, 0.313117027f,  -0.291753232f, 0.0748614296f}) < 2e-6);
}

namespace {
// The smallest |input| any ReLU of `model` sees for `x`: central differences straddling ReLU's
// kink at 0 measure an average of two slopes, so a gradient check needs this well above eps.
double relu_margin(Module& model, const Tensor& x) {
  double margin = 1e30;
  NoGradGuard no_grad;
  ForwardObserver watch([&margin](const Module& m, const Tensor& y) {
    if (m.type_name() != "BatchNorm1d") return;  // each BatchNorm feeds a ReLU
    for (float v : y.to_vector()) margin = std::min(margin, static_cast<double>(std::fabs(v)));
  });
  model(x);
  return margin;
}
}  // namespace

TEST_CASE("the whole model passes gradient checks in train (fixed masks) and eval mode") {
  Generator gen(14);  // a seed whose ReLU inputs all stay clear of 0 (see the REQUIREs)
  auto model = make_mlp({.in_features = 4, .hidden = {5, 3}, .classes = 3, .dropout = 0.25f}, gen);
  Tensor x = Tensor::randn({6, 4}, gen).requires_grad_();
  Tensor target = Tensor::from({0, 1, 2, 2, 1, 0});
  std::vector<Tensor> inputs = {x};
  for (const Tensor& p : model->parameters()) inputs.push_back(p);
  auto f = [&model, &target](const std::vector<Tensor>& in) {
    model->network()->at<Dropout>(3)->manual_seed(1);  // the same masks for every evaluation
    model->network()->at<Dropout>(7)->manual_seed(2);
    return CrossEntropyLoss()((*model)(in[0]), target);
  };
  // Fixed running statistics for eval, so that eval mode does not depend on how many forwards
  // the train-mode check ran.
  auto set_running_stats = [&model] {
    for (size_t i : {1u, 5u}) {
      auto bn = model->network()->at<BatchNorm1d>(i);
      bn->running_mean().fill_(0.2f);
      bn->running_var().fill_(0.6f);
    }
  };
  const double train_margin = relu_margin(*model, x);
  model->eval();
  set_running_stats();
  const double eval_margin = relu_margin(*model, x);
  REQUIRE(train_margin > 0.02);
  REQUIRE(eval_margin > 0.02);

  model->train();
  // A smaller step than the default keeps every difference on one side of the kinks.
  const GradCheckOptions small_step{.eps = 1e-3};
  GradCheckResult train = gradcheck(f, inputs, small_step);
  CHECK_MESSAGE(train.ok, train.report);
  model->eval();
  set_running_stats();
  GradCheckResult eval = gradcheck(f, inputs, small_step);
  CHECK_MESSAGE(eval.ok, eval.report);
}
