// Learning curves: each panel maps epochs to x and values to y with "nice" tick steps
// (1, 2 or 5 times a power of ten), draws a polyline per series, and a legend.
#include "minigrad/viz/learning_curves.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace minigrad::viz {

namespace {

constexpr double kPanelW = 420, kPanelH = 320, kLeft = 60, kRight = 20, kTop = 80, kBottom = 50;
const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '<')
      out += "&lt;";
    else if (ch == '>')
      out += "&gt;";
    else if (ch == '&')
      out += "&amp;";
    else if (ch == '"')
      out += "&quot;";
    else
      out += ch;
  }
  return out;
}

// A tick step of 1, 2 or 5 x 10^k giving about `ticks` intervals over `range`.
double nice_step(double range, int ticks) {
  const double raw = range / ticks;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

std::string panel_svg(const Panel& p, double x0) {
  size_t epochs = 0;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const Series& s : p.series) {
    epochs = std::max(epochs, s.values.size());
    for (double v : s.values)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi - lo < 1e-12) lo -= 0.5, hi += 0.5;
  const double step = nice_step(hi - lo, 5);
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
  const double w = kPanelW - kLeft - kRight, h = kPanelH - kTop - kBottom;
  const double last = std::max<double>(static_cast<double>(epochs), 2.0);
  auto X = [&](double epoch) { return x0 + kLeft + (epoch - 1) / (last - 1) * w; };
  auto Y = [&](double v) { return kTop + (hi - v) / (hi - lo) * h; };

  std::string out = fmt::format(
      "<g class=\"panel\">\n<text x=\"{:.1f}\" y=\"{:.1f}\" "
      "font-size=\"14\" font-weight=\"bold\">{}</text>\n",
      x0 + kLeft, kTop - 30, xml_escape(p.title));
  out += fmt::format(
      "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
      "fill=\"none\" stroke=\"#444\"/>\n",
      x0 + kLeft, kTop, w, h);
  for (double v = lo; v <= hi + step / 2; v += step)  // y ticks and grid
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" "
        "stroke=\"#ddd\"/><text x=\"{3:.1f}\" y=\"{4:.1f}\" text-anchor=\"end\" "
        "font-size=\"11\">{5:.4g}</text>\n",
        x0 + kLeft, Y(v), x0 + kLeft + w, x0 + kLeft - 6, Y(v) + 4,
        std::abs(v) < step * 1e-9 ? 0.0 : v);
  // x ticks: epoch 1, then the multiples of a nice step (5, 10, 15, ... rather than 6, 11, 16).
  const double xstep = std::max(1.0, std::round(nice_step(last - 1 > 0 ? last - 1 : 1, 6)));
  std::vector<double> xticks = {1};
  for (double e = xstep; e <= last + 1e-9; e += xstep)
    if (e - 1 >= 0.75 * xstep) xticks.push_back(e);  // not crowding epoch 1
  for (double e : xticks)
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" "
        "stroke=\"#444\"/><text x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\" "
        "font-size=\"11\">{4:g}</text>\n",
        X(e), kTop + h, kTop + h + 5, kTop + h + 18, e);
  out += fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"12\">"
      "epoch</text>\n",
      x0 + kLeft + w / 2, kTop + h + 38);
  out += fmt::format(
      "<text transform=\"translate({:.1f},{:.1f}) rotate(-90)\" "
      "text-anchor=\"middle\" font-size=\"12\">{}</text>\n",
      x0 + 16, kTop + h / 2, xml_escape(p.y_label));
  if (p.marked_epoch >= 1 && p.marked_epoch <= static_cast<int>(epochs))
    out += fmt::format(
        "<line class=\"marker\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" "
        "y2=\"{2:.1f}\" stroke=\"#888\" stroke-dasharray=\"2,3\"/><text "
        "x=\"{3:.1f}\" y=\"{4:.1f}\" font-size=\"10\" fill=\"#666\">kept</text>\n",
        X(p.marked_epoch), kTop, kTop + h, X(p.marked_epoch) + 3, kTop + 11);
  for (size_t i = 0; i < p.series.size(); ++i) {
    const Series& s = p.series[i];
    const char* color = kColors[i % std::size(kColors)];
    std::string points;
    for (size_t e = 0; e < s.values.size(); ++e)
      if (std::isfinite(s.values[e]))
        points += fmt::format("{}{:.1f},{:.1f}", points.empty() ? "" : " ",
                              X(static_cast<double>(e + 1)), Y(s.values[e]));
    if (points.empty()) continue;
    out += fmt::format(
        "<polyline class=\"series\" data-name=\"{}\" fill=\"none\" stroke=\"{}\" "
        "stroke-width=\"2\"{} points=\"{}\"/>\n",
        xml_escape(s.name), color, i ? " stroke-dasharray=\"6,3\"" : "", points);
    // The legend sits above the plot area, left to right, where no curve can hide it.
    const double lx = x0 + kLeft + 100 * static_cast<double>(i), ly = kTop - 12;
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" "
        "stroke=\"{3}\" stroke-width=\"2\"{4}/><text x=\"{5:.1f}\" y=\"{6:.1f}\" "
        "font-size=\"11\">{7}</text>\n",
        lx, ly, lx + 24, color, i ? " stroke-dasharray=\"6,3\"" : "", lx + 30, ly + 4,
        xml_escape(s.name));
  }
  return out + "</g>\n";
}

}  // namespace

std::string learning_curves_svg(const std::string& title, const std::vector<Panel>& panels) {
  const double width = kPanelW * static_cast<double>(std::max<size_t>(panels.size(), 1));
  std::string out = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
      "version=\"1.1\" width=\"{0:.0f}\" height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" "
      "font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2:.1f}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{3}</text>\n",
      width, kPanelH, width / 2, xml_escape(title));
  for (size_t i = 0; i < panels.size(); ++i)
    out += panel_svg(panels[i], kPanelW * static_cast<double>(i));
  return out + "</svg>\n";
}

}  // namespace minigrad::viz
