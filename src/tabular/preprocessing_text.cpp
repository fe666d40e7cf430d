// The preprocessing as people read it: the one-line column count every run prints, and the
// column table of --summary and minigrad summary.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

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

namespace {

// How one feature column is turned into inputs, as the column table shows it.
std::string encoding_text(const ColumnEncoding& f) {
  if (f.kind == ColumnKind::Numeric) {
    std::string enc =
        fmt::format("missing -> median {:.6g}; (x - {:.6g}) / {:.6g}", f.median, f.mean, f.std);
    if (f.missing_indicator) enc += "; + missing indicator";
    return enc;
  }
  std::string enc = fmt::format("one-hot, {} categories:", f.categories.size());
  const size_t shown = std::min<size_t>(f.categories.size(), 8);
  for (size_t i = 0; i < shown; ++i) enc += " " + f.categories[i];
  if (shown < f.categories.size()) enc += " ...";
  if (f.missing_category) enc += " + missing";
  return enc;
}

}  // namespace

std::string columns_text(const Preprocessing& p) {
  // Three or more neighbouring columns encoded alike (an image's border pixels) share one line.
  struct Line {
    std::string name, type, encoding;
  };
  std::vector<Line> lines;
  for (size_t i = 0; i < p.features.size();) {
    const ColumnEncoding& f = p.features[i];
    const std::string enc = encoding_text(f);
    size_t j = i + 1;
    while (j < p.features.size() && p.features[j].kind == f.kind &&
           encoding_text(p.features[j]) == enc)
      ++j;
    const std::string type = f.kind == ColumnKind::Numeric ? "numeric" : "categorical";
    if (j - i >= 3) {
      lines.push_back({fmt::format("{} .. {}", f.name, p.features[j - 1].name), type,
                       fmt::format("{} ({} columns)", enc, j - i)});
    } else {
      for (size_t k = i; k < j; ++k) lines.push_back({p.features[k].name, type, enc});
    }
    i = j;
  }
  size_t width = 6;
  for (const Line& l : lines) width = std::max(width, l.name.size());
  std::string out = fmt::format("{:<{}}  {:<11}  {}\n", "column", width, "type", "encoding");
  for (const Line& l : lines)
    out += fmt::format("{:<{}}  {:<11}  {}\n", l.name, width, l.type, l.encoding);
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
