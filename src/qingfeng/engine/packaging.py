"""Model packages (模型共享推广): a zip of model specs (with their bundled tests) and a manifest
with versions and sha256 checksums, so one region can share its models with another.

    manifest.json                 {"format": "qingfeng-model-package", "format_version": 1, ...}
    models/<model_id>.yaml        the spec exactly as written, tests included

Unpacking checks everything before writing anything: the manifest, every checksum, and that every
spec loads and compiles against the receiving workspace's catalogue.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qingfeng import __version__
from qingfeng.engine.errors import ModelSpecError
from qingfeng.engine.loader import ModelSet, parse_model_text

FORMAT = "qingfeng-model-package"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MAX_MEMBER_BYTES = 2_000_000  # a spec is text; anything bigger is not a model
_MEMBER_RE = re.compile(r"^models/([a-z][a-z0-9_]*)\.yaml$")


class PackageError(Exception):
    """A model package cannot be written or read; the message says which file and why."""


@dataclass(frozen=True)
class PackedModel:
    id: str
    version: str
    name: str
    field: str
    file: str
    sha256: str


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pack_models(
    models: ModelSet, model_ids: list[str], out: Path, *, package_version: str = "1.0.0"
) -> dict[str, Any]:
    """Write the chosen models to the zip `out`; returns the manifest."""
    if not model_ids:
        raise PackageError("没有要打包的模型 / no models to pack")
    entries: list[tuple[PackedModel, bytes]] = []
    for model_id in model_ids:
        spec = models.get(model_id)
        data = models.sources[model_id].read_bytes()
        entry = PackedModel(
            id=spec.id,
            version=spec.version,
            name=spec.name.zh,
            field=spec.field,
            file=f"models/{spec.id}.yaml",
            sha256=_sha256(data),
        )
        entries.append((entry, data))
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "package_version": package_version,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "qingfeng_version": __version__,
        "models": [e.__dict__ for e, _ in entries],
    }
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".pack-", suffix=".zip", dir=out.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
            for entry, data in entries:
                zf.writestr(entry.file, data)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return manifest


def read_package(path: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and the spec files of a package, every checksum verified."""
    path = Path(path)
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise PackageError(f"{path}: 不是有效的模型包 / not a model package ({exc})") from None
    with zf:
        names = zf.namelist()
        if MANIFEST not in names:
            raise PackageError(f"{path}: 缺少 {MANIFEST} / no {MANIFEST}")
        for info in zf.infolist():
            if info.filename != MANIFEST and not _MEMBER_RE.match(info.filename):
                raise PackageError(f"{path}: 不允许的文件 / unexpected member {info.filename!r}")
            if info.file_size > MAX_MEMBER_BYTES:
                raise PackageError(f"{path}: {info.filename} is too large for a model spec")
        try:
            manifest = json.loads(zf.read(MANIFEST).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PackageError(f"{path}: {MANIFEST} is not valid JSON: {exc}") from None
        if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
            raise PackageError(
                f"{path}: unsupported package format "
                f"{manifest.get('format')!r} v{manifest.get('format_version')!r}"
            )
        files: dict[str, bytes] = {}
        listed = set()
        for entry in manifest.get("models", []):
            name = entry.get("file", "")
            listed.add(name)
            if name not in names:
                raise PackageError(f"{path}: manifest names {name!r}, which is missing")
            data = zf.read(name)
            if _sha256(data) != entry.get("sha256"):
                raise PackageError(
                    f"{path}: {name} 校验和不符 / checksum mismatch (the file was altered)"
                )
            files[name] = data
        extra = [n for n in names if n != MANIFEST and n not in listed]
        if extra:
            raise PackageError(f"{path}: files not in the manifest: {', '.join(extra)}")
    return manifest, files


def unpack_models(path: Path, models_dir: Path, *, force: bool = False) -> list[str]:
    """Install a package's models into `models_dir` (a workspace's models/). All or nothing."""
    manifest, files = read_package(path)
    problems: list[str] = []
    to_write: list[tuple[Path, bytes]] = []
    for entry in manifest["models"]:
        name = entry["file"]
        match = _MEMBER_RE.match(name)
        assert match is not None  # read_package checked every member name
        try:
            spec = parse_model_text(files[name].decode("utf-8"), f"{path}!{name}")
        except ModelSpecError as exc:
            problems.append(str(exc))
            continue
        except UnicodeDecodeError:
            problems.append(f"{name}: not UTF-8 text")
            continue
        if spec.id != match.group(1) or spec.id != entry.get("id"):
            problems.append(f"{name}: holds model {spec.id}, manifest says {entry.get('id')}")
            continue
        if spec.version != entry.get("version"):
            problems.append(f"{name}: version {spec.version}, manifest says {entry.get('version')}")
            continue
        target = Path(models_dir) / f"{spec.id}.yaml"
        if target.exists() and not force and target.read_bytes() != files[name]:
            problems.append(
                f"{target} 已存在且内容不同；使用 --force 覆盖 / exists with other content; "
                "use --force to replace it"
            )
            continue
        to_write.append((target, files[name]))
    if problems:
        raise PackageError("模型包未导入 / package not imported:\n" + "\n".join(problems))
    Path(models_dir).mkdir(parents=True, exist_ok=True)
    for target, data in to_write:
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return [t.stem for t, _ in to_write]
