// Learning curves as a self-contained SVG: one panel for the loss and one for the metric
// (accuracy or R²), each with a line per series (training, validation) over the epochs, labelled
// axes with ticks, and a legend. Plain SVG 1.1 text: any browser shows it, any XML parser reads it.
// Leaves out: log scales, interactive tooltips.
#pragma once

#include <string>
#include <vector>

namespace minigrad::viz {

/// One line of a panel: a value per epoch (NaN where there is none).
struct Series {
  std::string name;  // "training", "validation"
  std::vector<double> values;
};

/// One chart: its y-axis label ("loss", "accuracy") and its lines.
struct Panel {
  std::string title;
  std::string y_label;
  std::vector<Series> series;
  int marked_epoch = 0;  // a vertical line at this epoch (the one whose weights were kept); 0: none
};

/// The SVG document for `panels` side by side, under `title`; the x axis is the epoch (1-based).
std::string learning_curves_svg(const std::string& title, const std::vector<Panel>& panels);

}  // namespace minigrad::viz
