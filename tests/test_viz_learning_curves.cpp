// Tests of viz/learning_curves.hpp: the SVG is well-formed XML (checked by a small tag-balancing
// parser written here), holds one polyline per series with a point per epoch, maps the values
// onto the plot area in the right order, and escapes text.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "minigrad/viz/learning_curves.hpp"

using namespace minigrad::viz;

namespace {

struct Element {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attrs;
  std::string attr(const std::string& key) const {
    for (const auto& [k, v] : attrs)
      if (k == key) return v;
    return "";
  }
};

// Parses `xml` strictly enough for this test: every tag closed in order, attributes quoted, no
// stray '<' or '&' in text. Returns the elements in document order; fails the test otherwise.
std::vector<Element> parse_xml(const std::string& xml) {
  std::vector<Element> out;
  std::vector<std::string> open;
  size_t i = 0;
  if (xml.rfind("<?xml", 0) == 0) i = xml.find("?>") + 2;
  while (i < xml.size()) {
    if (xml[i] != '<') {
      if (xml[i] == '&') {
        const size_t semi = xml.find(';', i);
        const std::string entity = xml.substr(i, semi - i + 1);
        CHECK_MESSAGE(
            (entity == "&lt;" || entity == "&gt;" || entity == "&amp;" || entity == "&quot;"),
            "bad entity " << entity);
      }
      ++i;
      continue;
    }
    const size_t end = xml.find('>', i);
    REQUIRE(end != std::string::npos);
    std::string tag = xml.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag[0] == '/') {
      REQUIRE_MESSAGE(!open.empty(), "stray " << tag);
      CHECK(open.back() == tag.substr(1));
      open.pop_back();
      continue;
    }
    const bool self_closing = tag.back() == '/';
    if (self_closing) tag.pop_back();
    std::istringstream in(tag);
    Element e;
    in >> e.name;
    std::string rest;
    std::getline(in, rest);
    size_t p = 0;
    while ((p = rest.find('=', p)) != std::string::npos) {
      size_t k = p;
      while (k > 0 && rest[k - 1] != ' ') --k;
      REQUIRE(rest[p + 1] == '"');
      const size_t close = rest.find('"', p + 2);
      REQUIRE(close != std::string::npos);
      e.attrs.emplace_back(rest.substr(k, p - k), rest.substr(p + 2, close - p - 2));
      p = close + 1;
    }
    if (!self_closing) open.push_back(e.name);
    out.push_back(std::move(e));
  }
  CHECK(open.empty());
  return out;
}

std::vector<std::pair<double, double>> points_of(const std::string& text) {
  std::vector<std::pair<double, double>> pts;
  std::istringstream in(text);
  std::string pair;
  while (in >> pair) {
    const size_t comma = pair.find(',');
    pts.emplace_back(std::stod(pair.substr(0, comma)), std::stod(pair.substr(comma + 1)));
  }
  return pts;
}

}  // namespace

TEST_CASE("the learning-curve SVG is XML with a polyline per series and a point per epoch") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<Panel> panels = {
      {"loss", "loss", {{"training", {1.0, 0.6, 0.4, 0.3}}, {"validation", {1.1, 0.7, 0.6, 0.65}}}},
      {"accuracy",
       "accuracy",
       {{"training", {0.5, 0.7, 0.8, 0.9}}, {"validation", {nan, nan, nan, nan}}}}};
  std::vector<Panel> marked = panels;
  marked[0].marked_epoch = 3;
  const std::string svg = learning_curves_svg("t.csv: <species> & more", marked);
  const std::vector<Element> elements = parse_xml(svg);
  REQUIRE(!elements.empty());
  CHECK(elements[0].name == "svg");
  CHECK(elements[0].attr("xmlns") == "http://www.w3.org/2000/svg");
  std::vector<Element> lines;
  for (const Element& e : elements)
    if (e.name == "polyline") lines.push_back(e);
  REQUIRE(lines.size() == 3);  // the all-NaN validation accuracy draws nothing
  CHECK(lines[0].attr("data-name") == "training");
  CHECK(lines[1].attr("data-name") == "validation");
  const auto train = points_of(lines[0].attr("points"));
  const auto val = points_of(lines[1].attr("points"));
  REQUIRE(train.size() == 4);
  REQUIRE(val.size() == 4);
  for (size_t e = 1; e < 4; ++e) {
    CHECK(train[e].first > train[e - 1].first);    // epochs run left to right
    CHECK(train[e].second > train[e - 1].second);  // a falling loss goes down the page (y grows)
  }
  CHECK(val[3].second < val[2].second);  // validation loss rose in the last epoch
  CHECK(train[0].first == val[0].first);
  // Text is escaped, axis labels and legend are present.
  CHECK(svg.find("t.csv: &lt;species&gt; &amp; more") != std::string::npos);
  CHECK(svg.find(">epoch</text>") != std::string::npos);
  CHECK(svg.find(">validation</text>") != std::string::npos);
  // The kept epoch's marker: in the loss panel only, at epoch 3's x.
  std::vector<Element> markers;
  for (const Element& e : elements)
    if (e.name == "line" && e.attr("class") == "marker") markers.push_back(e);
  REQUIRE(markers.size() == 1);
  CHECK(std::stod(markers[0].attr("x1")) == doctest::Approx(train[2].first).epsilon(1e-3));
  CHECK(learning_curves_svg("x", panels).find("class=\"marker\"") == std::string::npos);
}

TEST_CASE("one epoch and a constant series still give a drawable SVG") {
  const std::string svg = learning_curves_svg("x", {{"loss", "loss", {{"training", {0.5}}}}});
  const std::vector<Element> elements = parse_xml(svg);
  int polylines = 0;
  for (const Element& e : elements) {
    polylines += e.name == "polyline";
    for (const auto& attr : e.attrs)
      CHECK_MESSAGE(attr.second.find("nan") == std::string::npos, attr.first);
  }
  CHECK(polylines == 1);
}
