// Reference solution of docs/exercises/value_exp.cpp.
Value exp(const Value& a) {
  const double e = std::exp(a->data);
  return make(e, {a}, [a, e](double dout) { a->grad += dout * e; });
}
