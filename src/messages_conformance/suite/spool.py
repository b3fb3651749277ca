"""Case records on disk while a run goes on, read back in id order as often as reports ask.

A run's controller receives one record per case (from xdist workers too); kept in memory they
grow it with the run (a 10-minute load run has ~186k cases). The spool keeps at most
``chunk_bytes`` of serialized records in memory: a full buffer is sorted by case id and written
as one *run* file (JSON lines). Reading merges the runs (``heapq.merge``, stable: records with
the same id come in the order they were added, as ``sorted`` would give them), so a pass over
every record holds one record per run file. Small runs never touch the disk. Run files live in
a temporary folder (in the report folder when one is given) removed by ``close``.
"""

from __future__ import annotations

import heapq
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["CHUNK_BYTES", "MAX_RUNS", "CaseSpool"]

CHUNK_BYTES = 2 * 1024 * 1024  # serialized records kept in memory before a run file is written
MAX_RUNS = 64  # run files merged into one when there are this many (open files stay few)


class CaseSpool:
    """Records (JSON-ready dicts with an ``id``) added one by one, iterated in id order."""

    def __init__(self, folder: Path | None = None, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.folder = folder
        self.chunk_bytes = chunk_bytes
        self.buffer: list[tuple[str, str]] = []  # (id, the record as a JSON line)
        self.buffered = 0
        self.runs: list[Path] = []
        self.count = 0
        self._dir: Path | None = None

    def add(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":"))
        self.buffer.append((str(record.get("id", "")), line))
        self.buffered += len(line)
        self.count += 1
        if self.buffered >= self.chunk_bytes:
            self._flush()

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Every record, sorted by id (a fresh pass each time)."""
        pending = sorted(self.buffer, key=_id)
        for _, line in heapq.merge(*map(_read, self.runs), pending, key=_id):
            yield json.loads(line)

    def close(self) -> None:
        """Remove the run files (the records are gone after this)."""
        self.buffer, self.buffered, self.runs, self.count = [], 0, [], 0
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    # -- run files ----------------------------------------------------------------------------

    def _flush(self) -> None:
        if not self.buffer:
            return
        self.runs.append(self._write(sorted(self.buffer, key=_id)))
        self.buffer, self.buffered = [], 0
        if len(self.runs) >= MAX_RUNS:
            merged = self._write(heapq.merge(*map(_read, self.runs), key=_id))
            for run in self.runs:
                run.unlink(missing_ok=True)
            self.runs = [merged]

    def _write(self, rows: Any) -> Path:
        if self._dir is None:
            if self.folder is not None:
                self.folder.mkdir(parents=True, exist_ok=True)
            self._dir = Path(tempfile.mkdtemp(prefix=".cases-", dir=self.folder))
        handle, name = tempfile.mkstemp(suffix=".jsonl", dir=self._dir)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            _write_rows(file, rows)
        return Path(name)


def _id(row: tuple[str, str]) -> str:
    return row[0]


def _write_rows(file: IO[str], rows: Any) -> None:
    for case_id, line in rows:
        file.write(json.dumps(case_id) + "\t" + line + "\n")


def _read(path: Path) -> Iterator[tuple[str, str]]:
    with path.open(encoding="utf-8") as file:
        for row in file:
            head, _, line = row.rstrip("\n").partition("\t")
            yield json.loads(head), line
