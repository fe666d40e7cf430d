// The slope of a function measured numerically, before any autograd: nudge the input by h and
// see how much the output moves. This is the number every backward in minigrad is checked against.
#include <cstdio>
#include <initializer_list>

double f(double x) { return 3 * x * x - 4 * x + 5; }  // f'(x) = 6x − 4, so f'(3) = 14
double L(double a, double b) { return (a * b + a) * (a * b + a); }

int main() {
  const double x = 3;
  std::printf("f(x) = 3x^2 - 4x + 5 at x = 3; the exact slope 6x - 4 is 14\n");
  std::printf("  h        (f(x+h) - f(x))/h    (f(x+h) - f(x-h))/2h\n");
  for (double h : {0.1, 0.01, 0.001, 1e-6}) {
    const double forward = (f(x + h) - f(x)) / h;
    const double central = (f(x + h) - f(x - h)) / (2 * h);
    std::printf("  %-8g %-20.10f %.10f\n", h, forward, central);
  }
  // With two inputs, nudge one at a time: each nudge measures one partial derivative.
  const double a = 2, b = -3, h = 1e-4;
  std::printf("L(a, b) = (a*b + a)^2 at a = 2, b = -3:\n");
  std::printf("  dL/da ~ %.6f\n", (L(a + h, b) - L(a - h, b)) / (2 * h));
  std::printf("  dL/db ~ %.6f\n", (L(a, b + h) - L(a, b - h)) / (2 * h));
}
