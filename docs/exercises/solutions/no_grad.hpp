// Reference solution of docs/exercises/no_grad.cpp: the guard switches recording off until it
// goes out of scope, at the end of the function.
Tensor predict(nn::Module& model, const Tensor& x) {
  NoGradGuard no_grad;
  return model(x);
}
