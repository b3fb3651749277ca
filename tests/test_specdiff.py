"""specdiff.py: our schemas against an upstream OpenAPI document."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest

from messages_conformance.cli.specdiff import specdiff_main
from messages_conformance.core.spec import EVENT_TYPES, Spec
from messages_conformance.reports.differences import Difference
from messages_conformance.reports.specdiff import (
    compare_specs,
    load_upstream,
    render_markdown,
    to_json,
)

UPSTREAM = Path(__file__).parent / "data" / "upstream"
TINY = UPSTREAM / "tiny-upstream.json"
MINIMAL_SPEC = UPSTREAM / "minimal-spec"
MINIMAL_TWIN = UPSTREAM / "minimal-same.json"
REAL_SUBSET = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "reference"
    / "anthropic-openapi-messages-subset.json"
)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = specdiff_main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def twin() -> dict[str, Any]:
    return json.loads(MINIMAL_TWIN.read_text("utf-8"))


def minimal_diff(upstream: dict[str, Any]) -> list[Difference]:
    return compare_specs(upstream, Spec.load(MINIMAL_SPEC))


def test_the_tiny_upstream_shows_exactly_the_planted_message_differences() -> None:
    found = compare_specs(load_upstream(TINY))
    message = [(d.path, d.kind, d.ours, d.upstream) for d in found if d.schema == "message"]
    assert message == [
        ("/diagnostics", "property-only-ours", None, None),
        ("/model", "type", "string", "integer"),
        ("/new_field", "property-only-upstream", None, None),
        ("/stop_reason", "enum-only-upstream", None, '"new_reason"'),
    ]


def test_schemas_the_upstream_lacks_are_listed_whole() -> None:
    found = compare_specs(load_upstream(TINY))
    missing = [d.schema for d in found if d.kind == "schema-only-ours"]
    assert missing == ["request", "error", *(f"event:{t}" for t in EVENT_TYPES)]
    assert all(d.path == "" for d in found if d.kind == "schema-only-ours")


def test_stainless_spelling_of_the_same_schemas_is_no_difference() -> None:
    # oneOf+discriminator vs allOf if/then, anyOf [X, null] vs if-null-else, nullable,
    # enum order, a const beside `type`, error variants vs one enum: all equivalent.
    assert minimal_diff(twin()) == []
    assert run(str(MINIMAL_TWIN), "--spec-dir", str(MINIMAL_SPEC))[0] == 0


def test_a_variant_only_upstream_and_a_changed_variant_field() -> None:
    upstream = twin()
    schemas = upstream["components"]["schemas"]
    schemas["ContentBlock"]["oneOf"].append({"$ref": "#/components/schemas/ImageBlock"})
    schemas["ImageBlock"] = {"type": "object", "properties": {"type": {"const": "image"}}}
    schemas["TextBlock"]["properties"]["text"] = {"type": "array"}
    found = [(d.path, d.kind, d.ours, d.upstream) for d in minimal_diff(upstream)]
    assert found == [
        ("/content/*/type", "enum-only-upstream", None, '"image"'),
        ("/content/*[type=text]/text", "type", "string", "array"),
    ]


def test_enum_closed_on_one_side_and_nullability() -> None:
    upstream = twin()
    schemas = upstream["components"]["schemas"]
    schemas["CreateMessageParams"]["properties"]["model"] = {"enum": ["a", "b"], "type": "string"}
    schemas["ErrorResponse"]["properties"]["request_id"] = {"type": "string"}
    found = [(d.schema, d.path, d.kind, d.ours, d.upstream) for d in minimal_diff(upstream)]
    assert found == [
        ("request", "/model", "enum-closed-upstream", "(open)", '"a", "b"'),
        ("error", "/request_id", "type", "null, string", "string"),
    ]


def test_an_upstream_event_type_we_lack_and_one_it_lacks() -> None:
    upstream = twin()
    union = upstream["components"]["schemas"]["MessageStreamEvent"]
    union["oneOf"] = [r for r in union["oneOf"] if not r["$ref"].endswith("/Ping")]
    union["oneOf"].append({"$ref": "#/components/schemas/Teleport"})
    upstream["components"]["schemas"]["Teleport"] = {
        "type": "object",
        "properties": {"type": {"const": "teleport"}},
    }
    upstream["components"]["schemas"].pop("Ping")
    found = [(d.schema, d.kind) for d in minimal_diff(upstream)]
    assert found == [("event:ping", "schema-only-ours"), ("event:teleport", "schema-only-upstream")]


def test_recursive_upstream_schemas_terminate() -> None:
    upstream = twin()
    schemas = upstream["components"]["schemas"]
    schemas["Json"] = {
        "anyOf": [
            {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Json"}},
            {"type": "array", "items": {"$ref": "#/components/schemas/Json"}},
        ]
    }
    schemas["ToolUseBlock"]["properties"]["input"] = {"$ref": "#/components/schemas/Json"}
    assert [d.path for d in minimal_diff(upstream)] == ["/content/*[type=tool_use]/input"]


def test_markdown_and_json_outputs() -> None:
    code, text, _ = run(str(TINY), "--format", "markdown")
    assert code == 1
    assert '| `/stop_reason` | enum value only upstream |  | `"new_reason"` |' in text
    assert "## message" in text and "(whole schema)" in text
    code, text, _ = run(str(TINY), "--format", "json")
    data = json.loads(text)
    assert code == 1 and data["identical"] is False
    assert data["counts"]["property-only-upstream"] == 1
    assert {
        "schema": "message",
        "path": "/new_field",
        "kind": "property-only-upstream",
        "ours": None,
        "upstream": None,
    } in data["differences"]
    assert render_markdown([], "x").endswith("No differences.\n")
    assert to_json([], "x")["identical"] is True


def test_table_cells_escape_pipes() -> None:
    text = render_markdown(
        [Difference("request", "/tools/*[type=a|b]/x", "property-only-ours")], "u"
    )
    assert "`/tools/*[type=a\\|b]/x`" in text


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "not valid JSON or YAML"),
        ('{"openapi": "3.1.0", "paths": {}}', "no components.schemas"),
        ("[1, 2]", "no components.schemas"),
    ],
)
def test_unusable_upstream_is_one_line_and_exit_2(
    tmp_path: Path, content: str, needle: str
) -> None:
    path = tmp_path / "up.json"
    path.write_text(content)
    code, out, err = run(str(path))
    assert code == 2 and out == ""
    assert needle in err and err.count("\n") == 1


def test_missing_file_and_bad_spec_folder_exit_2(tmp_path: Path) -> None:
    assert run(str(tmp_path / "nope.json"))[0] == 2
    code, _, err = run(str(TINY), "--spec-dir", str(tmp_path))
    assert code == 2 and "no schemas/ folder" in err


def test_yaml_upstream_is_read(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "up.yaml"
    path.write_text(yaml.safe_dump(copy.deepcopy(twin())))
    assert run(str(path), "--spec-dir", str(MINIMAL_SPEC))[0] == 0


@pytest.mark.skipif(not REAL_SUBSET.is_file(), reason="shared reference subset not present")
def test_against_the_real_stainless_subset() -> None:
    found = compare_specs(load_upstream(REAL_SUBSET))
    rows = {(d.schema, d.path, d.kind, d.ours) for d in found}
    # The 2026-05 subset predates these stop reasons; ours has them (facts §5.4).
    assert ("message", "/stop_reason", "enum-only-ours", '"model_context_window_exceeded"') in rows
    assert ("event:message_delta", "/delta/stop_reason", "enum-only-ours", '"compaction"') in rows
    assert ("message", "/usage/iterations", "property-only-ours", None) in rows
    assert ("event:error", "", "schema-only-ours", None) in rows  # not in MessageStreamEvent
    # Our schemas are encoded differently but agree on the basics.
    assert not [d for d in found if d.path in ("/id", "/type", "/role", "/content")]
    code, text, _ = run(str(REAL_SUBSET))
    assert code == 1 and text.startswith("# Spec diff: ours vs anthropic-openapi-messages-subset")
