"""The project's own set-up files: what `tox` and `pip install` read."""
import configparser
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_tox_installs_a_requirement_under_the_constraints():
    """pip refuses `-c constraints.txt` alone ("You must give at least one requirement"): tox failed at once."""
    tox = configparser.ConfigParser()
    tox.read(ROOT / "tox.ini")
    deps = [line.strip() for line in tox["testenv"]["deps"].splitlines() if line.strip()]
    assert any(line.startswith("-c") for line in deps)
    assert [line for line in deps if not line.startswith("-")], "tox's deps name no requirement"
    assert "torch==" in (ROOT / "constraints.txt").read_text()
