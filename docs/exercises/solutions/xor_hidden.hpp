// Reference solution of docs/exercises/xor_hidden.cpp: a tanh between the two layers.
nn::Sequential make_model(Generator& gen) {
  return nn::Sequential({std::make_shared<nn::Linear>(2, 4, gen), std::make_shared<nn::Tanh>(),
                         std::make_shared<nn::Linear>(4, 2, gen)});
}
