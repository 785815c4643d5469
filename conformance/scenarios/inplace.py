"""In-place ops: which are allowed, how they rewrite history, version counters and their errors."""
from . import scenario

FLOATS = ("float32", "float64")


@scenario
def leaf_inplace_error(torch, rec):
    x = torch.ones(3, requires_grad=True)
    rec.raises("add_", lambda: x.add_(1))
    rec.raises("setitem", lambda: x.__setitem__(0, 2.0))
    rec.raises("zero_", lambda: x.zero_())


@scenario
def modified_saved_tensor(torch, rec):
    x = torch.arange(4.0, requires_grad=True)
    b = (x * 1).exp()
    b.add_(1)
    rec("version", b._version)
    rec.raises("backward", lambda: b.sum().backward())


@scenario
def modified_saved_input(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    h = x * 1
    y = h * h
    h.mul_(2)
    rec("h.version", h._version)
    rec.raises("backward", lambda: y.sum().backward())


@scenario(dtypes=FLOATS)
def inplace_on_non_leaf(torch, rec):
    x = rec.tensor(3, requires_grad=True)
    y = x * 2
    y.add_(1)
    rec("y", y)
    y.mul_(y.detach().clone())  # a copy: mul_ saves it for backward
    rec("y_after_mul", y)
    y.sum().backward()
    rec("grad", x.grad)
    z = x * 2
    z.mul_(z.detach())  # the detached alias shares z's version counter, which mul_ itself bumps
    rec.raises("saved_alias_modified_by_the_op", lambda: z.sum().backward())


@scenario
def version_counter_counts(torch, rec):
    t = torch.zeros(3)
    versions = [t._version]
    t.add_(1)
    versions.append(t._version)
    t[0] = 5.0
    versions.append(t._version)
    t.mul_(2).sub_(1)
    versions.append(t._version)
    v = t.view(3)
    v.zero_()
    versions.append(t._version)
    rec("versions", versions)
    rec("t", t)


@scenario(dtypes=FLOATS)
def setitem_records_copy_slices(torch, rec):
    x = rec.tensor(4, requires_grad=True)
    y = x * 2
    y[1] = 0.0
    rec("y", y)
    y.sum().backward()
    rec("grad", x.grad)


@scenario(dtypes=FLOATS)
def inplace_takes_in_a_grad_requiring_operand(torch, rec):
    x = rec.tensor(3, requires_grad=True)
    a = torch.zeros(3, dtype=x.dtype)
    a.add_(x * x)
    rec("a", a)
    a.sum().backward()
    rec("grad", x.grad)


@scenario
def zero_and_fill_on_non_leaf(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    y = x * 3
    y.zero_()
    rec("zeroed", y)
    z = x * 3
    z.fill_(2.0)
    rec("filled", z)
    (y + z).sum().backward()
    rec("grad", x.grad)


@scenario
def inplace_exp_saves_result(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    y = x * 1
    y.exp_()
    rec("y", y)
    y.sum().backward()
    rec("grad", x.grad)
    z = x * 1
    z.exp_()
    z.add_(1)
    rec.raises("modified", lambda: z.sum().backward())


@scenario(dtypes=FLOATS)
def inplace_on_view_of_non_leaf(torch, rec):
    x = rec.tensor(3, requires_grad=True)
    y = x * 2
    v = y[1:]
    v.mul_(3)
    rec("y", y)
    rec("v", v)
    rec("versions", [y._version, v._version])
    y.sum().backward()
    rec("grad", x.grad)


@scenario(dtypes=("float32", "float64"))
def writes_under_forward_ad(torch, rec):
    """In-place writes carry tangents: zero_ and fill_ zero them, copy_ takes the source's; a cast's tangent
    is cast; fill_ with a tensor value, x[...] (an alias) and 3-d padding record their nodes."""
    fwAD = torch.autograd.forward_ad
    a, t = rec.tensor(3), rec.tensor(3)
    with fwAD.dual_level():
        d = fwAD.make_dual(a, t)
        zeroed = d * 1
        zeroed.zero_()
        rec("zero_", fwAD.unpack_dual(zeroed).tangent)
        filled = d * 1
        filled.fill_(3.0)
        rec("fill_", fwAD.unpack_dual(filled).tangent)
        copied = torch.zeros(3, dtype=a.dtype)
        copied.copy_(d)
        rec("copy_", fwAD.unpack_dual(copied).tangent)
        rec("to_double", fwAD.unpack_dual(d.double()).tangent)
        rec("alias", fwAD.unpack_dual(d[...]).tangent)
        filled_by_tensor = d * 1
        filled_by_tensor.fill_(torch.tensor(3.0, dtype=a.dtype))
        rec("fill_tensor_jvp", fwAD.unpack_dual(filled_by_tensor).tangent)
        leaf = a.clone().requires_grad_()
        primal = fwAD.unpack_dual(fwAD.make_dual(leaf, t)).primal
        (primal * primal).sum().backward()
        rec("grad_through_primal", leaf.grad)
    x = a.clone().requires_grad_()
    value = torch.tensor(2.0, dtype=a.dtype, requires_grad=True)
    y = x * 1
    y.fill_(value)
    (y * t).sum().backward()
    rec("fill_tensor", y)
    rec("fill_tensor_grads", [x.grad, value.grad])
    overwritten, source = x * 2, (a * 3).requires_grad_()
    overwritten.copy_(source)  # the old history gets zeros, the source the gradient
    (overwritten * t).sum().backward()
    rec("copy_grads", [x.grad, source.grad])
    x.grad = None
    z = x.double()[...]
    rec("alias_of_cast", z)
    (z * z).sum().backward()
    rec("cast_grad", x.grad)
    F = torch.nn.functional
    cube = torch.tensor(rec.data(1, 1, 2, 2, 2), dtype=a.dtype, requires_grad=True)
    for mode in ("reflect", "replicate"):
        padded = F.pad(cube, (1, 1, 1, 1, 1, 1), mode=mode)
        (padded * padded).sum().backward()
        rec(f"pad3d_{mode}", padded)
        rec(f"pad3d_{mode}_grad", cube.grad)
        rec(f"pad3d_{mode}_jvp", torch.func.jvp(lambda c: F.pad(c, (1, 1, 1, 1, 1, 1), mode=mode),
                                                 (cube.detach(),), (torch.ones_like(cube),))[1])
        cube.grad = None


@scenario
def integer_self_requiring_grad(torch, rec):
    """An integer tensor that requires grad (a float that requires grad written into it): an in-place op
    whose node keeps self's old value refuses it before writing (PyTorch's clone of original_self records
    history); the others record into it."""
    def integer():
        t = torch.tensor([[-1, 2, 3], [-4, 5, 6]])
        t[0] = torch.tensor(rec.data(1)[0], requires_grad=True)
        return t
    for name, op in [("abs_", lambda t: t.abs_()), ("clamp_", lambda t: t.clamp_(0)),
                     ("pow_", lambda t: t.pow_(2)), ("neg_", lambda t: t.neg_()),
                     ("add_", lambda t: t.add_(1)), ("mul_plain", lambda t: t.mul_(torch.tensor([2, 2, 2]))),
                     ("sign_", lambda t: t.sign_())]:
        t = integer()
        version = t._version
        rec.raises(name, lambda: op(t))
        rec(name + ".after", (t, t._version - version))
    t = integer()
    with torch.no_grad():
        t.abs_()
    rec("no_grad", t)


def _modify_then_backward(torch, make, modify, grad_of=None):
    """Runs make() (the op's output and its inputs), then modify(inputs, output) under no_grad, then backward:
    whether it raises says whether the op's node saved what was modified."""
    def run():
        out, inputs = make()
        with torch.no_grad():
            modify(inputs, out)
        out.sum().backward(inputs=grad_of(inputs) if grad_of else None)
        return [x.grad for x in inputs if x.requires_grad]
    return run


@scenario(dtypes=FLOATS)
def formulas_save_what_pytorch_reads(torch, rec):
    """A node saves what PyTorch's formula reads, not only what refgrad's needs: sgn's (a zero for real inputs)
    reads self and its result, index_add's for source reads source (its dim, expand_as), gather's and
    masked_select's and the padding ones read self (for its sizes); an output is always saved."""
    def leaf(*shape, low=-2.0):
        return rec.tensor(*shape, low=low, requires_grad=True)

    def bump(i):
        return lambda inputs, out: inputs[i].add_(1)

    def bump_out(inputs, out):
        out.add_(1)

    cases = {
        "sgn.self": (lambda: (lambda x: (x.sgn(), [x]))(leaf(3)), bump(0)),
        "sgn.result": (lambda: (lambda x: (x.sgn(), [x]))(leaf(3)), bump_out),
        "index_add.source": (lambda: (lambda x, s: (x.index_add(0, torch.tensor([1]), s), [x, s]))(leaf(3, 2), leaf(1, 2)),
                             bump(1)),
        "index_add.self": (lambda: (lambda x, s: (x.index_add(0, torch.tensor([1]), s), [x, s]))(leaf(3, 2), leaf(1, 2)),
                           bump(0)),
        "gather.self": (lambda: (lambda x: (x.gather(1, torch.tensor([[0], [1]])), [x]))(leaf(2, 3)), bump(0)),
        "masked_select.self": (lambda: (lambda x: (x.masked_select(torch.tensor([True, False, True])), [x]))(leaf(2, 3)),
                               bump(0)),
        "reflect_pad.self": (lambda: (lambda x: (torch.nn.functional.pad(x, (1, 1), mode="reflect"), [x]))(leaf(1, 2, 3)),
                             bump(0)),
        "replicate_pad.self": (lambda: (lambda x: (torch.nn.functional.pad(x, (1, 1), mode="replicate"), [x]))(
            leaf(1, 2, 3)), bump(0)),
        # an output is saved whichever input requires grad: pow's, read by the exponent's formula alone
        "pow.result_int_exponent": (lambda: (lambda x: (torch.pow(x, torch.tensor([1, 2, 3])), [x]))(leaf(3)),
                                    bump_out),
        "pow.result_float_exponent": (lambda: (lambda x: (torch.pow(x, rec.tensor(3)), [x]))(leaf(3, low=0.5)),
                                      bump_out),
    }
    for name, (make, modify) in cases.items():
        rec.raises(name, _modify_then_backward(torch, make, modify))


@scenario(dtypes=FLOATS)
def saved_whichever_input_requires_grad(torch, rec):
    """PyTorch saves a value that the formulas of several inputs read (lerp's weight, addcdiv's tensor2,
    convolution's input and weight, layer_norm's three) even when only another input requires grad, and its
    node unpacks every saved value before it runs a formula; one input's formula alone guards the rest."""
    def tensors(*shapes, requires=()):
        return [rec.tensor(*s, requires_grad=i in requires) for i, s in enumerate(shapes)]

    F = torch.nn.functional
    ops = {
        "lerp": (lambda a, b, w: torch.lerp(a, b, w), ((3,), (3,), (3,))),
        "addcdiv": (lambda a, b, c: torch.addcdiv(a, b, c, value=2), ((3,), (3,), (3,))),
        "mul": (lambda a, b: a * b, ((3,), (3,))),
        "conv1d": (lambda x, w, b: F.conv1d(x, w, b), ((1, 1, 4), (1, 1, 2), (1,))),
        "layer_norm": (lambda x, w, b: F.layer_norm(x, (3,), w, b), ((2, 3), (3,), (3,))),
        "bce_target": (lambda x, t: F.binary_cross_entropy(x.sigmoid(), t.sigmoid()), ((3,), (3,))),
    }
    for name, (fn, shapes) in ops.items():
        for req in range(len(shapes)):
            for mod in range(len(shapes)):
                def make(fn=fn, shapes=shapes, req=req):
                    inputs = tensors(*shapes, requires=(req,))
                    return fn(*inputs), inputs
                rec.raises(f"{name}.grad_of_{req}.modify_{mod}", _modify_then_backward(
                    torch, make, lambda inputs, out, mod=mod: inputs[mod].add_(1)))


@scenario
def sgn_result_modified_in_place(torch, rec):
    """The fuzzer's finding: sgn saves its result, so exp_ on it breaks a backward through repeat."""
    t0 = torch.tensor(rec.data(3), requires_grad=True)
    t1 = torch.sgn(t0)
    t2 = t1.repeat(2)
    t1.exp_()
    rec.raises("backward", lambda: t2.backward(torch.full_like(t2, 2), create_graph=True, inputs=[t0, t1]))


@scenario
def index_add_source_view_modified(torch, rec):
    """The fuzzer's finding: index_add saves source (a view of t0 here, regenerated as AsStrided when t0 is
    modified), so t0.mul_ under no_grad breaks its backward."""
    t0 = torch.tensor(rec.data(3), requires_grad=True)
    t1 = t0.index_add(0, torch.tensor([0]), t0.narrow(0, 0, 1))
    with torch.no_grad():
        t0.mul_(0)
    rec.raises("backward", lambda: t1.sum().backward(inputs=[t0]))


@scenario(dtypes=("int64",))
def fill_value_converted_before_inference_check(torch, rec):
    """The fuzzer's finding: fill_ (and masked_fill, full, full_like) convert their Python number to the
    tensor's dtype first, refusing one that overflows it even for an empty tensor; the write to an inference
    tensor outside inference mode is refused after it, a leaf that requires grad before it. A single half
    element is filled unchecked (70000 becomes inf)."""
    with torch.inference_mode():
        t = torch.relu(torch.tensor([], dtype=torch.int64))
    rec.raises("repro_inference", lambda: t.fill_(float("nan")))
    rec.raises("repro_empty", lambda: torch.tensor([], dtype=torch.int64).relu().fill_(float("nan")))
    rec.raises("inference_ok_value", lambda: t.fill_(1))
    leaf = torch.zeros(2, dtype=torch.float16, requires_grad=True)
    rec.raises("leaf_first", lambda: leaf.fill_(1e20))
    rec.raises("leaf_view_first", lambda: leaf[:1].fill_(1e20))
    values = [float("nan"), float("inf"), 1e20, float(2 ** 63), 2 ** 63, 300, -1, -256, -0.5, 70000.0, 1e40,
              1.5, True, 3 + 0j, 3 + 1j, 2 ** 64, -2 ** 63 - 1]
    dtypes = ["int64", "int32", "int8", "uint8", "bool", "float16", "float32", "float64"]
    for d in dtypes:
        dtype = getattr(torch, d)
        for v in values:
            for n in (0, 1, 2):
                rec.raises(f"fill_.{d}.{v!r}.{n}", lambda: torch.zeros(n, dtype=dtype).fill_(v))
                rec.raises(f"full.{d}.{v!r}.{n}", lambda: torch.full((n,), v, dtype=dtype))
            rec.raises(f"full_like.{d}.{v!r}", lambda: torch.full_like(torch.zeros(1, 2), v, dtype=dtype))
            mask = torch.tensor([True, False])
            rec.raises(f"masked_fill_.{d}.{v!r}", lambda: torch.zeros(2, dtype=dtype).masked_fill_(mask, v))
            rec.raises(f"masked_fill.{d}.{v!r}", lambda: torch.zeros(2, dtype=dtype)[:1].masked_fill(mask[:1], v))
            if not isinstance(v, complex):
                rec.raises(f"masked_fill_tensor.{d}.{v!r}", lambda: torch.zeros(2, dtype=dtype).masked_fill(
                    mask, torch.tensor(float(v) if abs(v) < 2 ** 63 else 0.0)))


@scenario(dtypes=("int64",))
def clamp_number_bounds_converted(torch, rec):
    """clamp's kernel reads number bounds as Scalars of the dtype it computes in, refusing one that overflows
    it (even for an empty tensor); in place, the check that the result casts into self comes first, and the
    inference-tensor refusal after."""
    values = [float("nan"), float("inf"), 1e20, 300, -1, -300, 1e40, 70000.0, 1.5, True]
    for d in ["int64", "int8", "uint8", "bool", "float16", "float32"]:
        dtype = getattr(torch, d)
        with torch.inference_mode():
            inference = torch.zeros(2, dtype=dtype)
        for v in values:
            for n in (0, 2):
                rec.raises(f"clamp_.{d}.{v!r}.{n}", lambda: torch.zeros(n, dtype=dtype).clamp_(v))
                rec.raises(f"clamp_max_.{d}.{v!r}.{n}", lambda: torch.zeros(n, dtype=dtype).clamp_(None, v))
                rec.raises(f"clamp.{d}.{v!r}.{n}", lambda: torch.zeros(n, dtype=dtype).clamp(-5, v))
                rec.raises(f"clamp_min.{d}.{v!r}.{n}", lambda: torch.clamp_min(torch.zeros(n, dtype=dtype), v))
                rec.raises(f"clamp_max.{d}.{v!r}.{n}", lambda: torch.clamp_max(torch.zeros(n, dtype=dtype), v))
            rec.raises(f"inference.{d}.{v!r}", lambda: inference.clamp_(v))


def _graph(fn):
    """A grad_fn and what it leads to, as nested (name, inputs) down to the leaves."""
    return None if fn is None else (fn.name(), [_graph(f) for f, _ in fn.next_functions])


@scenario
def copy_from_itself(torch, rec):
    """x.copy_(x), or from a view reading the same elements the same way: PyTorch's kernel writes nothing and so
    checks no overlap (an expanded gradient copies itself), while autograd still records CopyBackwards (refusing
    a leaf first) and the version counts the write."""
    x = rec.tensor(2, 2, requires_grad=True)
    grad, = torch.autograd.grad(x.sum(), [x], create_graph=True)  # expanded: one element, shared
    rec("expanded_grad", (grad.copy_(grad) is grad, grad, grad._version, grad.grad_fn))
    expanded = torch.ones(1).expand(3)
    rec("expanded_view", (expanded.copy_(expanded.view(3)), expanded._version))
    rec.raises("expanded_other", lambda: expanded.copy_(expanded.view(3).flip(0)))
    rec.raises("leaf", lambda: x.copy_(x))
    y = x * 2
    rec("recorded", (y.copy_(y), y._version, _graph(y.grad_fn)))
    through_base = (x * 1).view(4)[:1].expand(3)
    through_base.copy_(through_base)
    rec("expanded_view_of_nonleaf", (through_base._version, _graph(through_base.grad_fn),
                                     _graph(through_base._base.grad_fn)))
    with torch.no_grad():
        x.copy_(x)
    rec("no_grad_leaf", x._version)


@scenario
def integer_tensor_requiring_grad_out_of_place(torch, rec):
    """An op with an integer (or bool) result from an integer tensor that requires grad: PyTorch refuses to
    record it, naming the result's dtype (a bool + 2 is Long, a bool sum is Long); a copy to another integer
    dtype, or an op PyTorch gives a NotImplemented node (floor_divide), records nothing and is fine; a float
    result records as usual."""
    flags = torch.tensor([False, False, True]).gather(0, torch.tensor([0, 1, 2, 2]))
    flags[:] = torch.tensor(1.0, requires_grad=True)
    ints = torch.tensor([[-1, 2, 3], [-4, 5, 6]])
    ints[0] = torch.tensor(rec.data(1)[0], requires_grad=True)
    for who, t in (("bool", flags), ("int64", ints)):
        cases = {"add_int": lambda: torch.add(t, 2), "mul_bool": lambda: t * True, "clone": lambda: t.clone(),
                 "sum": lambda: t.sum(), "cumsum": lambda: t.cumsum(0), "clamp_max": lambda: t.clamp_max(2),
                 "view": lambda: t.view(-1), "to_int32": lambda: t.to(torch.int32), "to_float": lambda: t.to(torch.float32),
                 "add_float": lambda: t + 1.5, "eq": lambda: t == 1, "fmod": lambda: torch.fmod(t, 2),
                 "floor_divide": lambda: torch.floor_divide(t, 1)}
        for name, fn in cases.items():
            rec.raises(f"{who}.{name}", fn)
