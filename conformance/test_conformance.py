"""The conformance suite as pytest tests: `pytest --pyargs conformance` (options: see pytest_plugin)."""


def test_conformance(conformance_case):
    conformance_case.check()


def test_fuzz(conformance_fuzz):
    """Only with --conformance-fuzz PROGRAMS: random programs on the subjects (python -m conformance fuzz)."""
    conformance_fuzz.check()
