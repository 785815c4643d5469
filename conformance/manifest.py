"""Known divergences: a TOML manifest of accepted gaps, turned into expected failures by the gate.

    [[divergence]]
    case = "inplace/view_*"        # glob on the case id (area/scenario-dtype)
    subject = "refgrad"            # glob on the subject name (default "*")
    reason = "in-place on a view of a leaf's view is not supported yet"
    link = "https://github.com/org/refgrad/issues/12"   # optional
    strict = true                  # default: an unexpected pass fails the gate

The gate reads known-divergences.toml from the current directory (pytest: the rootdir) unless told
otherwise. A failing case an entry matches becomes `xfailed`; a passing one becomes `xpassed` (a gate failure
when the entry is strict). An entry whose case pattern matches no case at all is stale: reported,
and a gate failure when strict, since it usually means a renamed scenario or a typo.

Entries whose case starts with `fuzz/` are for `python -m conformance fuzz`: they match a difference's
signature, `fuzz/<step kind>/<field>` (`fuzz/einsum/grad_fn`), and the gate leaves them alone.
"""
import fnmatch
import os
from dataclasses import dataclass

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

__all__ = ["Divergence", "ManifestError", "load_manifest", "apply_manifest", "gate_failures", "find", "FAILING",
           "DEFAULT_MANIFEST", "default_manifest", "FUZZ_PREFIX"]

FAILING = ("failed", "error", "timeout", "crashed")
FUZZ_PREFIX = "fuzz/"  # entries for the fuzzer's differences (`fuzz/<step kind>/<field>`), not for cases
DEFAULT_MANIFEST = "known-divergences.toml"
_KEYS = {"case", "subject", "reason", "link", "strict"}


class ManifestError(ValueError):
    pass


@dataclass(frozen=True)
class Divergence:
    case: str
    reason: str
    subject: str = "*"
    link: str = ""
    strict: bool = True

    def matches(self, case_id, subject):
        return fnmatch.fnmatchcase(case_id, self.case) and fnmatch.fnmatchcase(subject, self.subject)

    def describe(self):
        return f"{self.case} [{self.subject}]: {self.reason}" + (f" ({self.link})" if self.link else "")


def default_manifest(directory="."):
    """known-divergences.toml in `directory` when there is one (the gate's default manifest), else None."""
    path = os.path.join(directory, DEFAULT_MANIFEST)
    return path if os.path.isfile(path) else None


def load_manifest(path):
    """The entries of a manifest file; ManifestError (one line) when it is unreadable or malformed."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise ManifestError(f"cannot read known-divergences file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path} is not valid TOML: {exc}") from None
    unknown = set(data) - {"divergence"}
    if unknown:
        raise ManifestError(f"{path}: unknown top-level key(s) {sorted(unknown)}; expected [[divergence]] tables")
    entries = []
    for i, raw in enumerate(data.get("divergence", []), 1):
        where = f"{path}: divergence #{i}"
        if not isinstance(raw, dict):
            raise ManifestError(f"{where} must be a table")
        if set(raw) - _KEYS:
            raise ManifestError(f"{where} has unknown key(s) {sorted(set(raw) - _KEYS)}")
        for key in ("case", "reason"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise ManifestError(f"{where} needs a non-empty string '{key}'")
        if not isinstance(raw.get("strict", True), bool):
            raise ManifestError(f"{where}: 'strict' must be true or false")
        entries.append(Divergence(**raw))
    return entries


def find(entries, case_id, subject):
    return next((e for e in entries if e.matches(case_id, subject)), None)


def apply_manifest(records, entries, catalog_ids):
    """Marks records the manifest covers (xfailed / xpassed) in place; returns the manifest summary."""
    unexpected = []
    for record in records:
        entry = find(entries, record["case"], record["subject"])
        if entry is None:
            continue
        record["known_divergence"] = {"reason": entry.reason, "link": entry.link, "strict": entry.strict}
        if record["outcome"] in FAILING:
            record["outcome"] = "xfailed"
        elif record["outcome"] == "passed":
            record["outcome"] = "xpassed"
            unexpected.append({"case": record["case"], "subject": record["subject"], "strict": entry.strict})
    stale = [e for e in entries if not e.case.startswith(FUZZ_PREFIX)
             and not any(fnmatch.fnmatchcase(c, e.case) for c in catalog_ids)]
    return {
        "entries": len(entries),
        "stale": [{"case": e.case, "subject": e.subject, "reason": e.reason, "strict": e.strict} for e in stale],
        "unexpected_passes": unexpected,
    }


def gate_failures(records, summary):
    """Why the gate fails (an empty list when everything conforms)."""
    problems = [f"{r['case']} [{r['subject']}] {r['outcome']}" for r in records if r["outcome"] in FAILING]
    problems += [f"{u['case']} [{u['subject']}] passed but is listed as a strict known divergence"
                 for u in summary.get("unexpected_passes", []) if u["strict"]]
    problems += [f"stale known divergence {s['case']} [{s['subject']}]: matches no case"
                 for s in summary.get("stale", []) if s["strict"]]
    return problems
