"""Source-level mutants of the derivative table's formulas, for the fault-injection tests.

Each backward or forward-mode formula written as a lambda in refgrad/derivatives.py is parsed, and
every single-point change a careless edit could make is a mutant: a comparison swapped (`>` for `>=`,
`==` for `!=`), a number changed, one term of a sum or factor of a product dropped, a minus removed.
`Mutant.applied()` swaps the lambda's code for the mutant's, so everything that holds the function
(the table, a helper) runs the mutant until the block ends.
"""
import ast
import contextlib
import copy
from dataclasses import dataclass

from refgrad import derivatives

_SWAPS = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Eq: ast.NotEq,
          ast.NotEq: ast.Eq}
_TERMS = (ast.Add, ast.Sub, ast.Mult, ast.Div)


@dataclass(frozen=True)
class Mutant:
    function: object
    code: object
    site: int  # which of the formula's mutation sites, in source order
    what: str

    @contextlib.contextmanager
    def applied(self):
        original = self.function.__code__
        self.function.__code__ = self.code
        try:
            yield
        finally:
            self.function.__code__ = original

    @property
    def id(self):
        return f"{self.what}@{self.site}"


def _lambdas_by_line():
    with open(derivatives.__file__) as f:
        tree = ast.parse(f.read())
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda):
            out.setdefault(node.lineno, []).append(node)
    return out


def _find(function, lambdas):
    """The lambda node that compiled to `function` (same line and arguments; the only one, or None)."""
    code = function.__code__
    args = code.co_varnames[:code.co_argcount]
    found = [node for node in lambdas.get(code.co_firstlineno, ())
             if tuple(a.arg for a in node.args.args) == args]
    return found[0] if len(found) == 1 else None


def _sites(node):
    """(description, mutated copy of the lambda) for each single-point change."""
    for i, sub in enumerate(ast.walk(node)):
        if isinstance(sub, ast.Compare):
            for j, op in enumerate(sub.ops):
                if type(op) in _SWAPS:
                    yield f"{type(op).__name__}->{_SWAPS[type(op)].__name__}", _replace(node, i, "ops", j,
                                                                                       _SWAPS[type(op)]())
        elif isinstance(sub, ast.Constant) and type(sub.value) in (int, float):
            yield f"{sub.value}->{sub.value * 2 + 1}", _replace(node, i, "value", None, sub.value * 2 + 1)
        elif isinstance(sub, ast.BinOp) and isinstance(sub.op, _TERMS):
            yield f"drop right of {type(sub.op).__name__}", _replace(node, i, None, None, "left")
            yield f"drop left of {type(sub.op).__name__}", _replace(node, i, None, None, "right")
        elif isinstance(sub, ast.UnaryOp) and isinstance(sub.op, ast.USub):
            yield "drop minus", _replace(node, i, None, None, "operand")


def _replace(node, index, field, position, value):
    """A copy of `node` whose `index`-th walked sub-node has `field` (or item `position` of it) set to
    `value`; with no field, that sub-node is replaced by its child named `value`."""
    new = copy.deepcopy(node)
    target = list(ast.walk(new))[index]
    if field is None:
        child = getattr(target, value)
        for parent in ast.walk(new):
            for name, old in ast.iter_fields(parent):
                if old is target:
                    setattr(parent, name, child)
                elif isinstance(old, list) and any(o is target for o in old):
                    old[[o is target for o in old].index(True)] = child
        if new is target:
            return None
    elif position is None:
        setattr(target, field, value)
    else:
        getattr(target, field)[position] = value
    return new


def _compile(function, node):
    expression = ast.fix_missing_locations(ast.Expression(body=node))
    new = eval(compile(expression, derivatives.__file__, "eval"), function.__globals__)
    return new.__code__ if new.__code__.co_freevars == function.__code__.co_freevars else None


def formula_mutants(function):
    """The mutants of one formula (none when it is not a lambda of derivatives.py)."""
    if getattr(function, "__name__", "") != "<lambda>" or function.__code__.co_filename != derivatives.__file__:
        return []
    node = _find(function, _LAMBDAS)
    if node is None:
        return []
    mutants, seen = [], set()
    for site, (what, mutated) in enumerate(_sites(node)):
        if mutated is None or ast.dump(mutated) in seen:
            continue
        seen.add(ast.dump(mutated))
        code = _compile(function, mutated)
        if code is not None:
            mutants.append(Mutant(function, code, site, what))
    return mutants


_LAMBDAS = _lambdas_by_line()


def _module_functions(module):
    with open(module.__file__) as f:
        tree = ast.parse(f.read())
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def helper_mutants(module, skip=()):
    """The mutants of the module-level functions of `module` (refgrad/_formulas.py: the helpers the formulas
    call), as (function, mutant) pairs."""
    out = []
    for name, node in _module_functions(module).items():
        function = getattr(module, name, None)
        if name in skip or not callable(function) or getattr(function, "__code__", None) is None:
            continue
        if function.__code__.co_filename != module.__file__:
            continue  # wrapped or replaced since
        seen = set()
        for site, (what, mutated) in enumerate(_sites(node)):
            if mutated is None or ast.dump(mutated) in seen or isinstance(mutated, ast.Lambda):
                continue
            seen.add(ast.dump(mutated))
            namespace = dict(function.__globals__)
            exec(compile(ast.fix_missing_locations(ast.Module(body=[mutated], type_ignores=[])), module.__file__,
                         "exec"), namespace)
            code = namespace[name].__code__
            if code.co_freevars == function.__code__.co_freevars:
                out.append((function, Mutant(function, code, site, what)))
    return out


def names_used(function):
    """The global and attribute names a function's code (and the code nested in it) refers to."""
    names, stack = set(), [function.__code__]
    while stack:
        code = stack.pop()
        names.update(code.co_names)
        stack.extend(c for c in code.co_consts if hasattr(c, "co_names"))
    return names
