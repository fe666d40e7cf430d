"""Golden values for the core ops tests (tests/test_ops_*.cpp), computed with PyTorch.

Run with Debian's python3-torch: /usr/bin/python3 tests/reference/golden_ops.py
Prints each case as C++ initialiser lists; the values are frozen into the tests by hand, and CI
never runs this script. Every input is a small literal so the C++ side can rebuild it exactly.
"""
import torch

torch.set_printoptions(precision=8)


def fmt(t):
    flat = t.detach().reshape(-1).tolist()
    return "{" + ", ".join(f"{v:.8g}f" for v in flat) + "}"


def case(name, **tensors):
    print(f"// {name}")
    for k, v in tensors.items():
        print(f"//   {k} {list(v.shape)} = {fmt(v)}")


def leaf(values):
    return torch.tensor(values, dtype=torch.float32, requires_grad=True)


# ---- elementwise with broadcasting: y = (a * b + a / b - b) weighted by w, summed ----
a = leaf([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])  # [2, 3]
b = leaf([1.25, -0.5, 2.0])                       # [3]
y = a * b + a / b - b
w = torch.tensor([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]])
(y * w).sum().backward()
case("elementwise broadcast a[2,3] op b[3]", y=y, da=a.grad, db=b.grad)

c = leaf([[2.0], [-3.0]])           # [2, 1]
r = leaf([[0.5, 1.0, -1.5, 2.5]])   # [1, 4]
y = c * r - c + r
w = torch.arange(8, dtype=torch.float32).reshape(2, 4) - 3.5
(y * w).sum().backward()
case("column [2,1] op row [1,4]", y=y, dc=c.grad, dr=r.grad)

# ---- unary ops, all on x = [0.3, 1.7, 0.9, 2.4], upstream dy = [1, -0.5, 2, 0.25] ----
dy = torch.tensor([1.0, -0.5, 2.0, 0.25])
for name, f in [("exp", torch.exp), ("log", torch.log), ("sqrt", torch.sqrt),
                ("pow 3", lambda t: t.pow(3.0)), ("pow -1.5", lambda t: t.pow(-1.5)),
                ("neg", torch.neg)]:
    x = leaf([0.3, 1.7, 0.9, 2.4])
    y = f(x)
    y.backward(dy)
    case(name, y=y, dx=x.grad)

# ---- activations on x = [-3, -0.5, 0, 0.5, 3], upstream dy = [1, 2, 3, 4, 5] ----
dy = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
for name, f in [("relu", torch.relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh)]:
    x = leaf([-3.0, -0.5, 0.0, 0.5, 3.0])
    y = f(x)
    y.backward(dy)
    case(name, y=y, dx=x.grad)
x = torch.tensor([-100.0, -30.0, 30.0, 100.0])
case("sigmoid extremes", y=torch.sigmoid(x))

# ---- reductions over X [2, 3, 2] ----
X = torch.tensor([[[1.0, -2.0], [3.5, 0.5], [-1.0, 4.0]],
                  [[2.0, 2.0], [-0.5, 1.5], [0.0, -3.0]]])
for dim in [0, 1, 2, -1]:
    case(f"sum dim {dim}", y=X.sum(dim))
    case(f"mean dim {dim}", y=X.mean(dim))
    v, i = X.max(dim)
    case(f"max dim {dim}", values=v, indices=i.float())

# ---- softmax and log_softmax over L [2, 4] along dim 1 and dim 0 ----
L = [[1.0, 2.0, 0.5, -1.0], [3.0, -2.0, 0.0, 3.0]]
dy = torch.tensor([[1.0, 0.0, -1.0, 2.0], [0.5, 0.5, -2.0, 1.0]])
for dim in [1, 0]:
    x = leaf(L)
    y = torch.log_softmax(x, dim)
    y.backward(dy)
    case(f"log_softmax dim {dim}", y=y, dx=x.grad)
    x = leaf(L)
    y = torch.softmax(x, dim)
    y.backward(dy)
    case(f"softmax dim {dim}", y=y, dx=x.grad)
big = torch.tensor([[1e8, 0.0, -1e8], [1000.0, 1000.0, -1000.0]])
case("log_softmax large logits", y=torch.log_softmax(big, 1))
case("softmax large logits", y=torch.softmax(big, 1))

# ---- linear: x [2, 3], w [2, 3] (out, in), b [2]; dy [[1, -1], [0.5, 2]] ----
x = leaf([[1.0, 2.0, -1.0], [0.5, -0.5, 3.0]])
wt = leaf([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]])
bb = leaf([0.05, -0.15])
y = torch.nn.functional.linear(x, wt, bb)
y.backward(torch.tensor([[1.0, -1.0], [0.5, 2.0]]))
case("linear", y=y, dx=x.grad, dw=wt.grad, db=bb.grad)
