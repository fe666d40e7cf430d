// The preprocessing as people read it: the one-line column count every run prints, and the
// column table of --summary and minigrad summary.
#include <fmt/format.h>

#include <algorithm>

#include "minigrad/tabular/preprocessing.hpp"

namespace minigrad::tabular {

std::string columns_line(const Preprocessing& p) {
  int numeric = 0, categorical = 0, forced = 0;
  for (const ColumnEncoding& f : p.features) {
    (f.kind == ColumnKind::Numeric ? numeric : categorical) += 1;
    forced += f.forced;
  }
  return fmt::format("columns: {} numeric, {} categorical{}, {} ignored; label '{}' -> {} inputs",
                     numeric, categorical,
                     forced ? fmt::format(" ({} by --categorical)", forced) : "", p.ignored.size(),
                     p.label, p.num_inputs());
}

std::string columns_text(const Preprocessing& p) {
  size_t width = 6;
  for (const ColumnEncoding& f : p.features) width = std::max(width, f.name.size());
  std::string out = fmt::format("{:<{}}  {:<11}  {}\n", "column", width, "type", "encoding");
  for (const ColumnEncoding& f : p.features) {
    std::string enc;
    if (f.kind == ColumnKind::Numeric) {
      enc = fmt::format("missing -> median {:.6g}; (x - {:.6g}) / {:.6g}", f.median, f.mean, f.std);
      if (f.missing_indicator) enc += "; + missing indicator";
    } else {
      enc = fmt::format("one-hot, {} categories:", f.categories.size());
      const size_t shown = std::min<size_t>(f.categories.size(), 8);
      for (size_t i = 0; i < shown; ++i) enc += " " + f.categories[i];
      if (shown < f.categories.size()) enc += " ...";
      if (f.missing_category) enc += " + missing";
    }
    out += fmt::format("{:<{}}  {:<11}  {}\n", f.name, width,
                       f.kind == ColumnKind::Numeric ? "numeric" : "categorical", enc);
  }
  for (const std::string& name : p.ignored)
    out += fmt::format("{:<{}}  {:<11}  (--ignore)\n", name, width, "ignored");
  if (p.task == Task::Classification) {
    std::string classes;
    for (size_t i = 0; i < p.classes.size() && i < 12; ++i) classes += " " + p.classes[i];
    if (p.classes.size() > 12) classes += " ...";
    out += fmt::format("{:<{}}  {:<11}  {} classes:{}\n", p.label, width, "label", p.classes.size(),
                       classes);
  } else {
    out += fmt::format("{:<{}}  {:<11}  regression; (y - {:.6g}) / {:.6g} inside the model\n",
                       p.label, width, "label", p.target_mean, p.target_std);
  }
  return out;
}

}  // namespace minigrad::tabular
