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


def write_reports(report, directory, markdown=None, html_page=None):
    """Writes report.json, report.md and report.html into `directory` (the gate's renderers unless others are
    given: the fuzzer's); returns their paths."""
    os.makedirs(directory, exist_ok=True)
    paths = {name: os.path.join(directory, f"report.{name}") for name in ("json", "md", "html")}
    with open(paths["json"], "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, default=str)
    with open(paths["md"], "w", encoding="utf-8") as f:
        f.write((markdown or render_markdown)(report))
    with open(paths["html"], "w", encoding="utf-8") as f:
        f.write((html_page or render_html)(report))
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


_WORST_FIRST = ("crashed", "error", "timeout", "failed", "xpassed", "xfailed", "skipped", "passed")


def _worst(counts):
    return next((o for o in _WORST_FIRST if counts[o]), None)


def render_html(report):
    """One self-contained page, for a person: the verdict and the run's settings first, then what stops the
    gate, a summary per area x subject, the failures with their diffs open, and every result in a table
    that filters by outcome, area, subject and text (skip and error reasons shown in the row)."""
    run, summary = report["run"], report["summary"]
    subjects, records = run["subjects"], report["records"]
    esc = html.escape
    verdict = "conforms" if summary["conforms"] else "DOES NOT CONFORM"
    return _PAGE.format(
        verdict=verdict, verdict_class="ok" if summary["conforms"] else "bad",
        header=_html_header(report), problems=_html_problems(summary["gate_failures"], records),
        summary=_html_summary(records, subjects), failures=_html_failures(records),
        filters=_html_filters(records, subjects), results=_html_results(records),
        colours="".join(f".o-{o} {{ background: {_COLOURS.get(o, _BAD)}; }}\n" for o in OUTCOMES),
        title=esc(f"refgrad conformance: {verdict}"))


def _html_header(report):
    esc = html.escape
    run, summary = report["run"], report["summary"]
    tolerance = "; ".join(f"{dtype.replace('torch.', '')} rtol {t['rtol']}, atol {t['atol']}"
                          for dtype, t in report["tolerances"]["floating"].items())
    outcomes = ", ".join(f"{summary['outcomes'][o]} {o}" for o in OUTCOMES if summary["outcomes"].get(o))
    rows = [("results", f"{summary['cases']} cases, {summary['records']} results: {outcomes}"),
            ("subjects", ", ".join(run["subjects"])),
            ("versions", ", ".join(f"{k} {v}" for k, v in run["versions"].items() if v)),
            ("python, platform", f"{run['python']}, {run['platform']}"),
            ("devices", f"cpu: {run['devices']['cpu']}; cuda: {', '.join(run['devices']['cuda']) or 'none'}"),
            ("tolerance", f"{report['tolerances']['source']}: {tolerance}; exact: {report['tolerances']['exact']}"),
            ("command", run["command"]), ("started", run["started"])]
    return "".join(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in rows)


def _html_problems(problems, records):
    """Why the gate fails: the count of failing results (each is under Failures), then every other reason."""
    if not problems:
        return ""
    failing = Counter(r["outcome"] for r in records if r["outcome"] in FAILING)
    own = {f"{r['case']} [{r['subject']}] {r['outcome']}" for r in records if r["outcome"] in FAILING}
    items = [f"{n} result{'s' if n > 1 else ''} {outcome} (see Failures)" for outcome, n in failing.items()]
    items += [p for p in problems if p not in own]
    items = "".join(f"<li>{html.escape(p)}</li>" for p in items)
    return f'<section class="problems"><h2>Why the gate fails</h2><ul>{items}</ul></section>'


def _html_summary(records, subjects):
    table = matrix(records)
    head = "".join(f"<th>{html.escape(s)}</th>" for s in subjects)
    rows = []
    for area in sorted(table):
        cells = []
        for s in subjects:
            counts = table[area][s]
            worst = _worst(counts)
            cells.append(f'<td class="o-{worst or "none"}"><a href="#" data-area="{html.escape(area)}" '
                         f'data-subject="{html.escape(s)}">{html.escape(_cell(counts))}</a></td>')
        rows.append(f"<tr><th>{html.escape(area)}</th>{''.join(cells)}</tr>")
    return f"<table class=summary><thead><tr><th>area</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _html_failures(records, open_first=50):
    failing = [r for r in records if r["outcome"] in FAILING + ("xpassed",)]
    if not failing:
        return "<p>No failures.</p>"
    blocks = [f'<details{" open" if i < open_first else ""} class="failure o-{r["outcome"]}"><summary>'
              f'<b>{html.escape(r["outcome"])}</b> {html.escape(r["case"])} [{html.escape(r["subject"])}]</summary>'
              f"<pre>{html.escape(format_failure(r))}</pre></details>" for i, r in enumerate(failing)]
    more = f"<p>The first {open_first} are open; click any other to see its diff.</p>" if len(failing) > open_first else ""
    return "".join(blocks) + more


def _html_filters(records, subjects):
    def options(name, values):
        items = "".join(f'<option value="{html.escape(v)}">{html.escape(v)}</option>' for v in values)
        return f'<label>{name} <select id="f-{name}"><option value="">all</option>{items}</select></label>'
    present = [o for o in OUTCOMES if any(r["outcome"] == o for r in records)]
    return (options("outcome", present) + options("area", sorted({r["area"] for r in records}))
            + options("subject", subjects)
            + '<label>text <input id="f-text" placeholder="case, reason or field"></label> <span id="shown"></span>')


def _html_results(records):
    order = {o: i for i, o in enumerate(_WORST_FIRST)}
    rows = []
    for r in sorted(records, key=lambda r: (order.get(r["outcome"], 0), r["case"], r["subject"])):
        detail = r.get("reason") or ""
        if r["diffs"]:
            detail = (detail + "; " if detail else "") + "differs in " + ", ".join(d["field"] for d in r["diffs"][:5])
            detail += " ..." if len(r["diffs"]) > 5 else ""
        rows.append(f'<tr class="o-{r["outcome"]}" data-outcome="{r["outcome"]}" data-area="{html.escape(r["area"])}" '
                    f'data-subject="{html.escape(r["subject"])}"><td>{html.escape(r["case"])}</td>'
                    f'<td>{html.escape(r["subject"])}</td><td>{r["outcome"]}</td><td>{html.escape(detail)}</td>'
                    f'<td class=num>{r.get("duration_s") if r.get("duration_s") is not None else ""}</td></tr>')
    return "".join(rows)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }}
h1.ok {{ color: #1b5e20; }} h1.bad {{ color: #b71c1c; }}
table {{ border-collapse: collapse; margin-bottom: 1em; }}
th, td {{ border: 1px solid #bbb; padding: 2px 8px; text-align: left; vertical-align: top; font-size: 13px; }}
table.header th {{ background: #f5f5f5; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
pre {{ white-space: pre-wrap; margin: 0.3em 0 0.6em 1em; font-size: 12px; }}
details.failure {{ border-left: 4px solid #c62828; padding-left: 0.5em; margin-bottom: 0.4em; background: none; }}
.problems {{ border: 2px solid #c62828; padding: 0 1em; margin-bottom: 1em; }}
.filters label {{ margin-right: 1em; }}
a {{ color: inherit; }}
{colours}
</style></head><body>
<h1 class="{verdict_class}">Conformance: {verdict}</h1>
<table class="header">{header}</table>
{problems}
<h2>Summary: area &times; subject</h2>
<p>Each cell counts the results of an area on a subject, coloured by its worst; click it to list them below.</p>
{summary}
<h2>Failures</h2>
{failures}
<h2>All results</h2>
<div class="filters">{filters}</div>
<table class="results"><thead><tr><th>case</th><th>subject</th><th>outcome</th><th>reason or differing fields</th>
<th>seconds</th></tr></thead><tbody>
{results}
</tbody></table>
<script>
const rows = Array.from(document.querySelectorAll("table.results tbody tr"));
const get = id => document.getElementById(id);
function apply() {{
  const outcome = get("f-outcome").value, area = get("f-area").value, subject = get("f-subject").value;
  const text = get("f-text").value.toLowerCase();
  let shown = 0;
  for (const row of rows) {{
    const ok = (!outcome || row.dataset.outcome === outcome) && (!area || row.dataset.area === area)
      && (!subject || row.dataset.subject === subject) && (!text || row.textContent.toLowerCase().includes(text));
    row.hidden = !ok;
    shown += ok;
  }}
  get("shown").textContent = shown + " of " + rows.length + " results";
}}
for (const id of ["f-outcome", "f-area", "f-subject", "f-text"]) get(id).addEventListener("input", apply);
for (const link of document.querySelectorAll("table.summary a")) link.addEventListener("click", event => {{
  event.preventDefault();
  get("f-area").value = link.dataset.area; get("f-subject").value = link.dataset.subject; get("f-outcome").value = "";
  apply(); document.querySelector("table.results").scrollIntoView();
}});
apply();
</script>
</body></html>
"""
