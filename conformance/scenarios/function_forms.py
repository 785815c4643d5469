"""The torch.<name> spelling of the functions that the other areas call as methods or operators (x.tril(),
x @ y), and the aliases, factories and utilities: each called once with good arguments, its result
compared (for random ones, their shape, dtype and device only)."""
from . import scenario


@scenario
def tensor_functions(torch, rec):
    a, b = rec.tensor(2, 3), rec.tensor(2, 3)
    v, m = rec.tensor(3), rec.tensor(3, 3)
    calls = {
        "clone": lambda: torch.clone(a), "concat": lambda: torch.concat([a, b]),
        "concatenate": lambda: torch.concatenate((a, b), 1), "det": lambda: torch.det(m + 3 * torch.eye(3)),
        "divide": lambda: torch.divide(a, b.abs() + 1), "true_divide": lambda: torch.true_divide(a, 2),
        "eq": lambda: torch.eq(a, b), "ne": lambda: torch.ne(a, a), "lt": lambda: torch.lt(a, b),
        "le": lambda: torch.le(a, 0.5), "gt": lambda: torch.gt(a, b), "ge": lambda: torch.ge(a, 0.5),
        "equal": lambda: [torch.equal(a, b), torch.equal(a, a.clone())], "ger": lambda: torch.ger(v, v),
        "index_add": lambda: torch.index_add(a, 1, torch.tensor([0, 2]), b[:, :2]),
        "isposinf": lambda: torch.isposinf(a / 0), "matmul": lambda: torch.matmul(a, m),
        "moveaxis": lambda: torch.moveaxis(a, 0, 1), "mul": lambda: torch.mul(a, b),
        "multiply": lambda: torch.multiply(a, 3), "mv": lambda: torch.mv(m, v), "narrow": lambda: torch.narrow(a, 1, 1, 2),
        "negative": lambda: torch.negative(a), "absolute": lambda: torch.absolute(a),
        "numel": lambda: torch.numel(a), "permute": lambda: torch.permute(a, (1, 0)), "reshape": lambda: torch.reshape(a, (3, 2)),
        "all": lambda: [torch.all(a > -3), torch.all(a > 0, 1)], "scatter_add": lambda: torch.scatter_add(
            a, 1, torch.tensor([[0, 0, 1], [2, 2, 2]]), b), "arctan2": lambda: torch.arctan2(a, b),
        "bmm": lambda: torch.bmm(a.reshape(1, 2, 3), m.reshape(1, 3, 3)), "select": lambda: torch.select(a, 1, -1),
        "sgn": lambda: torch.sgn(a), "t": lambda: torch.t(a), "subtract": lambda: torch.subtract(a, b, alpha=2),
        "tril": lambda: torch.tril(m, -1), "unsqueeze": lambda: torch.unsqueeze(a, 1),
        "result_type": lambda: [torch.result_type(a, 1), torch.result_type(torch.tensor([1]), 2.5)],
        "promote_types": lambda: torch.promote_types(torch.int32, torch.float16),
        "can_cast": lambda: [torch.can_cast(torch.float32, torch.int32), torch.can_cast(torch.int32, torch.float64)],
    }
    for name, call in calls.items():
        rec(name, call())


@scenario(dtypes=("float32",))
def factories(torch, rec):
    """Factories: deterministic ones compared by value; random ones by shape, dtype and device."""
    a = rec.tensor(2, 3)
    rec("empty", [torch.empty(2, 3).shape, torch.empty(2, dtype=torch.float64).dtype])
    rec("empty_like", [torch.empty_like(a).shape, torch.empty_like(a, dtype=torch.int64).dtype])
    rec("full_like", torch.full_like(a, 2.5))
    rec("linspace", [torch.linspace(0, 1, 5), torch.linspace(-1, 1, steps=3, dtype=torch.float64)])
    rec("from_numpy", torch.from_numpy(__import__("numpy").arange(3.0)) * 1)
    rec("manual_seed", type(torch.manual_seed(0)).__name__)
    random = {"rand": torch.rand(2, 3), "rand_like": torch.rand_like(a), "randn": torch.randn(4, dtype=torch.float64),
              "randn_like": torch.randn_like(a), "randint": torch.randint(0, 5, (3,)),
              "normal": torch.normal(0.0, 1.0, (2, 2))}
    for name, t in random.items():
        rec(name, [t.shape, t.dtype, t.device, t.requires_grad])


@scenario
def numpy_argument_names(torch, rec):
    """PyTorch's parser takes NumPy's names: axis for dim, keepdims for keepdim, x/a/x1 for input, x2 for
    other; giving both names of one parameter is an unexpected keyword, and Python-level functions take none."""
    a, b = rec.tensor(2, 3), rec.tensor(2, 3)
    calls = {
        "sum_axis": lambda: a.sum(axis=1), "sum_keepdims": lambda: torch.sum(a, 1, keepdims=True),
        "max_axis_keepdims": lambda: a.max(axis=1, keepdims=True),
        "mean_fn": lambda: torch.mean(a, axis=0, keepdims=True),
        "softmax_axis": lambda: a.softmax(axis=1), "cat_axis": lambda: torch.cat([a, b], axis=1),
        "stack_axis": lambda: torch.stack([a, b], axis=1), "var_axis": lambda: a.var(axis=1, keepdims=True),
        "logsumexp": lambda: torch.logsumexp(a, axis=1, keepdims=True), "argmax": lambda: a.argmax(axis=1),
        "input_names": lambda: [torch.sum(a=a), torch.exp(x=a), torch.add(x1=a, other=b), torch.mul(a, x2=b)],
        "method_x2": lambda: a.mul(x2=b), "gather": lambda: torch.gather(a, axis=1, index=torch.tensor([[0], [2]])),
    }
    for name, call in calls.items():
        rec(name, call())
    rec.raises("both_names", lambda: a.sum(dim=1, axis=1))
    rec.raises("both_keepdims", lambda: a.mean(1, keepdim=True, keepdims=True))
    rec.raises("python_level", lambda: torch.norm(a, axis=1))
