// The two models the libtorch peer benchmark times, with PyTorch's state_dict names
// (network.0 ...): the documents' MLP and make_cnn()'s convolutional model. Part of the peer
// benchmark (bench.cpp), built only with it.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace peer {

// "mlp": Linear(784,128) BatchNorm1d ReLU Dropout(0.3) Linear(128,64) BatchNorm1d ReLU
//        Dropout(0.3) Linear(64,10), on rows of 784 pixels; `hidden` gives other widths (one
//        Linear-BatchNorm1d-ReLU-Dropout block each).
// "cnn": Conv2d(1,32,3,p=1) BatchNorm2d ReLU MaxPool2d(2) Conv2d(32,64,3,p=1) BatchNorm2d ReLU
//        MaxPool2d(2) Flatten Linear(3136,128) BatchNorm1d ReLU Dropout(0.3) Linear(128,10), on the
//        same rows seen as 1x28x28 images.
struct NetImpl : torch::nn::Module {
    explicit NetImpl(const std::string& kind, const std::vector<int>& hidden = {128, 64});
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::Sequential network;
    bool images;
};
TORCH_MODULE(Net);

}  // namespace peer
