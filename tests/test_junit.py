"""junit.xml written as cases finish (suite/junit.py): what pytest's writer says, case by case on
disk during the run, and never half-written."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

from messages_conformance.suite.junit import classname_and_name, xml_text

CASES = '''
import os
from pathlib import Path

import pytest


@pytest.fixture
def broken_setup():
    raise RuntimeError("setup broke")


@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown broke")


def test_passes(record_property):
    record_property("shape", {"exchanges": 2})


def test_fails():
    assert 1 == 2, "one is not two <&>"


def test_skips():
    pytest.skip("not today")


@pytest.mark.skip(reason="marked away")
def test_marked():
    pass


@pytest.mark.xfail(reason="known bug")
def test_xfails():
    assert False


@pytest.mark.xfail(reason="fixed already")
def test_xpasses():
    pass


def test_setup_error(broken_setup):
    pass


def test_call_and_teardown_fail(broken_teardown):
    assert False, "call broke"


@pytest.mark.parametrize("shape", ["json", "stream \\x07bell"])
def test_param(shape):
    assert shape


class TestGroup:
    def test_in_class(self):
        pass


def test_written_before_the_end():
    """Runs last: the finished cases are on disk already, junit.xml is not there yet."""
    out = Path(os.environ["JUNIT_OUT"])
    assert not out.exists()
    spooled = [p for p in out.parent.iterdir() if p.name.startswith(".new.xml.cases-")]
    assert len(spooled) == 1
    assert spooled[0].read_text().count("<testcase ") >= 10
'''


def run_both(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """One session with pytest's writer (old.xml) and ours (new.xml) side by side."""
    (tmp_path / "test_cases.py").write_text(textwrap.dedent(CASES))
    env = {**os.environ, "JUNIT_OUT": str(tmp_path / "out" / "new.xml")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(tmp_path / "test_cases.py"),
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            f"--rootdir={tmp_path}",
            f"--junitxml={tmp_path / 'old.xml'}",
            f"--mconf-junitxml={tmp_path / 'out' / 'new.xml'}",
            "-q",
            *extra,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def comparable(path: Path) -> list[str]:
    """The file's elements and attributes, less the run's clock and the case order."""
    root = ET.parse(path).getroot()
    suite = root.find("testsuite")
    assert root.tag == "testsuites" and suite is not None
    head = {k: v for k, v in suite.attrib.items() if k not in ("time", "timestamp")}
    cases = [ET.tostring(case, encoding="unicode") for case in suite.iter("testcase")]
    return [repr(sorted(head.items())), repr(root.attrib), *sorted(cases)]


def test_the_file_says_what_pytests_writer_says(tmp_path: Path) -> None:
    done = run_both(tmp_path)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    old, new = comparable(tmp_path / "old.xml"), comparable(tmp_path / "out" / "new.xml")
    assert new == old
    suite = ET.parse(tmp_path / "out" / "new.xml").getroot().find("testsuite")
    assert suite is not None
    assert {k: suite.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "12",  # one of them is two test cases (its call and its teardown failed)
        "failures": "2",  # and test_written_before_the_end passed
        "errors": "2",
        "skipped": "3",  # an xpass passes
    }
    names = [case.get("name") for case in suite.iter("testcase")]
    assert "test_param[json]" in names and "test_in_class" in names
    failure = next(suite.iter("failure"))
    assert "one is not two <&>" in (failure.get("message") or "")
    prop = next(suite.iter("property"))
    assert prop.attrib == {"name": "shape", "value": "{'exchanges': 2}"}
    assert not [p for p in (tmp_path / "out").iterdir() if p.name != "new.xml"]  # no temp left


def test_xunit1_and_prefix_as_pytest_writes_them(tmp_path: Path) -> None:
    done = run_both(tmp_path, "-o", "junit_family=xunit1", "--junitprefix=pre")
    assert done.returncode == 1, done.stdout[-3000:]
    assert comparable(tmp_path / "out" / "new.xml") == comparable(tmp_path / "old.xml")
    case = next(ET.parse(tmp_path / "out" / "new.xml").getroot().iter("testcase"))
    assert case.get("file") == "test_cases.py" and case.get("classname", "").startswith("pre.")


def test_an_interrupted_run_leaves_a_whole_file_of_what_finished(tmp_path: Path) -> None:
    (tmp_path / "test_stop.py").write_text(
        "def test_a():\n    pass\n\ndef test_b():\n    raise KeyboardInterrupt\n\n"
        "def test_c():\n    pass\n"
    )
    out = tmp_path / "out" / "junit.xml"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", str(tmp_path / "test_stop.py"), "-q"),
            *("-p", "no:cacheprovider", f"--rootdir={tmp_path}", f"--mconf-junitxml={out}"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout[-2000:]  # pytest's "interrupted"
    suite = ET.parse(out).getroot().find("testsuite")
    assert suite is not None
    assert [c.get("name") for c in suite.iter("testcase")] == ["test_a"]  # b was stopped
    assert [p.name for p in out.parent.iterdir()] == ["junit.xml"]


def test_names_and_text_as_junit_readers_expect() -> None:
    assert classname_and_name("suites/test_x.py::TestA::test_b[p::q]") == (
        "suites.test_x.TestA",
        "test_b[p::q]",
    )
    assert classname_and_name("test_x.py::test_y", "pre") == ("pre.test_x", "test_y")
    assert xml_text("a\x00b\x1bc\ufffe\U0001f600") == "a#x00b#x1Bc#xFFFE\U0001f600"
