"""Reports of a run: the terminal matrix and failure diffs, report.json, report.md and report.html.

report.json follows the schema `refgrad-conformance-report`, version 1 (documented in the README):
run metadata, the tolerances used, a summary, the known-divergences findings and one record per
case and subject.
"""
import datetime
import html
import json
import os
import platform
import sys
from collections import Counter, defaultdict
from importlib import metadata

from .compare import TOLERANCE_SOURCE, TOLERANCES, format_diff
from .manifest import FAILING, gate_failures

__all__ = ["SCHEMA", "VERSION", "run_metadata", "build_report", "write_reports", "format_matrix", "format_failure",
           "OUTCOMES"]

SCHEMA = "refgrad-conformance-report"
VERSION = 1
OUTCOMES = ("passed", "failed", "error", "timeout", "crashed", "xfailed", "xpassed", "skipped")
_COLOURS = {"passed": "#c8e6c9", "xfailed": "#fff3c4", "skipped": "#e0e0e0", "xpassed": "#ffe0b2"}
_BAD = "#ffcdd2"


def _version(package):
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def run_metadata(subjects, **settings):
    """Versions, platform and devices of this run."""
    devices = {"cpu": platform.processor() or platform.machine(), "cuda": []}
    if "torch" in sys.modules or _version("torch"):
        try:
            import torch
            if torch.cuda.is_available():
                devices["cuda"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        except Exception:  # a broken CUDA set-up must not stop the report
            pass
    return {
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([os.path.basename(sys.argv[0])] + sys.argv[1:]),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {p: _version(p) for p in ("refgrad", "torch", "numpy", "pytest", "pytest-xdist")},
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "devices": devices,
        "subjects": list(subjects),
        **settings,
    }


def build_report(records, meta, manifest_summary=None, unchecked=()):
    manifest_summary = manifest_summary or {"entries": 0, "stale": [], "unexpected_passes": []}
    failures = gate_failures(records, manifest_summary) + [f"not checked: {u}" for u in unchecked]
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "run": meta,
        "tolerances": {
            "source": TOLERANCE_SOURCE,
            "floating": {k: {"rtol": r, "atol": a} for k, (r, a) in TOLERANCES.items()},
            "exact": "integer and bool values, dtypes, shapes, devices, flags, grad_fn names, messages, reprs",
        },
        "summary": {"cases": len({r["case"] for r in records}), "records": len(records),
                    "outcomes": dict(Counter(r["outcome"] for r in records)),
                    "conforms": not failures, "gate_failures": failures},
        "known_divergences": manifest_summary,
        "records": records,
    }


def matrix(records):
    """area -> subject -> Counter of outcomes."""
    table = defaultdict(lambda: defaultdict(Counter))
    for r in records:
        table[r["area"]][r["subject"]][r["outcome"]] += 1
    return table


def _cell(counts):
    parts = [f"{counts[o]} {o.upper() if o in FAILING else o}"
             for o in OUTCOMES if counts[o]]
    return ", ".join(parts) or "-"


def format_matrix(records, subjects):
    table = matrix(records)
    rows = [["area"] + list(subjects)] + [[area] + [_cell(table[area][s]) for s in subjects] for area in sorted(table)]
    total = Counter()
    for r in records:
        total[(r["subject"], r["outcome"])] += 1
    rows.append(["total"] + [_cell(Counter({o: total[(s, o)] for o in OUTCOMES})) for s in subjects])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


def format_failure(record):
    lines = [f"{record['outcome'].upper()} {record['case']} [{record['subject']}]"]
    if record.get("reason"):
        lines.append(f"  reason: {record['reason']}")
    for d in record["diffs"]:
        lines.append("  " + format_diff(d, subject=record["subject"], reference=d.get("against", "reference"))
                     .replace("\n", "\n  "))
    lines.append(f"  replay: {record['replay']}")
    return "\n".join(lines)


def write_reports(report, directory):
    """Writes report.json, report.md and report.html into `directory`; returns their paths."""
    os.makedirs(directory, exist_ok=True)
    paths = {name: os.path.join(directory, f"report.{name}") for name in ("json", "md", "html")}
    with open(paths["json"], "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
    with open(paths["md"], "w", encoding="utf-8") as f:
        f.write(render_markdown(report))
    with open(paths["html"], "w", encoding="utf-8") as f:
        f.write(render_html(report))
    return paths


def _failing(report):
    return [r for r in report["records"] if r["outcome"] in FAILING + ("xpassed",)]


def render_markdown(report, max_failures=50):
    run, summary = report["run"], report["summary"]
    subjects = run["subjects"]
    versions = ", ".join(f"{k} {v}" for k, v in run["versions"].items() if v)
    out = [f"# Conformance: {'conforms' if summary['conforms'] else 'DOES NOT CONFORM'}", "",
           f"{summary['cases']} cases, {summary['records']} results on {', '.join(subjects)}. {versions}. "
           f"Started {run['started']}.", ""]
    table = matrix(report["records"])
    out += ["| area | " + " | ".join(subjects) + " |", "|---" * (len(subjects) + 1) + "|"]
    out += [f"| {a} | " + " | ".join(_cell(table[a][s]) for s in subjects) + " |" for a in sorted(table)]
    kd = report["known_divergences"]
    if kd["stale"] or kd["unexpected_passes"]:
        out += ["", "## Known divergences"]
        out += [f"- stale entry `{s['case']}` [{s['subject']}]: matches no case" for s in kd["stale"]]
        out += [f"- unexpected pass `{u['case']}` [{u['subject']}]" for u in kd["unexpected_passes"]]
    unchecked = [f for f in summary["gate_failures"] if f.startswith("not checked: ")]
    if unchecked:
        out += ["", "## Not checked", ""] + [f"- {f[len('not checked: '):]}" for f in unchecked]
    skips = Counter((r["subject"], r["reason"]) for r in report["records"] if r["outcome"] == "skipped")
    if skips:
        out += ["", "## Skipped", ""]
        out += [f"- {subject}: {n} case{'s' if n > 1 else ''}: {reason}" for (subject, reason), n in sorted(skips.items())]
    failing = _failing(report)
    if failing:
        out += ["", "## Failures", ""]
        for r in failing[:max_failures]:
            out += [f"### `{r['case']}` [{r['subject']}]: {r['outcome']}", "", "```", format_failure(r), "```", ""]
        if len(failing) > max_failures:
            out.append(f"... and {len(failing) - max_failures} more (see report.json)")
    return "\n".join(out) + "\n"


def render_html(report):
    """One self-contained page: the case x subject matrix, coloured; a failing cell opens its diff."""
    run, summary = report["run"], report["summary"]
    subjects = run["subjects"]
    by_case = defaultdict(dict)
    for r in report["records"]:
        by_case[r["case"]][r["subject"]] = r
    esc = html.escape
    rows = []
    for case in sorted(by_case):
        cells = [f"<th>{esc(case)}</th>"]
        for s in subjects:
            r = by_case[case].get(s)
            if r is None:
                cells.append("<td></td>")
                continue
            colour = _COLOURS.get(r["outcome"], _BAD)
            body = esc(r["outcome"])
            if r["outcome"] not in ("passed",):
                detail = format_failure(r) if r["diffs"] or r["outcome"] != "skipped" else (r["reason"] or "")
                body = f"<details><summary>{body}</summary><pre>{esc(detail)}</pre></details>"
            cells.append(f'<td style="background:{colour}">{body}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    versions = ", ".join(f"{k} {v}" for k, v in run["versions"].items() if v)
    head = "".join(f"<th>{esc(s)}</th>" for s in subjects)
    verdict = "conforms" if summary["conforms"] else "does not conform"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>refgrad conformance: {verdict}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #bbb; padding: 2px 8px; text-align: left; vertical-align: top; font-size: 13px; }}
th {{ font-weight: normal; font-family: monospace; }}
pre {{ white-space: pre-wrap; max-width: 70em; }}
</style></head><body>
<h1>Conformance: {verdict}</h1>
<p>{summary['cases']} cases, {summary['records']} results. Outcomes: {esc(json.dumps(summary['outcomes']))}.<br>
{esc(versions)}; started {esc(run['started'])}; tolerance: {esc(report['tolerances']['source'])}.</p>
<table><thead><tr><th>case</th>{head}</tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""
