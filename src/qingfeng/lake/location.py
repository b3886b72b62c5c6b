"""Where the lake lives: a local folder (also a shared mount every host sees) or S3-compatible
object storage, through pyarrow's filesystem layer.

`lake_url` in qingfeng.toml (or `QINGFENG_LAKE_URL`) names it:

- unset, or a plain path / `file://` URL: a folder (default `<workspace>/lake`); a shared mount
  (NFS, CephFS, a SAN volume) mounted at the same path on every host is this case;
- `s3://bucket/prefix?endpoint_override=host:port&scheme=http&region=…`: S3 or any
  S3-compatible store (MinIO, Ceph RGW, a government cloud's OSS). The query names what pyarrow's
  `S3FileSystem` takes; credentials come from the usual `AWS_ACCESS_KEY_ID` /
  `AWS_SECRET_ACCESS_KEY` environment variables, never from the file.

Publishing is atomic on each: Parquet files are written first, under their final folder, and a
batch becomes visible only when `_catalogue.json` is replaced as a whole (`os.replace` on a
folder, one PUT of the object on S3, where a reader sees the old object or the new one, never a
mix). Staging stays on the local disk (`<workspace>/lake/_staging`), and so does the writers'
lock: the writers of one S3 lake run on one host.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pyarrow.fs as pafs

if TYPE_CHECKING:
    import duckdb

    from qingfeng.settings import Settings


class LakeLocationError(ValueError):
    """The lake URL cannot be used; the message names the setting and why."""


@dataclass
class LakeRoot:
    """The lake's root on its filesystem, and the local folder that holds staging and the lock."""

    fs: pafs.FileSystem
    base: str  # the root as the filesystem names it ("/srv/lake", "bucket/prefix")
    local: Path  # staging and the writers' lock
    scheme: str = ""  # "" for a local folder, "s3" for object storage
    url: str = ""
    _registered: dict[int, bool] = field(default_factory=dict, repr=False)

    @property
    def is_local(self) -> bool:
        return not self.scheme

    def path(self, rel: str | Path = "") -> str:
        """The filesystem path of `rel` under the root."""
        rel = str(rel).strip("/")
        return f"{self.base.rstrip('/')}/{rel}" if rel else self.base

    def uri(self, rel: str | Path) -> str:
        """What a reader (DuckDB, Spark, pyarrow) opens for `rel`: a local path or `s3://…`."""
        if self.is_local:
            return str(Path(self.base) / rel)
        return f"{self.scheme}://{self.path(rel)}"

    # --- small file operations used by the catalogue ---
    def read_bytes(self, rel: str) -> bytes | None:
        try:
            with self.fs.open_input_stream(self.path(rel)) as fh:
                return bytes(fh.read())
        except FileNotFoundError:
            return None
        except OSError as exc:  # pyarrow's S3 layer raises OSError for a missing key
            if self.is_local or ("NoSuchKey" not in str(exc) and "does not exist" not in str(exc)):
                raise
            return None

    def write_atomic(self, rel: str, data: bytes) -> None:
        """Replace `rel` as a whole: readers see the old content or the new, never a part."""
        if self.is_local:
            root = Path(self.base)
            root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".catalogue-", suffix=".json", dir=root)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, root / rel)  # the single atomic step that publishes
            return
        # One PUT: S3 (and the S3-compatible stores) make an object visible only when the
        # whole upload is complete.
        with self.fs.open_output_stream(self.path(rel)) as out:
            out.write(data)

    def stamp(self, rel: str) -> tuple[int, int]:
        """(modification time in ns, size) of `rel`, (0, 0) when missing: a cheap change check."""
        info = self.fs.get_file_info(self.path(rel))
        if info.type == pafs.FileType.NotFound:
            return (0, 0)
        return (int(info.mtime_ns or 0), int(info.size or 0))

    def exists(self, rel: str) -> bool:
        return self.fs.get_file_info(self.path(rel)).type != pafs.FileType.NotFound

    def delete_dir(self, rel: str) -> None:
        with contextlib.suppress(FileNotFoundError, OSError):
            self.fs.delete_dir(self.path(rel))

    def subdirs(self, rel: str = "") -> list[str]:
        """Names of the folders directly under `rel`."""
        selector = pafs.FileSelector(self.path(rel), allow_not_found=True, recursive=False)
        return sorted(
            i.base_name
            for i in self.fs.get_file_info(selector)
            if i.type == pafs.FileType.Directory
        )

    def upload_dir(self, src: Path, rel: str) -> None:
        """Put the files of the local folder `src` under `rel` (object storage: copies; a local
        root moves the folder)."""
        if self.is_local:
            dest = Path(self.base) / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
            return
        self.delete_dir(rel)  # leftover of a crashed attempt: never published
        for file in sorted(p for p in src.rglob("*") if p.is_file()):
            target = self.path(f"{rel}/{file.relative_to(src).as_posix()}")
            pafs.copy_files(str(file), target, source_filesystem=pafs.LocalFileSystem(),
                            destination_filesystem=self.fs)  # fmt: skip

    def upload_file(self, src: Path, rel: str) -> None:
        if self.is_local:
            dest = Path(self.base) / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
            return
        pafs.copy_files(str(src), self.path(rel), source_filesystem=pafs.LocalFileSystem(),
                        destination_filesystem=self.fs)  # fmt: skip

    # --- readers ---
    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Let DuckDB read `s3://…` paths of this lake through pyarrow's filesystem (fsspec's
        wrapper registered on the connection): no DuckDB extension is downloaded."""
        if self.is_local or self.scheme in con.list_filesystems():
            return
        con.execute("SET autoinstall_known_extensions = false")
        con.execute("SET autoload_known_extensions = false")
        con.register_filesystem(_duckdb_filesystem(self.fs, self.scheme))


def _duckdb_filesystem(fs: pafs.FileSystem, scheme: str) -> Any:
    try:
        from fsspec.implementations.arrow import ArrowFSWrapper
    except ImportError as exc:  # pragma: no cover - the s3 extra
        raise LakeLocationError(
            "an object-storage lake needs fsspec (pip install 'qingfeng[s3]')"
        ) from exc

    class _LakeFS(ArrowFSWrapper):
        protocol = (scheme,)
        cachable = False

        @classmethod
        def _strip_protocol(cls, path: Any) -> Any:
            if isinstance(path, list):
                return [cls._strip_protocol(p) for p in path]
            text = str(path)
            prefix = f"{scheme}://"
            return text[len(prefix) :] if text.startswith(prefix) else text

    return _LakeFS(fs)


def lake_root(settings: Settings) -> LakeRoot:
    """The lake named by the settings (`lake_url`; default the workspace's `lake/` folder)."""
    url = (settings.lake_url or "").strip()
    if not url or "://" not in url or url.startswith("file://"):
        return root_for(settings.lake_dir)
    return root_for(url, settings.lake_dir)


def root_for(url: str | Path, local: Path | None = None) -> LakeRoot:
    """A LakeRoot for a URL or a folder; `local` holds staging and the lock (default: the folder
    itself for a local lake, a temporary folder otherwise)."""
    text = str(url)
    parts = urlsplit(text) if "://" in text else None
    if parts is None or parts.scheme == "file":
        folder = Path(parts.path if parts else text).expanduser() if text else local
        if folder is None:
            raise LakeLocationError("lake_url: empty, and no workspace folder to default to")
        folder = Path(folder)
        # staging sits inside the lake's own folder: publishing is a rename on one filesystem
        return LakeRoot(pafs.LocalFileSystem(), str(folder), folder, url=str(folder))
    if parts.scheme not in ("s3",):
        raise LakeLocationError(
            f"lake_url: {parts.scheme}:// is not supported (a folder, file:// or s3://)"
        )
    if not parts.netloc:
        raise LakeLocationError(f"lake_url: {text!r} names no bucket (s3://bucket/prefix)")
    try:
        fs, base = pafs.FileSystem.from_uri(text)
    except (OSError, ValueError) as exc:
        raise LakeLocationError(f"lake_url: cannot open {_safe(text)}: {exc}") from None
    if local is None:
        local = Path(tempfile.mkdtemp(prefix="qingfeng-lake-"))
    return LakeRoot(fs, base.rstrip("/"), local, scheme=parts.scheme, url=_safe(text))


def _safe(url: str) -> str:
    """The URL without a query (endpoint options) or user part, for messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{parts.path}"
