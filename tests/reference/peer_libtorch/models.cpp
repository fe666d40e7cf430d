// The peer benchmark's models (models.hpp).
#include "models.hpp"

#include <stdexcept>

namespace peer {

namespace {

namespace nn = torch::nn;

nn::Sequential make_layers(const std::string& kind, const std::vector<int>& hidden) {
    if (kind == "mlp") {
        nn::Sequential layers;
        int64_t in = 784;
        for (int width : hidden) {
            layers->push_back(nn::Linear(in, width));
            layers->push_back(nn::BatchNorm1d(width));
            layers->push_back(nn::ReLU());
            layers->push_back(nn::Dropout(0.3));
            in = width;
        }
        layers->push_back(nn::Linear(in, 10));
        return layers;
    }
    if (kind == "cnn") {
        auto conv = [](int64_t in, int64_t out) {
            return nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1));
        };
        return nn::Sequential(conv(1, 32), nn::BatchNorm2d(32), nn::ReLU(), nn::MaxPool2d(2), conv(32, 64),
                              nn::BatchNorm2d(64), nn::ReLU(), nn::MaxPool2d(2), nn::Flatten(),
                              nn::Linear(3136, 128), nn::BatchNorm1d(128), nn::ReLU(), nn::Dropout(0.3),
                              nn::Linear(128, 10));
    }
    throw std::invalid_argument("unknown model " + kind + " (expected mlp or cnn)");
}

}  // namespace

NetImpl::NetImpl(const std::string& kind, const std::vector<int>& hidden)
    : network(make_layers(kind, hidden)), images(kind == "cnn") {
    register_module("network", network);
}

torch::Tensor NetImpl::forward(const torch::Tensor& x) {
    return network->forward(images ? x.reshape({-1, 1, 28, 28}) : x);
}

}  // namespace peer
