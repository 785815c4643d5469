"""python -m conformance: run every scenario on refgrad and torch, print the matrix, exit 0 only if all conform."""
import argparse
import sys
from collections import defaultdict

from .compare import format_diff
from .runner import run
from .subjects import Subject, UnknownSubject


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m conformance", description=__doc__)
    parser.add_argument("--subjects", default="refgrad,torch:cpu,torch:cuda",
                        help="comma-separated subjects (default: %(default)s)")
    parser.add_argument("-k", dest="select", action="append", help="only cases whose id contains this")
    args = parser.parse_args(argv)
    try:
        names = [s.strip() for s in args.subjects.split(",") if s.strip()]
        for n in names:
            Subject(n)
    except UnknownSubject as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    matrix = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    failures = []
    for record in run(names, args.select):
        area = record["case"].split("/")[0]
        matrix[area][record["subject"]][record["outcome"]] += 1
        if record["outcome"] == "failed":
            failures.append(record)
    _print_matrix(matrix, names)
    for record in failures:
        print(f"\nFAILED {record['case']} [{record['subject']}] vs {record['reference']}")
        for d in record["diffs"]:
            print(format_diff(d, subject=record["subject"], reference=record["reference"]) if "expected" in d else d)
    return 1 if failures else 0


def _print_matrix(matrix, subjects):
    width = max([len(a) for a in matrix] + [4])
    print("area".ljust(width) + "  " + "  ".join(s.ljust(16) for s in subjects))
    for area in sorted(matrix):
        cells = []
        for s in subjects:
            c = matrix[area][s]
            text = f"{c['passed']} passed" + (f", {c['failed']} FAILED" if c["failed"] else "") + \
                (f", {c['skipped']} skipped" if c["skipped"] else "")
            cells.append(text.ljust(16))
        print(area.ljust(width) + "  " + "  ".join(cells))


if __name__ == "__main__":
    sys.exit(main())
