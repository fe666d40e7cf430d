// Tests of tabular/metrics.hpp against scikit-learn's values (tests/reference/tabular_metrics.py
// computed them; they are frozen here).
#include <doctest/doctest.h>

#include "minigrad/tabular/metrics.hpp"

using namespace minigrad::tabular;

TEST_CASE("RMSE, MAE and R² match scikit-learn") {
  const std::vector<double> truth = {3.0, -0.5, 2.0, 7.0, 4.25, 10.0, -3.0, 0.125};
  const std::vector<double> pred = {2.5, 0.0, 2.0, 8.0, 3.0, 11.5, -2.0, 1.0};
  const RegressionMetrics m = regression_metrics(truth, pred);
  CHECK(m.rmse == doctest::Approx(0.94061980895577568).epsilon(1e-14));
  CHECK(m.mae == doctest::Approx(0.828125).epsilon(1e-14));
  CHECK(m.r2 == doctest::Approx(0.94288146011631757).epsilon(1e-14));
  const RegressionMetrics perfect = regression_metrics(truth, truth);
  CHECK(perfect.rmse == 0.0);
  CHECK(perfect.r2 == 1.0);
  // A constant target: R² is 1 for a perfect fit and 0 otherwise, as scikit-learn reports.
  CHECK(regression_metrics({2, 2}, {2, 2}).r2 == 1.0);
  CHECK(regression_metrics({2, 2}, {1, 3}).r2 == 0.0);
  CHECK_THROWS_AS(regression_metrics({1, 2}, {1}), std::invalid_argument);
  CHECK_THROWS_AS(regression_metrics({}, {}), std::invalid_argument);
}

TEST_CASE("per-class precision, recall and F1 match scikit-learn (zero_division=0)") {
  minigrad::train::ConfusionMatrix cm(3);
  cm.add({0, 0, 0, 1, 1, 2, 2, 1, 0, 2}, {0, 1, 0, 1, 1, 0, 1, 1, 0, 1});
  const std::vector<ClassMetrics> m = per_class_metrics(cm, {"Adelie", "Chinstrap", "Gentoo"});
  REQUIRE(m.size() == 3);
  CHECK(m[0].name == "Adelie");
  CHECK(m[0].precision == 0.75);
  CHECK(m[0].recall == 0.75);
  CHECK(m[0].f1 == 0.75);
  CHECK(m[0].support == 4);
  CHECK(m[1].precision == 0.5);
  CHECK(m[1].recall == 1.0);
  CHECK(m[1].f1 == doctest::Approx(0.66666666666666663).epsilon(1e-15));
  CHECK(m[2].precision == 0.0);  // never predicted: 0/0 reported as 0
  CHECK(m[2].f1 == 0.0);
  CHECK(m[2].support == 3);
  const std::string table = per_class_table(m);
  CHECK(table.find("Chinstrap     0.5000  1.0000  0.6667        3") != std::string::npos);
}
