// Reference solution of docs/exercises/eval_mode.cpp: eval() for the forward pass, under a
// NoGradGuard, then back to the mode the model was in.
Tensor evaluate(nn::Module& model, const Tensor& x) {
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  Tensor y = model(x);
  model.train(was_training);
  return y;
}
