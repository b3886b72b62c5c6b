"""The lake's catalogue of published batches: `lake/_catalogue.json`, replaced atomically.

A batch's Parquet files are written under the local `lake/_staging/`, moved (a folder) or
uploaded (object storage) into `<lake>/<dataset>/batch=<id>/`, and only then named in the
catalogue by replacing the whole JSON file (`os.replace`, or one PUT of the object). Readers list
files from the catalogue, so a half-finished batch is never seen (`qingfeng.lake.location`).
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qingfeng.lake.location import LakeRoot, root_for

CATALOGUE_FILE = "_catalogue.json"
QUARANTINE = "_quarantine"
DUPLICATES = "_duplicates"
STAGING = "_staging"


class LakeError(Exception):
    """The lake cannot do what was asked; the message says why."""


@dataclass
class Batch:
    """One published batch: the rows one source contributed to one dataset."""

    batch_id: str
    dataset: str
    source: str
    sha256: str
    created_at: str
    files: list[str]
    quarantine_files: list[str] = field(default_factory=list)
    duplicate_files: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Batch:
        return cls(**data)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_batch_id(sha256: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    return f"{stamp}-{sha256[:8]}"


class Lake:
    """The Parquet lake: a workspace folder, a shared mount or an object-storage prefix."""

    def __init__(self, root: Path | str | LakeRoot) -> None:
        self.location = root if isinstance(root, LakeRoot) else root_for(root)
        # the local folder: staging, the writers' lock (and, for a local lake, the lake itself)
        self.root = self.location.local

    # --- reading the catalogue ---
    @property
    def catalogue_path(self) -> str:
        return self.location.uri(CATALOGUE_FILE)

    def _read(self) -> dict[str, Any]:
        raw = self.location.read_bytes(CATALOGUE_FILE)
        if raw is None:
            return {"version": 1, "batches": []}
        try:
            data: dict[str, Any] = json.loads(raw.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise LakeError(f"{self.catalogue_path} is not valid JSON: {exc}") from None
        return data

    def batches(self, dataset: str | None = None) -> list[Batch]:
        """Published batches, oldest first."""
        out = [Batch.from_json(b) for b in self._read()["batches"]]
        return [b for b in out if dataset is None or b.dataset == dataset]

    def batch(self, batch_id: str) -> Batch:
        for b in self.batches():
            if b.batch_id == batch_id:
                return b
        raise LakeError(f"no published batch {batch_id!r}")

    def find_source(self, sha256: str, source: str) -> Batch | None:
        """The published batch that already holds this exact file (and sheet), if any."""
        found = self.find_sources(sha256, source)
        return found[0] if found else None

    def find_sources(self, sha256: str, source: str) -> list[Batch]:
        """Every published batch of this exact file (and sheet): two when it carried two
        datasets."""
        part = source_part(source)
        return [b for b in self.batches() if b.sha256 == sha256 and b.meta.get("part") == part]

    def datasets(self) -> list[str]:
        return sorted({b.dataset for b in self.batches()})

    def files(self, dataset: str) -> list[str]:
        """What a reader opens for each published file of `dataset` (a path or an s3:// URL)."""
        return [self.location.uri(f) for b in self.batches(dataset) for f in b.files]

    def quarantine_files(self) -> list[str]:
        return [self.location.uri(f) for b in self.batches() for f in b.quarantine_files]

    def duplicate_files(self) -> list[str]:
        return [self.location.uri(f) for b in self.batches() for f in b.duplicate_files]

    # --- writing ---
    def staging_dir(self, batch_id: str) -> Path:
        path = self.root / STAGING / batch_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _write(self, data: dict[str, Any]) -> None:
        text = json.dumps(data, ensure_ascii=False, indent=1)
        self.location.write_atomic(CATALOGUE_FILE, text.encode("utf-8"))  # the publishing step

    def publish(self, batch: Batch, staged: dict[str, Path]) -> None:
        """Move staged folders into place, then name them in the catalogue (atomic)."""
        self.publish_all([batch], staged)

    def publish_all(self, batches: list[Batch], staged: dict[str, Path]) -> None:
        """Publish several batches in one catalogue update: all of them become visible, or none
        (a file that carried two datasets)."""
        for rel_dir, src in staged.items():
            if self.location.is_local:
                dest = Path(self.location.base) / rel_dir
                if dest.exists():
                    shutil.rmtree(dest)  # leftover of a crashed attempt: never published
            self.location.upload_dir(Path(src), rel_dir)
        data = self._read()
        ids = {b.batch_id for b in batches}
        data["batches"] = [b for b in data["batches"] if b["batch_id"] not in ids]
        data["batches"] += [b.to_json() for b in batches]
        self._write(data)

    def rollback(self, batch_id: str) -> Batch:
        """Unpublish a batch (atomic), then delete its files.

        The batches one file published together (a file that carried two datasets) are
        unpublished together: the file can then be ingested again as a whole.
        """
        data = self._read()
        found = [b for b in data["batches"] if b["batch_id"] == batch_id]
        if not found:
            raise LakeError(f"no published batch {batch_id!r}")
        gone = Batch.from_json(found[0])
        ids = {batch_id, *gone.meta.get("published_with", [])}
        removed = [Batch.from_json(b) for b in data["batches"] if b["batch_id"] in ids]
        data["batches"] = [b for b in data["batches"] if b["batch_id"] not in ids]
        self._write(data)
        for rel in {
            str(Path(f).parent)
            for b in removed
            for f in b.files + b.quarantine_files + b.duplicate_files
        }:
            self.location.delete_dir(rel)
        return gone

    def collect_garbage(self) -> list[Path]:
        """Remove staging leftovers and batch folders no catalogue entry names (crashed ingests)."""
        removed: list[Path] = []
        staging = self.root / STAGING
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
            removed.append(staging)
        named = {
            str(Path(f).parent)
            for b in self.batches()
            for f in b.files + b.quarantine_files + b.duplicate_files
        }
        for top in self.location.subdirs():
            if top == STAGING:
                continue
            for sub in self.location.subdirs(top):
                rel = f"{top}/{sub}"
                if sub.startswith("batch=") and rel not in named:
                    self.location.delete_dir(rel)
                    removed.append(Path(self.location.uri(rel)))
        return removed

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One writer at a time (ingest, rollback); readers never wait."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as fh:
            try:
                import fcntl

                fcntl.flock(fh, fcntl.LOCK_EX)
            except ImportError:  # pragma: no cover - non-POSIX
                pass
            yield


def source_part(source: str) -> str:
    """The sheet or table part of a source name ("file.xlsx#Sheet1" -> "Sheet1")."""
    return source.split("#", 1)[1] if "#" in source else ""
