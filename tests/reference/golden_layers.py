"""Golden values for batched matmul, Linear on (..., in) inputs, LayerNorm and NLLLoss
(tests/test_ops_batched_matmul.cpp, test_nn_linear.cpp, test_nn_layernorm.cpp, test_nn_loss.cpp),
computed with PyTorch.

Run with Debian's python3-torch: /usr/bin/python3 tests/reference/golden_layers.py
Each case prints the forward result and the input gradients of sum(y * w) for a fixed weighting
w = arange(numel(y)) - 1.5 (the same on the C++ side); the values are frozen into the tests by hand.
"""
import torch


def fmt(t):
    flat = t.detach().reshape(-1).tolist()
    return "{" + ", ".join(f"{v:.8g}f" for v in flat) + "}"


def leaf(values):
    return torch.tensor(values, dtype=torch.float32, requires_grad=True)


def run(name, y, *inputs):
    w = torch.arange(y.numel(), dtype=torch.float32).reshape(y.shape) - 1.5
    (y * w).sum().backward()
    print(f"// {name}: y {list(y.shape)} = {fmt(y)}")
    for i, x in enumerate(inputs):
        print(f"//   d{i} = {fmt(x.grad)}")


A = [[[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]],
     [[-2.0, 1.0, 0.5], [3.0, -0.5, 1.0]]]             # [2, 2, 3]
B = [[[1.0, -0.5], [2.0, 0.0], [-1.0, 1.5]],
     [[0.25, 2.0], [-3.0, 1.0], [0.5, -1.0]]]          # [2, 3, 2]
V = [1.0, -2.0, 0.5]                                   # [3]
W = [[0.5, -0.25, 1.0], [-1.5, 2.0, 0.75]]             # [2, 3]

a, b = leaf(A), leaf(B)
run("matmul(A, B)", torch.matmul(a, b), a, b)
a, b = leaf([[[A[0][0]]], [[A[1][1]]]]), leaf(B)       # [2, 1, 1, 3] with [2, 3, 2]
run("matmul(a [2, 1, 1, 3], B)", torch.matmul(a, b), a, b)
a, b = leaf(A), leaf(W[0:1] + W[1:2] + [[1.0, 1.0, 1.0]])  # [2, 2, 3] with [3, 3]
run("matmul(A, M [3, 3])", torch.matmul(a, b), a, b)
v, b = leaf(V), leaf(B)
run("matmul(V, B)", torch.matmul(v, b), v, b)
a, v = leaf(A), leaf(V)
run("matmul(A, V)", torch.matmul(a, v), a, v)
v, u = leaf(V), leaf([2.0, 0.5, -1.0])
run("matmul(V, U)", torch.matmul(v, u), v, u)
v, m = leaf(V), leaf(W)
run("matmul(W, V)", torch.matmul(m, v), m, v)

x, w, bias = leaf(A), leaf(W), leaf([0.1, -0.2])
run("linear(A, W, bias)", torch.nn.functional.linear(x, w, bias), x, w, bias)

X = [[[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]],
     [[0.25, 0.25, 4.0], [-1.5, 2.5, 1.0]]]            # [2, 2, 3]
ln = torch.nn.LayerNorm(3)
with torch.no_grad():
    ln.weight.copy_(torch.tensor([1.5, -0.5, 2.0]))
    ln.bias.copy_(torch.tensor([0.1, 0.2, -0.3]))
x = leaf(X)
run("LayerNorm(3) weight {1.5, -0.5, 2}, bias {0.1, 0.2, -0.3}", ln(x), x, ln.weight, ln.bias)
ln = torch.nn.LayerNorm([2, 3], eps=1e-3, elementwise_affine=False)
x = leaf(X)
run("LayerNorm({2, 3}, eps=1e-3, affine=False)", ln(x), x)
print("// repr:", torch.nn.LayerNorm(3), torch.nn.LayerNorm([2, 3], eps=1e-3, elementwise_affine=False))

LP = [[-0.5, -1.25, -2.0], [-3.0, -0.125, -1.5], [-0.75, -0.75, -4.0], [-2.5, -1.0, -0.25]]  # [4, 3]
T = [2, 0, 1, 1]
for red in ["mean", "sum", "none"]:
    x = leaf(LP)
    run(f"nll_loss({red})", torch.nn.functional.nll_loss(x, torch.tensor(T), reduction=red), x)
x = leaf(LP)
run("nll_loss(mean, ignore_index=1)",
    torch.nn.functional.nll_loss(x, torch.tensor(T), ignore_index=1), x)
print("// repr:", torch.nn.NLLLoss())

# nn.init: the gains and fans the C++ initialisers must use (the random draws differ by design)
init = torch.nn.init
print("// gains:", [init.calculate_gain(n) for n in ["linear", "sigmoid", "tanh", "relu", "selu"]],
      init.calculate_gain("leaky_relu"), init.calculate_gain("leaky_relu", 0.2))
print("// fans of (8, 3, 5, 5):", init._calculate_fan_in_and_fan_out(torch.empty(8, 3, 5, 5)))
w = torch.empty(4000, 500)
torch.manual_seed(0)
print("// xavier_uniform_ (4000, 500) gain 2 max:", init.xavier_uniform_(w, gain=2.0).abs().max().item(),
      "bound", 2.0 * (6 / 4500) ** 0.5)
print("// kaiming_uniform_ (4000, 500) a=sqrt(5) max:", init.kaiming_uniform_(w, a=5 ** 0.5).abs().max().item(),
      "Linear's bound", 1 / 500 ** 0.5)
print("// kaiming_normal_ (4000, 500) fan_out relu std:",
      init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu").std().item(), "expected", (2 / 4000) ** 0.5)
print("// xavier_normal_ (4000, 500) std:", init.xavier_normal_(w).std().item(), "expected", (2 / 4500) ** 0.5)
