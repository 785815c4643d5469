"""refgrad's modules import one way: no import cycle, and each layer imports only the layers below it.

Read from the source, so it stays true: every `import` and `from ... import` counts, at module level
or inside a function, and `__import__`/`importlib.import_module` are not allowed at all (an import
the graph cannot see). `from package import name` counts as an import of `package.name` when that is
a module. The package `__init__` files that only re-export (refgrad, refgrad.autograd, nn, optim)
sit at the top of their layer.
"""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "refgrad"

# Bottom to top. A module may import modules of its own layer (without a cycle) and of layers below.
LAYERS = [
    ("foundations", ["_fp", "_cpu", "_layout", "_warn", "_args", "_dtype", "_scalars", "_device", "return_types", "cuda"]),
    ("graph and modes", ["autograd.grad_mode", "autograd.anomaly_mode", "autograd.forward_level", "autograd.graph"]),
    ("tensor", ["_tensor", "_printing", "_creation"]),
    ("promotion", ["_promotion"]),
    ("table", ["_rule", "_kernels", "_formulas", "derivatives"]),
    ("dispatch", ["_dispatch"]),
    ("public ops", ["_signatures", "_ops", "_einsum", "linalg"]),
    ("autograd API", ["autograd.engine", "autograd.api", "autograd.function", "autograd.variable",
                      "autograd.forward_ad", "autograd.gradcheck", "autograd.functional", "autograd"]),
    ("nn, optim, func", ["nn.parameter", "nn.init", "nn.functional", "nn.module_hooks", "nn.modules", "nn.layers",
                         "utils.data", "utils",
                         "nn.utils.clip_grad", "nn.utils.convert_parameters", "nn.utils", "nn", "optim.optimizer",
                         "optim.sgd", "optim.adam", "optim.adamw", "optim.rmsprop", "optim.adagrad", "optim.lr_scheduler",
                         "optim",
                         "func", "", "torch_alias", "run"]),
]
LAYER_OF = {module: i for i, (_, modules) in enumerate(LAYERS) for module in modules}


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name):
    rel = ROOT.joinpath(*name.split(".")) if name else ROOT
    return rel.with_suffix(".py").is_file() or (rel / "__init__.py").is_file()


def _resolve(module, is_package, level, target):
    """The refgrad-relative name of `from <level dots><target>` inside `module`, or None if outside refgrad."""
    if level == 0:
        if target != "refgrad" and not target.startswith("refgrad."):
            return None
        return target[len("refgrad."):] if target != "refgrad" else ""
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    parts = parts[:len(parts) - (level - 1)]
    return ".".join(parts + ([target] if target else []))


def import_graph():
    """module -> {imported module: line}, over every import in refgrad's source."""
    graph = {}
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        is_package = path.name == "__init__.py"
        edges = graph.setdefault(module, {})
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    name = _resolve(module, is_package, 0, alias.name)
                    if name is not None:
                        edges.setdefault(name, node.lineno)
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, is_package, node.level, node.module or "")
                if base is None:
                    continue
                for alias in node.names:
                    sub = f"{base}.{alias.name}" if base else alias.name
                    edges.setdefault(sub if _is_module(sub) else base, node.lineno)
            elif isinstance(node, ast.Call):
                fn = node.func
                name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else None
                if name in ("__import__", "import_module"):
                    edges.setdefault("<dynamic import>", node.lineno)
    for module in graph:
        graph[module].pop(module, None)
    return graph


def _cycles(graph):
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def test_no_dynamic_imports():
    dynamic = [f"refgrad.{m or '__init__'} line {edges['<dynamic import>']}"
               for m, edges in import_graph().items() if "<dynamic import>" in edges]
    assert not dynamic, f"imports the graph cannot see: {dynamic}"


def test_no_import_cycle():
    assert _cycles(import_graph()) == []


def test_every_module_has_a_layer():
    assert sorted(set(import_graph()) - set(LAYER_OF)) == []


@pytest.mark.parametrize("module", sorted(LAYER_OF, key=lambda m: (LAYER_OF[m], m)))
def test_imports_go_down(module):
    upward = [f"{target or 'refgrad'} (line {line}, layer '{LAYERS[LAYER_OF[target]][0]}')"
              for target, line in import_graph().get(module, {}).items()
              if target in LAYER_OF and LAYER_OF[target] > LAYER_OF[module]]
    assert not upward, f"refgrad.{module} (layer '{LAYERS[LAYER_OF[module]][0]}') imports upward: {upward}"


def test_the_checker_sees_cycles_and_function_level_imports(tmp_path, monkeypatch):
    """The checker itself: a cycle closed by an import inside a function is found."""
    pkg = tmp_path / "refgrad"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .a import g\n")
    (pkg / "c.py").write_text("x = __import__('refgrad.a')\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", pkg)
    graph = import_graph()
    assert _cycles(graph) == [["a", "b"]]
    assert "<dynamic import>" in graph["c"]
