"""The GitHub workflow and the README follow their users' habits (issue 12)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "conformance.yml"


def workflow() -> dict[str, Any]:
    data: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def steps() -> list[dict[str, Any]]:
    return [step for job in workflow()["jobs"].values() for step in job.get("steps", [])]


def scripts() -> str:
    return "\n".join(str(step.get("run", "")) for step in steps())


def test_pull_request_branches_do_not_run_twice() -> None:
    triggers = workflow()["on"]
    assert "pull_request" in triggers
    assert triggers["push"] and triggers["push"].get("branches"), triggers["push"]


def test_expressions_reach_scripts_through_env_only() -> None:
    assert "${{" not in scripts(), [s for s in scripts().splitlines() if "${{" in s]


def test_pip_is_cached() -> None:
    setups = [s for s in steps() if str(s.get("uses", "")).startswith("actions/setup-python")]
    assert setups and all(s.get("with", {}).get("cache") == "pip" for s in setups)


def test_junit_is_published_and_problems_are_annotated() -> None:
    text = WORKFLOW.read_text()
    publishers = [s for s in steps() if "junit" in str(s.get("with", {})).lower()]
    assert publishers, "no step publishes junit.xml"
    assert all(s.get("if") == "always()" or "always()" in str(s.get("if")) for s in publishers)
    assert "checks: write" in text  # the junit publisher posts a check run
    assert "GITHUB_ACTIONS" not in text  # set by GitHub itself: mconf run annotates on its own


def test_the_projects_own_tests_ruff_and_mypy_run() -> None:
    commands = scripts()
    assert re.search(r"python -m pytest\b", commands)
    assert "ruff check" in commands and "ruff format --check" in commands
    assert re.search(r"^\s*mypy\b", commands, re.M)


def readme_first_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block
    return [line.split("  #")[0].strip() for line in block[1].splitlines() if line.strip()]


def test_readme_starts_with_two_commands_that_work_on_a_fresh_machine() -> None:
    first = readme_first_commands()
    assert len(first) == 2, first
    for command in first:
        parts = [shlex.split(p) for p in command.split("&&")]
        assert parts[0][:3] == ["python3", "-m", "venv"], command
        assert parts[1] == [".", ".venv/bin/activate"], command
        assert any(p[:2] == ["pip", "install"] for p in parts), command


def test_readme_parity_example_points_at_recordings_that_exist() -> None:
    text = (ROOT / "README.md").read_text()
    found = re.search(r"mconf parity --reference (\S+)", text)
    assert found
    assert (ROOT / found[1]).is_dir() and any((ROOT / found[1]).rglob("*.yaml")), found[1]
