"""The SDK walk: our schemas against the installed official SDK's types (reports/sdkwalk.py).

It passes on our spec (every gap fixed or excluded with a reason), and fails on a copy of the
spec from which one enum value, one request field or one beta name was removed.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from messages_conformance.cli.specdiff import specdiff_main
from messages_conformance.core.spec import Spec
from messages_conformance.reports.sdkwalk import walk_sdk

pytest.importorskip("anthropic", reason="the anthropic SDK (a dev dependency) is not installed")

SPEC = Path(__file__).resolve().parents[1] / "spec"


def test_our_schemas_lack_nothing_the_sdk_names() -> None:
    walk = walk_sdk()
    assert [f"{d.schema} {d.path} {d.kind}" for d in walk.missing] == []
    assert walk.stale == () and walk.excluded  # the exclusion table is in use, none is stale


def _copy(tmp_path: Path, edit: Callable[[Path], None]) -> Path:
    copy = tmp_path / "spec"
    shutil.copytree(SPEC, copy)
    edit(copy)
    return copy


def _edit_json(copy: Path, name: str, change: Callable[[Any], None]) -> None:
    path = copy / "schemas" / name
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def _drop_refusal(copy: Path) -> None:
    def change(document: Any) -> None:
        document["$defs"]["stop_reason"]["enum"].remove("refusal")

    _edit_json(copy, "message.json", change)


def _drop_thread(copy: Path) -> None:
    _edit_json(copy, "request.json", lambda document: document["properties"].pop("thread"))


def _drop_beta(copy: Path) -> None:
    _edit_json(copy, "betas.json", lambda document: document["enum"].remove("effort-2025-11-24"))
    _edit_json(
        copy, "betas.json", lambda document: document["enum"].remove("message-threads-2026-08-12")
    )


@pytest.mark.parametrize(
    ("edit", "gap"),
    [
        (_drop_refusal, ("message", "/stop_reason", "enum-only-upstream", '"refusal"')),
        (_drop_thread, ("request", "/thread", "property-only-upstream", None)),
        (_drop_beta, ("betas", "", "enum-only-upstream", '"message-threads-2026-08-12"')),
    ],
    ids=["enum-value", "request-field", "beta-name"],
)
def test_a_removed_value_or_field_is_a_gap(
    tmp_path: Path, edit: Callable[[Path], None], gap: tuple[str, str, str, str | None]
) -> None:
    walk = walk_sdk(Spec.load(_copy(tmp_path, edit)))
    found = [(d.schema, d.path, d.kind, d.upstream) for d in walk.missing]
    assert gap in found and not walk.ok
    assert all(row[2:] == gap[2:] for row in found)  # nothing else went missing


def test_an_exclusion_that_matches_nothing_is_stale(tmp_path: Path) -> None:
    def add_stale(copy: Path) -> None:
        with (copy / "sdk-exclusions.toml").open("a") as table:
            table.write(
                '\n[[exclusion]]\nschema = "request"\npath = "/no/such/field"\n'
                'kind = "property-only-upstream"\nreason = "stale on purpose"\n'
            )

    walk = walk_sdk(Spec.load(_copy(tmp_path, add_stale)))
    assert [e.path for e in walk.stale] == ["/no/such/field"] and not walk.ok


def test_cli_exits_0_on_our_spec_and_1_with_the_gap_named(tmp_path: Path) -> None:
    out = io.StringIO()
    assert specdiff_main(["--sdk"], out) == 0
    assert "0 gap(s) our schemas lack" in out.getvalue()
    broken = _copy(tmp_path, _drop_refusal)
    out = io.StringIO()
    assert specdiff_main(["--sdk", "--spec-dir", str(broken), "--format", "json"], out) == 1
    rows = json.loads(out.getvalue())["missing"]
    assert {"message", "event:message_delta"} == {row["schema"] for row in rows}
    assert {row["upstream"] for row in rows} == {'"refusal"'}
