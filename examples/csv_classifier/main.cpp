// A classifier for any numeric CSV whose last column is the class: read_csv, a train/test split,
// standardisation fitted on the training rows, a shuffling DataLoader, Adam, and test accuracy.
//   csv_classifier blobs.csv
// A malformed table is reported as the library words it (file, line, HINT), with exit code 2.
#include <cstdio>
#include <memory>

#include "minigrad/minigrad.hpp"

using namespace minigrad;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: csv_classifier <table.csv> (the last column is the class)\n");
    return 2;
  }
  data::Dataset all;
  try {
    all = data::Dataset::from_csv(data::read_csv(argv[1], {.label = data::LabelColumn::last()}));
  } catch (const data::DataError& e) {
    std::fprintf(stderr, "csv_classifier: %s\n", e.what());
    return 2;
  }
  Generator gen(42);
  data::TrainTestSplit split = data::train_test_split(all, 0.25, gen);
  const data::FeatureTransform scaling = data::fit_standardize(split.train);
  split.train.set_transform(scaling);
  split.test.set_transform(scaling);
  std::printf("%lld rows, %lld features, %d classes: %lld to train, %lld to test\n",
              static_cast<long long>(all.size()), static_cast<long long>(all.num_features()),
              all.num_classes(), static_cast<long long>(split.train.size()),
              static_cast<long long>(split.test.size()));

  const int64_t features = all.num_features();
  nn::Sequential model({std::make_shared<nn::Linear>(features, 16, gen),
                        std::make_shared<nn::ReLU>(),
                        std::make_shared<nn::Linear>(16, all.num_classes(), gen)});
  optim::Adam adam(model.parameters(), {.lr = 0.01});
  data::DataLoader loader(split.train, {.batch_size = 16, .shuffle = true}, Generator(1));

  for (int epoch = 1; epoch <= 20; ++epoch) {
    double total = 0;
    for (const data::Batch& batch : loader) {  // x (B, F), y (B)
      const Tensor loss = nn::cross_entropy(model(batch.x), batch.y);
      adam.zero_grad();
      loss.backward();
      adam.step();
      total += loss.item() * static_cast<double>(batch.size());
    }
    if (epoch % 5 == 0)
      std::printf("epoch %2d: train loss %.4f\n", epoch,
                  total / static_cast<double>(split.train.size()));
  }

  NoGradGuard no_grad;
  model.eval();
  const Tensor predicted = argmax(model(split.test.features_tensor()), 1);  // (N_test)
  const Tensor truth = split.test.labels_tensor();                          // (N_test)
  int64_t correct = 0;
  for (int64_t i = 0; i < predicted.numel(); ++i)
    correct += predicted.data()[i] == truth.data()[i] ? 1 : 0;
  std::printf("test accuracy: %lld / %lld\n", static_cast<long long>(correct),
              static_cast<long long>(predicted.numel()));
}
