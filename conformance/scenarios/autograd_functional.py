"""torch.autograd.functional: jacobian, hessian, vjp, jvp, hvp and vhp. Values, the tuple structure of
what they return, the flags of the results (create_graph, strict), vectorize=True and the forward-mode
strategy, and the errors of bad inputs, bad v, bad functions and refused option combinations."""
from . import scenario

FLOATS = ("float32", "float64")

# jacobian's (vectorize, strategy) combinations that compute something
_JACOBIAN_MODES = {"loop": {}, "vectorized": {"vectorize": True},
                   "forward": {"vectorize": True, "strategy": "forward-mode"}}


def _F(torch):
    return torch.autograd.functional


def _types(value):
    """The container types of a result (forward mode gives lists where reverse mode gives tuples), which
    observations do not tell apart."""
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__}[{', '.join(_types(v) for v in value)}]"
    return type(value).__name__


@scenario(dtypes=FLOATS)
def jacobian_shapes_and_structure(torch, rec):
    """Scalar, vector and matrix inputs and outputs; a tuple of inputs gives a tuple, a tuple of outputs
    too, both a tuple of tuples (output-major)."""
    F = _F(torch)
    s, x, m, w = rec.tensor(), rec.tensor(3), rec.tensor(2, 3), rec.tensor(3, 2)
    functions = {
        "scalar": (lambda a: a.sin() * a, s),
        "vector": (lambda a: a.exp() * a.sum(), x),
        "matrix": (lambda a: (a @ w).tanh(), m),
        "to_scalar": (lambda a: (a * a).sum(), m),
        "tuple_in": (lambda a, b: a @ b, (m, w)),
        "tuple_out": (lambda a: (a * 2, a.prod(), a.cos()), x),
        "tuple_both": (lambda a, b: (a.sum(0) * b, b.pow(3)), (m, x)),
        "one_tuple": (lambda a: (a.exp(),), (x,)),
        "list_out": (lambda a: [a * 3, a.sum()], x),
    }
    for mode, options in _JACOBIAN_MODES.items():
        for name, (f, inputs) in functions.items():
            rec.raises(f"{mode}.{name}", lambda: F.jacobian(f, inputs, **options))
            rec.raises(f"{mode}.{name}.types", lambda: _types(F.jacobian(f, inputs, **options)))


@scenario(dtypes=FLOATS)
def jacobian_create_graph(torch, rec):
    """create_graph=True keeps the graph to the caller's inputs that require grad (a second derivative
    flows back); without it the jacobian is detached and the inputs' .grad untouched."""
    F = _F(torch)
    for mode in ("loop", "vectorized"):
        options = _JACOBIAN_MODES[mode]
        x = rec.tensor(3, requires_grad=True)
        c = rec.tensor(3)
        rec(f"{mode}.detached", F.jacobian(lambda a, b: a * a * b, (x, c), **options))
        jac = F.jacobian(lambda a, b: a * a * b, (x, c), create_graph=True, **options)
        rec(f"{mode}.with_graph", jac)
        jac[0][0].sum().backward()
        rec(f"{mode}.x.grad", x.grad)
        rec(f"{mode}.c.grad", c.grad)
        rec(f"{mode}.no_grad_input", F.jacobian(lambda a: a * a, c, create_graph=True, **options))
        rec(f"{mode}.linear", F.jacobian(lambda a: a * 2, x, create_graph=True, **options))
    x = rec.tensor(2, requires_grad=True)
    # forward mode does not re-wrap the inputs: the tangents keep a graph to x (exp's formula reads its output)
    rec("forward.input_requires_grad", F.jacobian(lambda a: a.exp(), x, vectorize=True, strategy="forward-mode"))


@scenario
def jacobian_independent_inputs(torch, rec):
    """strict=False gives zeros for an input the outputs do not depend on (and for outputs that do not
    require grad); strict=True names what is independent."""
    F = _F(torch)
    x, y = rec.tensor(3), rec.tensor(2)

    def uses_x(a, b):
        return a.exp()

    def constant(a):
        return torch.ones(2)

    def half_constant(a, b):
        return a * 2, torch.zeros(2)

    for mode, options in _JACOBIAN_MODES.items():
        rec.raises(f"{mode}.unused", lambda: F.jacobian(uses_x, (x, y), **options))
        rec.raises(f"{mode}.constant", lambda: F.jacobian(constant, x, **options))
        rec.raises(f"{mode}.half_constant", lambda: F.jacobian(half_constant, (x, y), **options))
    rec.raises("strict.unused", lambda: F.jacobian(uses_x, (x, y), strict=True))
    rec.raises("strict.constant", lambda: F.jacobian(constant, x, strict=True))
    rec.raises("strict.linear_create_graph", lambda: F.jacobian(lambda a, b: (a, b * 3), (x, y), strict=True,
                                                                create_graph=True))
    rec.raises("strict.linear", lambda: F.jacobian(lambda a: a * 3, x, strict=True))
    rec.raises("strict.unused_create_graph", lambda: F.jacobian(uses_x, (x, y), strict=True, create_graph=True))


@scenario
def jacobian_refused_options(torch, rec):
    F = _F(torch)
    x = rec.tensor(3)

    def f(a):
        return a * a

    rec.raises("strict_vectorize", lambda: F.jacobian(f, x, strict=True, vectorize=True))
    rec.raises("strict_vectorize_constant_output", lambda: F.jacobian(lambda a: torch.ones(2), x, strict=True,
                                                                      vectorize=True))
    rec.raises("forward_strict", lambda: F.jacobian(f, x, strict=True, vectorize=True, strategy="forward-mode"))
    rec.raises("forward_create_graph", lambda: F.jacobian(f, x, create_graph=True, vectorize=True,
                                                          strategy="forward-mode"))
    rec.raises("forward_not_vectorized", lambda: F.jacobian(f, x, strategy="forward-mode"))
    rec.raises("forward_not_vectorized_bad_input", lambda: F.jacobian(f, 3, strategy="forward-mode"))
    rec.raises("unknown_strategy", lambda: F.jacobian(f, x, strategy="backward"))
    rec.raises("forward_integer_input", lambda: F.jacobian(f, torch.tensor([1, 2]), vectorize=True,
                                                           strategy="forward-mode"))


@scenario
def bad_inputs_and_functions(torch, rec):
    """Inputs and outputs must be Tensors or tuples of Tensors (a list output of the function is refused,
    a list input too); each function names itself."""
    F = _F(torch)
    x = rec.tensor(3)
    for fn_name in ("jacobian", "vjp", "jvp", "hessian", "hvp", "vhp"):
        fn = getattr(F, fn_name)
        v = {} if fn_name in ("jacobian", "hessian") else {"v": torch.ones(3)}
        rec.raises(f"{fn_name}.number_input", lambda: fn(lambda a: a.sum(), 3.0))
        rec.raises(f"{fn_name}.list_input", lambda: fn(lambda a: a.sum(), [x]))
        rec.raises(f"{fn_name}.tuple_with_number", lambda: fn(lambda a, b: a.sum(), (x, 2)))
        rec.raises(f"{fn_name}.returns_number", lambda: fn(lambda a: 3.0, x, **v))
        rec.raises(f"{fn_name}.returns_none", lambda: fn(lambda a: None, x, **v))
        rec.raises(f"{fn_name}.returns_list", lambda: fn(lambda a: [a.sum()], x, **v))
        rec.raises(f"{fn_name}.returns_tuple_with_number", lambda: fn(lambda a: (a.sum(), 1), x, **v))
    for mode in ("vectorized", "forward"):
        rec.raises(f"jacobian.{mode}.returns_number", lambda: F.jacobian(lambda a: 3.0, x, **_JACOBIAN_MODES[mode]))
        rec.raises(f"jacobian.{mode}.returns_list", lambda: F.jacobian(lambda a: [a * 2], x,
                                                                       **_JACOBIAN_MODES[mode]))


@scenario
def jacobian_empty_output(torch, rec):
    F = _F(torch)
    x = rec.tensor(3)
    rec.raises("loop", lambda: F.jacobian(lambda a: a[:0], x))
    rec.raises("loop_with_other", lambda: F.jacobian(lambda a: (a[:0], a * 2), x))
    rec.raises("vectorized_with_other", lambda: F.jacobian(lambda a: (a[:0], a * 2), x, vectorize=True))
    rec.raises("forward_with_other", lambda: F.jacobian(lambda a: (a[:0], a * 2), x, vectorize=True,
                                                        strategy="forward-mode"))
    # an empty batch: PyTorch's batched grad reads a first row that is not there; vmap runs forward mode once
    rec.raises("vectorized_all_empty", lambda: F.jacobian(lambda a: a[:0], x, vectorize=True))
    rec.raises("vectorized_constant_empty", lambda: F.jacobian(lambda a: torch.ones(0), x, vectorize=True))
    for mode, options in _JACOBIAN_MODES.items():
        rec.raises(f"{mode}.empty_input", lambda: F.jacobian(lambda a: a * 2, x[:0], **options))
        rec.raises(f"{mode}.empty_input_tuple", lambda: F.jacobian(lambda a, b: (a * 2, b),
                                                                  (x[:0], x[:0].reshape(0, 2)), **options))
    rec.raises("loop.empty_input_scalar_output", lambda: F.jacobian(lambda a: a.sum() + 1, x[:0]))
    rec.raises("vectorized.empty_input_scalar_output", lambda: F.jacobian(lambda a: a.sum() + 1, x[:0],
                                                                          vectorize=True))


@scenario(dtypes=FLOATS)
def jacobian_mixed_dtypes(torch, rec):
    """Reverse mode gives the input's dtype, forward mode the output's."""
    F = _F(torch)
    x = rec.tensor(3)
    other = torch.float32 if x.dtype == torch.float64 else torch.float64
    for mode, options in _JACOBIAN_MODES.items():
        rec.raises(mode, lambda: F.jacobian(lambda a: (a * a).to(other), x, **options))
        rec.raises(f"{mode}.integer_output", lambda: F.jacobian(lambda a: ((a > 0).long(), a * 2), x, **options))


@scenario(dtypes=FLOATS)
def hessian_values_and_structure(torch, rec):
    F = _F(torch)
    s, x, m = rec.tensor(), rec.tensor(3), rec.tensor(2, 2)
    functions = {
        "scalar": (lambda a: a.sin() * a * a, s),
        "vector": (lambda a: (a.exp() * a).sum(), x),
        "matrix": (lambda a: (a @ a).tanh().sum(), m),
        "one_element_output": (lambda a: (a ** 3).sum().reshape(1, 1), x),
        "tuple_in": (lambda a, b: (a.sum(0) * b[:2]).pow(2).sum(), (m, x)),
        "one_tuple": (lambda a: a.pow(4).sum(), (x,)),
    }
    modes = {"loop": {}, "vectorized": {"vectorize": True},
             "forward": {"vectorize": True, "outer_jacobian_strategy": "forward-mode"}}
    for mode, options in modes.items():
        for name, (f, inputs) in functions.items():
            rec.raises(f"{mode}.{name}", lambda: F.hessian(f, inputs, **options))
            rec.raises(f"{mode}.{name}.types", lambda: _types(F.hessian(f, inputs, **options)))
    y = rec.tensor(3, requires_grad=True)
    h = F.hessian(lambda a: (a ** 3).sum(), y, create_graph=True)
    rec("create_graph", h)
    h.diagonal().sum().backward()
    rec("create_graph.y.grad", y.grad)
    rec("create_graph_vectorized", F.hessian(lambda a: (a ** 3).sum(), y, create_graph=True, vectorize=True))
    rec("forward_input_requires_grad", F.hessian(lambda a: (a.exp() * a).sum(), y, vectorize=True,
                                                 outer_jacobian_strategy="forward-mode"))
    rec("y_untouched", y)


@scenario
def hessian_errors_and_strict(torch, rec):
    F = _F(torch)
    x, y = rec.tensor(3), rec.tensor(2)
    rec.raises("vector_output", lambda: F.hessian(lambda a: a * a, x))
    rec.raises("tuple_output", lambda: F.hessian(lambda a: (a.sum(),), x))
    rec.raises("unknown_strategy", lambda: F.hessian(lambda a: a.sum(), x, outer_jacobian_strategy="forward"))
    rec.raises("forward_not_vectorized", lambda: F.hessian(lambda a: (a ** 3).sum(), x,
                                                           outer_jacobian_strategy="forward-mode"))
    rec.raises("forward_create_graph", lambda: F.hessian(lambda a: (a ** 3).sum(), x, create_graph=True,
                                                         vectorize=True, outer_jacobian_strategy="forward-mode"))
    rec.raises("linear", lambda: F.hessian(lambda a: (a * 2).sum(), x))
    rec.raises("unused_input", lambda: F.hessian(lambda a, b: (a ** 3).sum(), (x, y)))
    rec.raises("constant", lambda: F.hessian(lambda a: torch.ones(()), x))
    rec.raises("strict.linear", lambda: F.hessian(lambda a: (a * 2).sum(), x, strict=True))
    rec.raises("strict.unused_input", lambda: F.hessian(lambda a, b: (a ** 3).sum(), (x, y), strict=True))
    rec.raises("strict.constant", lambda: F.hessian(lambda a: torch.ones(()), x, strict=True))
    rec.raises("strict.quadratic", lambda: F.hessian(lambda a: (a * a).sum(), x, strict=True))
    rec.raises("strict.quadratic_create_graph", lambda: F.hessian(lambda a: (a * a).sum(), x, strict=True,
                                                                  create_graph=True))
    rec.raises("strict.vectorize", lambda: F.hessian(lambda a: (a ** 3).sum(), x, strict=True, vectorize=True))


@scenario(dtypes=FLOATS)
def vjp_and_jvp(torch, rec):
    """Values and structure; v may be left out only for one-element outputs (vjp) or inputs (jvp)."""
    F = _F(torch)
    s, x, m, w = rec.tensor(), rec.tensor(3), rec.tensor(2, 3), rec.tensor(3, 2)
    for name in ("vjp", "jvp"):
        fn = getattr(F, name)
        rec.raises(f"{name}.scalar_no_v", lambda: fn(lambda a: a.exp() * a, s))
        rec.raises(f"{name}.vector", lambda: fn(lambda a: a.sin() * a.sum(), x, rec.tensor(3)))
        rec.raises(f"{name}.matrix_to_vector", lambda: fn(lambda a: (a @ w).sum(1), m,
                                                          rec.tensor(2) if name == "vjp" else rec.tensor(2, 3)))
        rec.raises(f"{name}.tuple_in", lambda: fn(lambda a, b: a * b, (x, x.cos()), rec.tensor(3) if name == "vjp"
                                                  else (rec.tensor(3), rec.tensor(3))))
        rec.raises(f"{name}.tuple_out", lambda: fn(lambda a: (a * 2, a.sum()), x, (rec.tensor(3), rec.tensor())
                                                   if name == "vjp" else rec.tensor(3)))
        rec.raises(f"{name}.one_tuple", lambda: fn(lambda a: (a.exp(),), (x,), (rec.tensor(3),)))
        rec.raises(f"{name}.integer_v", lambda: fn(lambda a: a * 2, x, torch.tensor([1, 2, 3])))


@scenario
def v_errors(torch, rec):
    F = _F(torch)
    x, y = rec.tensor(3), rec.tensor(2)
    for name in ("vjp", "jvp", "vhp", "hvp"):
        fn = getattr(F, name)
        scalar = name in ("vhp", "hvp")

        def f(a):
            return (a ** 3).sum() if scalar else a * a

        def g(a, b):
            return (a ** 3).sum() * b.sum() if scalar else (a * 2, b * 3)

        rec.raises(f"{name}.missing_v", lambda: fn(f, x))
        rec.raises(f"{name}.wrong_size", lambda: fn(f, x, torch.ones(4)))
        rec.raises(f"{name}.tuple_for_one", lambda: fn(f, x, (torch.ones(3), torch.ones(3))))
        rec.raises(f"{name}.wrong_length", lambda: fn(g, (x, y), (torch.ones(3),)))
        rec.raises(f"{name}.wrong_entry_size", lambda: fn(g, (x, y), (torch.ones(3), torch.ones(3))))
        rec.raises(f"{name}.number_v", lambda: fn(f, x, 1.0))
        rec.raises(f"{name}.list_v", lambda: fn(f, x, [torch.ones(3)]))
        rec.raises(f"{name}.one_element_input_no_v", lambda: fn(f, x[:1]))
    rec.raises("vjp.vector_input_scalar_output_no_v", lambda: F.vjp(lambda a: a.sum(), x))
    rec.raises("jvp.scalar_input_vector_output_no_v", lambda: F.jvp(lambda a: a * torch.ones(3), x[0]))


@scenario
def create_graph_and_strict(torch, rec):
    """The flags of the results: create_graph keeps their graph (to inputs that require grad); strict
    errors for independent inputs, outputs that do not require grad, and (with create_graph) results
    that do not."""
    F = _F(torch)
    x, y = rec.tensor(3, requires_grad=True), rec.tensor(2)
    for name in ("vjp", "jvp", "vhp", "hvp"):
        fn = getattr(F, name)
        scalar = name in ("vhp", "hvp")
        v_in = (torch.ones(3), torch.ones(2))
        v = v_in if name != "vjp" else (torch.ones(()) if scalar else torch.ones(3))
        v_one = torch.ones(3) if name != "vjp" or not scalar else torch.ones(())

        def cubic(a, b):
            return (a ** 3).sum() if scalar else a ** 3

        def linear(a):
            return (a * 2).sum() if scalar else a * 2

        def constant(a):
            return torch.ones(()) if scalar else torch.ones(3)

        rec.raises(f"{name}.plain", lambda: fn(cubic, (x, y), v))
        rec.raises(f"{name}.create_graph", lambda: fn(cubic, (x, y), v, create_graph=True))
        rec.raises(f"{name}.create_graph_no_grad_input", lambda: fn(cubic, (x.detach(), y), v, create_graph=True))
        out, res = fn(cubic, (x, y), v, create_graph=True)
        rec(f"{name}.create_graph.reaches_x", torch.autograd.grad((out.sum(), res[0].sum()), x, allow_unused=True))
        rec.raises(f"{name}.linear", lambda: fn(linear, x, v_one))
        rec.raises(f"{name}.linear_create_graph", lambda: fn(linear, x, v_one, create_graph=True))
        rec.raises(f"{name}.constant", lambda: fn(constant, x, v_one))
        rec.raises(f"{name}.strict.unused", lambda: fn(cubic, (x, y), v, strict=True))
        rec.raises(f"{name}.strict.linear", lambda: fn(linear, x, v_one, strict=True))
        rec.raises(f"{name}.strict.linear_create_graph", lambda: fn(linear, x, v_one, strict=True,
                                                                    create_graph=True))
        rec.raises(f"{name}.strict.constant", lambda: fn(constant, x, v_one, strict=True))
        rec.raises(f"{name}.strict.cubic", lambda: fn(lambda a: cubic(a, None), x, v_one, strict=True))
        rec.raises(f"{name}.strict.cubic_create_graph", lambda: fn(lambda a: cubic(a, None), x, v_one, strict=True,
                                                                   create_graph=True))
    rec("x_untouched", [x, x.grad])


@scenario
def create_graph_backpropagates(torch, rec):
    F = _F(torch)
    for name in ("vjp", "jvp", "vhp", "hvp"):
        x = rec.tensor(3, requires_grad=True)
        v = rec.tensor(3, requires_grad=True)
        f = (lambda a: (a.sin() * a).sum()) if name in ("vhp", "hvp") else (lambda a: a.sin() * a)
        out, res = getattr(F, name)(f, x, v, create_graph=True)
        (res.sum() + out.sum()).backward()
        rec(f"{name}.grads", [x.grad, v.grad])


@scenario
def under_no_grad(torch, rec):
    """The functions turn grad mode on for their own graph; the results follow create_graph."""
    F = _F(torch)
    x = rec.tensor(3)
    with torch.no_grad():
        rec("jacobian", F.jacobian(lambda a: a.exp(), x, create_graph=True))
        rec("vjp", F.vjp(lambda a: a.exp(), x, torch.ones(3)))
        rec("jvp", F.jvp(lambda a: a.exp(), x, torch.ones(3), create_graph=True))
        rec("hvp", F.hvp(lambda a: a.exp().sum(), x, torch.ones(3)))
        rec("vhp", F.vhp(lambda a: a.exp().sum(), x, torch.ones(3), create_graph=True))
        rec("hessian", F.hessian(lambda a: a.exp().sum(), x))
        rec("grad_enabled_inside", F.vjp(lambda a: a * torch.is_grad_enabled(), x, torch.ones(3))[0])
        rec("still_no_grad", torch.is_grad_enabled())


@scenario
def inputs_are_fresh_tensors(torch, rec):
    """The function sees new tensors: a capture of the caller's input is a constant for the derivative."""
    F = _F(torch)
    x = rec.tensor(3, requires_grad=True)
    seen = []

    def f(a):
        seen.append(a)
        return a * x

    rec("jacobian", F.jacobian(f, x))
    rec("jacobian_vectorized", F.jacobian(f, x, vectorize=True))  # one call too: vmap batches the backward only
    rec("hessian", F.hessian(lambda a: f(a).sum(), x, vectorize=True))
    rec("vjp", F.vjp(f, x, torch.ones(3), create_graph=True))
    rec("seen", [[a is x, a.is_leaf, a.requires_grad, a.grad_fn] for a in seen])


@scenario
def identity_and_captured_inputs(torch, rec):
    """A function that returns its input itself (the output is the re-wrapped input, whose gradient is
    the seed) or a captured tensor; forward-mode hessian leaves the caller's input as it was."""
    F = _F(torch)
    x, y = rec.tensor(3), rec.tensor(2)
    for mode, options in _JACOBIAN_MODES.items():
        rec.raises(f"jacobian.{mode}", lambda: F.jacobian(lambda a, b: (a, b * 2), (x, y), **options))
    for create_graph in (False, True):
        rec.raises(f"vjp.{create_graph}", lambda: F.vjp(lambda a: a, x, torch.ones(3), create_graph=create_graph))
        rec.raises(f"jvp.{create_graph}", lambda: F.jvp(lambda a: a, x, torch.ones(3), create_graph=create_graph))
        rec.raises(f"jvp.captured.{create_graph}", lambda: F.jvp(lambda a: (a * 2, y), x, torch.ones(3),
                                                                 create_graph=create_graph))
        rec.raises(f"vjp.captured.{create_graph}", lambda: F.vjp(lambda a: (a * 2, y), x, (torch.ones(3), y),
                                                                 create_graph=create_graph))
    rec.raises("hessian.forward", lambda: F.hessian(lambda a: (a ** 3).sum(), x, vectorize=True,
                                                    outer_jacobian_strategy="forward-mode"))
    rec("x_after_forward_hessian", x)
    for name in ("vhp", "hvp"):
        rec.raises(f"{name}.one_element_output", lambda: getattr(F, name)(lambda a: (a ** 3).sum().reshape(1, 1), x,
                                                                          torch.ones(3)))
