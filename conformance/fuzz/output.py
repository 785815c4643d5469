"""What a fuzz run leaves behind: a standalone repro script per difference, and the reports.

    DIR/report.json   schema `refgrad-conformance-fuzz`, version 1: the run, its counts, one entry per
                      difference (signature, subjects, field, expected, actual, program, repro path)
    DIR/report.md     the same for people, with each program inline
    DIR/report.html   the same, one collapsible section per difference
    DIR/repro/<signature>.py   runs the program under torch and the subject and prints what each observes
"""
import html
import os
import re

from ..compare import format_diff
from ..report import write_reports
from .execute import MUTATING

__all__ = ["write_fuzz_reports", "repro_script", "load_repro", "SCHEMA"]

SCHEMA = "refgrad-conformance-fuzz"

_REPRO_MARK = '"""Fuzz finding '
_REPRO = '''"""Fuzz finding {signature}: {subject} differs from {against}.

{diff}

Found by: {command}
Run it:   python {filename} [ENGINE ...]   (default: {engines}) prints what each engine does, step by step.
Compare:  python -m conformance fuzz --replay {filename} --subjects {subject}
"""
import importlib
import re
import sys
import warnings

STEPS = [
{steps}
]


def run(torch):
    """Runs the steps on one engine, printing each step's new values, errors, warnings and hook calls."""
    namespace = {{"torch": torch, "F": torch.nn.functional,
                 "_hook": lambda name, grad: print(f"    hook {{name}}({{grad!r}})")}}
    for i, code in enumerate(STEPS):
        print(f"[{{i}}] " + code.replace("\\n", "\\n    "))
        before = set(namespace)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                exec(code, namespace)
            except Exception as exc:
                print(f"    raised {{type(exc).__name__}}: {{exc}}")
            for w in caught:
                print(f"    warning {{w.category.__name__}}: {{w.message}}")
            for name in [n for n in namespace if n not in before and not n.startswith("__")]:
                show(name, lambda: repr(namespace[name]))
            if re.search({mutating!r}, code):  # a step that may change other tensors: show them all
                for name, value in list(namespace.items()):
                    if re.match(r"^t\\d+$", name) and type(value).__name__ in ("Tensor", "Parameter"):
                        show(name, lambda: f"{{value!r}}, .grad = {{value.grad!r}}")


def show(name, text):
    try:
        print(f"    {{name}} = {{text()}}")
    except Exception as exc:  # the engine refuses to show it (a view it invalidated): that is what it does
        print(f"    {{name}}: raised {{type(exc).__name__}}: {{exc}}")

if __name__ == "__main__":
    for engine in sys.argv[1:] or {engine_list!r}:
        print(f"=== {{engine}}")
        run(importlib.import_module(engine))
'''


def _slug(signature):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", signature).strip("_") or "difference"


def _engine_module(subject):
    return subject.split(":")[0] if subject.split(":")[0] in ("torch", "refgrad") else None


def repro_script(finding, command, filename):
    engines = [e for e in dict.fromkeys([_engine_module(finding["against"]), _engine_module(finding["subject"])]) if e]
    steps = "\n".join(f"    {line!r}," for line in finding["program"])
    diff = format_diff(finding["diff"], subject=finding["subject"], reference=finding["against"])
    return _REPRO.format(signature=finding["signature"], subject=finding["subject"], against=finding["against"],
                         diff=diff.replace('"""', "'''"), command=command, filename=filename,
                         engines=" ".join(engines) or "torch refgrad", steps=steps,
                         engine_list=engines or ["torch", "refgrad"],
                         mutating=MUTATING.pattern)


def load_repro(path):
    """The program (its STEPS) of a repro script, without running the script."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    match = re.search(r"^STEPS = (\[.*?^\])", text, re.S | re.M)
    if not match:
        raise ValueError(f"{path} has no STEPS = [...] list")
    import ast
    steps = ast.literal_eval(match.group(1))
    if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
        raise ValueError(f"{path}: STEPS must be a list of strings")
    return steps


def write_fuzz_reports(report, directory):
    """Writes the repro scripts and report.json/.md/.html; returns the paths of the reports."""
    repro_dir = os.path.join(directory, "repro")
    os.makedirs(repro_dir, exist_ok=True)
    _remove_old_repros(repro_dir)
    for finding in report["findings"]:
        path = os.path.join(repro_dir, _slug(finding["signature"]) + ".py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(repro_script(finding, report["run"]["command"], path))
        finding["repro"] = path
    return write_reports(report, directory, render_markdown, render_html)


def _remove_old_repros(repro_dir):
    """An earlier run's repro scripts in the same directory would read as this run's findings: they go (only
    files this module wrote, which start with its docstring)."""
    for name in os.listdir(repro_dir):
        path = os.path.join(repro_dir, name)
        if name.endswith(".py") and os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                ours = f.read(len(_REPRO_MARK)) == _REPRO_MARK
            if ours:
                os.remove(path)


def _summary_line(report):
    c = report["counts"]
    return (f"{c['programs']} programs, {c['steps']} steps, {c['rounds']} rounds, seed {report['run']['seed']}: "
            f"{len(report['findings'])} new differences, {sum(report['known'].values())} programs with known "
            f"divergences ({len(report['known'])} signatures), {sum(report.get('carried', {}).values())} that "
            f"differed only by rounding (carried from an earlier step, or of an ill-conditioned matrix)")


def render_markdown(report):
    lines = ["# Differential fuzzing", "", _summary_line(report), "",
             f"Command: `{report['run']['command']}`", ""]
    if report["findings"]:
        lines += ["| signature | subject | against | field | programs | repro |", "|---|---|---|---|---|---|"]
        for f in report["findings"]:
            lines.append(f"| `{f['signature']}` | {f['subject']} | {f['against']} | `{f['field']}` | {f['hits']} | "
                         f"`{f.get('repro', '')}` |")
    for f in report["findings"]:
        lines += ["", f"## {f['signature']}", "", "```python", *f["program"], "```", "", "```",
                  format_diff(f["diff"], subject=f["subject"], reference=f["against"]), "```"]
    if report["known"]:
        lines += ["", "## Known divergences met", ""] + [f"- `{s}`: {n} programs" for s, n in sorted(report["known"].items())]
    if report.get("carried"):
        lines += ["", "## Rounding only (not reported; --strict-rounding reports it)", ""] + \
            [f"- `{s}`: {n} programs" for s, n in sorted(report["carried"].items())]
    return "\n".join(lines) + "\n"


def render_html(report):
    esc = html.escape
    parts = ["<!doctype html><meta charset='utf-8'><title>refgrad fuzz report</title>",
             "<style>body{font-family:sans-serif;margin:2em}pre{background:#f4f4f4;padding:.5em}</style>",
             "<h1>Differential fuzzing</h1>", f"<p>{esc(_summary_line(report))}</p>",
             f"<p>Command: <code>{esc(report['run']['command'])}</code></p>"]
    for f in report["findings"]:
        parts.append(f"<details open><summary><code>{esc(f['signature'])}</code>: {esc(f['subject'])} vs "
                     f"{esc(f['against'])}, {f['hits']} programs</summary>"
                     f"<pre>{esc(chr(10).join(f['program']))}</pre>"
                     f"<pre>{esc(format_diff(f['diff'], subject=f['subject'], reference=f['against']))}</pre>"
                     f"<p>repro: <code>{esc(f.get('repro', ''))}</code></p></details>")
    return "\n".join(parts) + "\n"
