"""What a new user trips on when following README.md and docs/ (the walk): each subcommand's
usage mistakes are one line naming the fix, hints name options the command has, and every
`mconf` command the docs show uses options its --help lists."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MCONF = [sys.executable, "-m", "messages_conformance"]
NO_KEYS = ("MCONF_GATEWAY_API_KEY", "CI", "CCAPI_API_KEY", "ANTHROPIC_API_KEY")


def mconf(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in NO_KEYS}
    return subprocess.run(
        [*MCONF, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr and "usage:" not in done.stderr, done.stderr
    assert done.stderr.startswith("mconf: error: "), done.stderr
    return done.stderr


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (("diff", "only-one.json"), "diff"),
        (("diff", "a", "b", "--format", "yaml"), "diff"),
        (("matrix",), "matrix"),
        (("matrix", "reports", "--format", "json"), "matrix"),
        (("drift",), "drift"),
        (("drift", "x", "--format", "xml"), "drift"),
        (("spec-diff",), "spec-diff"),
        (("spec-diff", "x", "--format", "xml"), "spec-diff"),
    ],
)
def test_a_usage_mistake_is_one_line_naming_the_help(argv: tuple[str, ...], command: str) -> None:
    """diff, matrix, drift and spec-diff printed argparse's usage block and no fix."""
    err = one_line_error(mconf(*argv))
    assert f"see `mconf {command} --help`" in err


def test_matrix_help_offers_only_the_formats_it_takes() -> None:
    done = mconf("matrix", "--help")
    assert done.returncode == 0
    assert "{text,markdown}" in done.stdout and "or json" not in done.stdout, done.stdout


def test_a_missing_key_for_parity_does_not_suggest_a_mode_it_has_not() -> None:
    err = one_line_error(
        mconf("parity", "--reference", "cassettes/local/test_scenarios", "--target", "ccapi")
    )
    assert "$CCAPI_API_KEY" in err and "export CCAPI_API_KEY=" in err
    assert "--mode" not in err  # mconf parity has no --mode


def test_a_missing_key_for_run_still_offers_replay() -> None:
    err = one_line_error(mconf("run", "--target", "ccapi"))
    assert "$CCAPI_API_KEY" in err and "--mode replay" in err


def test_an_unknown_target_for_validate_does_not_suggest_base_url() -> None:
    err = one_line_error(mconf("validate", "--target", "nosuch", "cassettes/local/test_auth"))
    assert "unknown target 'nosuch'" in err and "local" in err
    assert "--base-url" not in err and "mconf.toml" in err  # validate has no --base-url


def test_parity_repeat_below_one_names_repeat() -> None:
    err = one_line_error(
        mconf("parity", "--reference", "cassettes/local/test_scenarios", "--repeat", "0")
    )
    assert "--repeat must be 1 or more, not 0" in err


def test_a_negative_latency_is_refused() -> None:
    err = one_line_error(mconf("run", "--latency-ms", "-5", "--suite", "auth"))
    assert "--latency-ms must be 0 or more, not -5" in err


def test_the_record_hint_of_a_missing_cassette_folder_keeps_cassette_dir(tmp_path: Path) -> None:
    """Following the hint must record where the replay looks, not into ./cassettes."""
    folder = tmp_path / "elsewhere"
    err = one_line_error(mconf("run", "--mode", "replay", "--cassette-dir", str(folder)))
    assert f"no cassettes for target 'local' in {folder / 'local'}" in err
    assert f"`mconf run --cassette-dir {folder} --mode record`" in err


def test_the_default_cassette_dir_is_not_repeated_in_the_hint(tmp_path: Path) -> None:
    err = one_line_error(mconf("run", "--mode", "replay", cwd=tmp_path))
    assert "`mconf run --mode record`" in err


DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def documented_commands() -> list[tuple[str, str]]:
    """(file, command line) of every `mconf SUB ...` in the docs' code blocks and code spans."""
    found = []
    for doc in DOCS:
        text = doc.read_text("utf-8").replace("\\\n", " ")
        for block in re.findall(r"```bash\n(.*?)```", text, re.S):
            lines = (line.split("  #")[0] for line in block.splitlines())
            found += [
                (doc.name, line.strip()) for line in lines if line.strip().startswith("mconf ")
            ]
        found += [(doc.name, span) for span in re.findall(r"`(mconf [^`]+)`", text)]
    return found


def help_option_groups(command: str) -> list[set[str]]:
    """The options `mconf COMMAND --help` defines, each as its spellings ({-j, --concurrency})."""
    done = mconf(command, "--help")
    assert done.returncode == 0, (command, done.stderr)
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip().startswith("-")]
    return [set(OPTION.findall(re.split(r"\s{2,}", line)[0])) for line in lines]


def help_options(command: str) -> set[str]:
    return {o for group in help_option_groups(command) for o in group} | {"--debug"}


def test_every_option_the_docs_show_is_in_its_commands_help() -> None:
    commands = documented_commands()
    assert len(commands) > 40, commands  # the README's command list, at least
    known: dict[str, set[str]] = {}
    wrong = []
    for doc, line in commands:
        words = line.split()
        if len(words) < 2 or words[1].startswith("-"):
            continue  # `mconf --version`
        command = words[1]
        if command not in known:
            known[command] = help_options(command)
        options = {o.split("=")[0] for o in OPTION.findall(" ".join(words[2:]))}
        wrong += [(doc, line, o) for o in sorted(options - known[command])]
    assert wrong == []


def test_every_run_option_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")

    def shown(option: str) -> bool:
        return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", readme) is not None

    groups = [g for g in help_option_groups("run") if "--help" not in g]
    assert len(groups) > 30, groups
    assert [sorted(g) for g in groups if not any(shown(o) for o in g)] == []


def test_capture_without_the_clients_installed_says_how_to_install_them(tmp_path: Path) -> None:
    """README: `bash examples/clients/capture.sh OUT/` (after .ci/clients.sh). Without it, each
    client failed with exit 127 and `wc` errors; now one line names the step."""
    script = tmp_path / "clients" / "capture.sh"
    script.parent.mkdir()
    script.write_text((ROOT / "examples" / "clients" / "capture.sh").read_text())
    env = {k: v for k, v in os.environ.items() if k not in NO_KEYS}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        ["bash", str(script), str(tmp_path / "out")], env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1 and ".ci/clients.sh" in done.stderr, done.stderr
    assert done.stdout == ""


OWN_CHECK = """
from messages_conformance import Harness


def test_greeting(mconf: Harness) -> None:
    mconf.expect_success(mconf.send(mconf.body("Say hello.")))
"""


def own_pytest(folder: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in NO_KEYS}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-q", "-rf",
         *argv], cwd=folder, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_plain_pytest_replay_miss_names_the_pytest_command_that_records_it(
    tmp_path: Path,
) -> None:
    """README "Your own checks": in the user's own project the hint said `mconf run ... --mode
    record`, which runs mconf's suites, not the user's file. The hint is the pytest command,
    and running it makes the replay pass."""
    (tmp_path / "test_my_gateway.py").write_text(OWN_CHECK)
    missed = own_pytest(tmp_path, "--mconf-target", "local", "--mconf-mode", "replay")
    assert missed.returncode == 1, missed.stdout
    hint = re.search(r"record it with `([^`]+)`", missed.stdout)
    assert hint and hint[1] == "pytest --mconf-target local --mconf-mode record", missed.stdout
    recorded = own_pytest(tmp_path, *hint[1].split()[1:])
    assert recorded.returncode == 0, recorded.stdout
    replayed = own_pytest(tmp_path, "--mconf-target", "local", "--mconf-mode", "replay")
    assert replayed.returncode == 0, replayed.stdout
