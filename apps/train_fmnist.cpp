// train_fmnist: the documents' Fashion-MNIST experiment, as a preset of the train_csv pipeline.
// With no flags: data/fmnist_small.csv split 80/20, 784-128-64-10 with BatchNorm1d and
// Dropout(0.3), SGD lr 0.1, batch 32, 10 epochs, pixels divided by 255. Every train_csv flag works.
// --model cnn: make_cnn()'s model on 1x28x28 images, SGD lr 0.05, momentum 0.9, batch 64.
// "The documents": README.md#the-documents.
#include "minigrad/train/cli.hpp"
#include "minigrad/train/metrics.hpp"
#include "version_flag.hpp"

int main(int argc, char** argv) {
  if (minigrad_app::print_version_if_asked(argc, argv, "train_fmnist")) return 0;
  minigrad::train::AppPreset preset;
  preset.program = "train_fmnist";
  preset.description = "The documents' Fashion-MNIST experiment (784-128-64-10 MLP, BatchNorm1d, Dropout 0.3)";
  auto& d = preset.defaults;
  d.data_path = "data/fmnist_small.csv";
  d.scaling = minigrad::train::Scaling::Divide;
  d.scale = 255.0f;
  d.model_name = "MyNN";
  d.class_names = minigrad::train::fashion_mnist_classes();
  d.image = {1, 28, 28};
  preset.cnn = minigrad::train::CnnDefaults{.lr = 0.05, .momentum = 0.9, .batch_size = 64};
  return minigrad::train::run_app(argc, argv, preset);
}
