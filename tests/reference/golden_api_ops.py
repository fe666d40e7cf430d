"""Golden values for cat, stack, narrow, index_select, unsqueeze/squeeze, abs, clamp, min, var and
std (tests/test_ops_join.cpp, test_ops_index.cpp, test_ops_clamp.cpp, test_ops_statistics.cpp),
computed with PyTorch.

Run with Debian's python3-torch: /usr/bin/python3 tests/reference/golden_api_ops.py
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


A = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]          # [2, 3]
B = [[3.0, -2.0, 0.0]]                              # [1, 3]
X = [[[1.0, -2.0], [0.5, 3.0], [-1.5, 0.0]],
     [[2.0, 2.0], [-0.25, 1.0], [4.0, -3.0]]]       # [2, 3, 2]

a, b = leaf(A), leaf(B)
run("cat({a, b}, 0)", torch.cat([a, b], 0), a, b)
a, c = leaf(A), leaf([[1.0], [2.0]])
run("cat({a, c}, 1)", torch.cat([a, c], 1), a, c)
a, b2 = leaf(A), leaf([[3.0, -2.0, 0.0], [1.0, 1.0, 1.0]])
run("stack({a, b2}, 1)", torch.stack([a, b2], 1), a, b2)
x = leaf(X)
run("narrow(x, 1, 1, 2)", torch.narrow(x, 1, 1, 2), x)
x = leaf(X)
run("narrow(x, -1, -1, 1)", torch.narrow(x, -1, -1, 1), x)
x = leaf(X)
run("index_select(x, 1, {2, 0, 2})", torch.index_select(x, 1, torch.tensor([2, 0, 2])), x)
x = leaf(X)
run("unsqueeze(x, 1)", torch.unsqueeze(x, 1), x)
x = leaf([[[1.0], [2.0], [3.0]]])
run("squeeze(x)", torch.squeeze(x), x)
x = leaf([-2.0, -0.5, 0.0, 0.5, 3.0])
run("abs(x)", torch.abs(x), x)
x = leaf([-2.0, -0.5, 0.0, 0.5, 1.0, 3.0])
run("clamp(x, -0.5, 1.0)", torch.clamp(x, -0.5, 1.0), x)
x = leaf([-2.0, -0.5, 0.0, 0.5, 1.0, 3.0])
run("clamp(x, min=0.25)", torch.clamp(x, min=0.25), x)
x = leaf([-2.0, -0.5, 0.0, 0.5, 1.0, 3.0])
run("clamp(x, 1.0, -1.0)", torch.clamp(x, 1.0, -1.0), x)
x = leaf(X)
v, i = torch.min(x, 1)
print(f"// min(x, 1) indices = {fmt(i.float())}")
run("min(x, 1)", v, x)
x = leaf([[1.0, -1.0, 1.0], [2.0, 2.0, 0.0]])
v, i = torch.min(x, 1, keepdim=True)
print(f"// min ties indices = {fmt(i.float())}")
run("min(ties, 1, keepdim)", v, x)
x = leaf(X)
run("var(x)", torch.var(x), x)
x = leaf(X)
run("var(x, 1, unbiased=False)", torch.var(x, 1, unbiased=False), x)
x = leaf(X)
run("var(x, 2, keepdim)", torch.var(x, 2, keepdim=True), x)
x = leaf(X)
run("std(x, 0)", torch.std(x, 0), x)
x = leaf(X)
run("std(x, unbiased=False)", torch.std(x, unbiased=False), x)
x = leaf([[1.0, 1.0], [0.0, 2.0]])
run("std(constant rows, 1)", torch.std(x, 1), x)

# ---- leaky_relu and gelu (tests/test_ops_rectifier.cpp) ----
x = leaf([-3.0, -0.5, 0.0, 0.25, 2.0])
run("leaky_relu(x, 0.1)", torch.nn.functional.leaky_relu(x, 0.1), x)
x = leaf([-3.0, -0.5, 0.0, 0.25, 2.0])
run("gelu(x)", torch.nn.functional.gelu(x), x)
print("// repr:", torch.nn.LeakyReLU(), torch.nn.LeakyReLU(0.2), torch.nn.GELU(), torch.nn.Softmax(dim=1),
      torch.nn.Identity())
