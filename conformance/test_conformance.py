"""The conformance suite as pytest tests: `pytest --pyargs conformance` (options: see pytest_plugin)."""


def test_conformance(conformance_case):
    conformance_case.check()
