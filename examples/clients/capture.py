"""A loopback capture in front of a target: every request a real client sends is forwarded
unchanged and written, keys redacted, to a JSON-lines file (one request a line).

    python examples/clients/capture.py --upstream http://127.0.0.1:8089 --out sent.jsonl

The first line on stdout is the capture's own base URL (port 0 picks a free one); point the
client's base URL at it. Standard library only: it runs without the project installed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET_HEADERS = frozenset({"x-api-key", "authorization", "cookie", "proxy-authorization"})
HOP_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding"})
REDACTED = "<redacted>"
DEVICE_ID = re.compile(r'(device_id\\?"\s*:\s*\\?")[0-9a-f]{16,}')  # Claude Code's metadata.user_id


def redact(headers: dict[str, str]) -> dict[str, str]:
    """Header names lower-cased, credentials replaced (their scheme kept), hop headers dropped."""
    kept: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        if key in HOP_HEADERS:
            continue
        if key in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if key == "authorization" and " " in value else ""
            value = f"{scheme} {REDACTED}".strip()
        kept[key] = value
    return kept


def body_of(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return {"_unparsed_bytes": len(raw)}


def _error_message(content: bytes) -> str | None:
    body = body_of(content)
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("message")) if isinstance(error, dict) else None


class Capture(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, upstream: str, out: str, scrub: list[str]) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        parts = urllib.parse.urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.out = out
        self.scrub = [tuple(pair.split("=", 1)) for pair in scrub]
        self.lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        """One line: device ids zeroed, each `--scrub OLD=NEW` replaced (local paths)."""
        line = DEVICE_ID.sub(lambda m: m.group(1) + "0" * 16, json.dumps(record, sort_keys=True))
        for old, new in self.scrub:
            line = line.replace(old, new)
        with self.lock, open(self.out, "a", encoding="utf-8") as file:
            file.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    server: Capture
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def _forward(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        connection = http.client.HTTPConnection(*self.server.upstream, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
        connection.request(self.command, self.path, body=raw or None, headers=headers)
        answer = connection.getresponse()
        content = answer.read()
        path, _, query = self.path.partition("?")
        self.server.write(
            {
                "method": self.command,
                "path": path,
                "query": query,
                "headers": redact(dict(self.headers.items())),
                "body": body_of(raw),
                "status": answer.status,
                "error": _error_message(content) if answer.status >= 400 else None,
            }
        )
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in (
                "content-length",
                "transfer-encoding",
                "connection",
                "date",
                "server",
            ):
                self.send_header(name, value)
        self.send_header("content-length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)
        connection.close()

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_OPTIONS = _forward


def main(argv: list[str]) -> int:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--upstream", required=True, help="base URL requests are forwarded to")
    cli.add_argument("--out", required=True, help="JSON-lines file the requests are appended to")
    cli.add_argument("--port", type=int, default=0, help="loopback port (0: a free one)")
    cli.add_argument(
        "--scrub",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="replace OLD by NEW in what is written (repeatable; local paths)",
    )
    args = cli.parse_args(argv)
    server = Capture(args.port, args.upstream, args.out, args.scrub)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
