"""Read OCDS packages, check them against the bundled schema, compile releases per ocid.

Every problem names the file, the package or line, and the JSON path of the field, so a
trading centre's export that breaks the standard is refused with something a person can fix.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs
import ocdsmerge

from qingfeng.ingest.errors import IngestError

JSON_SUFFIXES = {".json"}
LINES_SUFFIXES = {".jsonl", ".ndjson"}
MAX_PROBLEMS = 10  # listed in the message; the count says how many more there were

# Merge rules given explicitly so that compiling never fetches the release schema: OCDS 1.1
# merges arrays of objects by their `id` and replaces other arrays whole (ocdsmerge's defaults
# without rules); the release's own `id`, `date` and `tag` describe one release only.
_MERGE_RULES: dict[tuple[str, ...], set[str]] = {}


class OcdsError(IngestError):
    """A file that looks like OCDS but breaks the standard; the message lists the problems."""


@dataclass
class Compiled:
    """The compiled releases of one file, and what was read to make them."""

    releases: list[dict[str, Any]]  # one compiled release per ocid, in order of first sight
    packages: int = 0
    releases_read: int = 0  # releases (or records' compiled releases) found in the input
    records_read: int = 0
    where: dict[str, str] = field(default_factory=dict)  # ocid -> first place it was seen


def is_ocds(path: Path) -> bool:
    """A .json file holding a release or record package, or JSON lines of releases, records or
    packages: told by the keys of the first object, read from the start of the file only."""
    suffix = path.suffix.lower()
    if suffix not in JSON_SUFFIXES | LINES_SUFFIXES:
        return False
    with open(path, "rb") as fh:
        head = fh.read(256 * 1024).decode("utf-8-sig", errors="replace")
    if suffix in LINES_SUFFIXES:
        first = next((ln for ln in head.splitlines() if ln.strip()), "")
        try:
            obj = json.loads(first)
        except ValueError:
            return False
        return isinstance(obj, dict) and bool({"ocid", "releases", "records"} & obj.keys())
    body = head.lstrip()
    return body.startswith(("{", "[")) and any(
        f'"{key}"' in head for key in ("releases", "records", "ocid")
    )


@cache
def _validator() -> Any:
    schema_file = resources.files("qingfeng.ingest.ocds") / "release-schema.json"
    return jsonschema_rs.validator_for(json.loads(schema_file.read_text(encoding="utf-8")))


def _objects(path: Path) -> Iterator[tuple[str, Any]]:
    """(where, object) for the package of a .json file or each line of a JSON lines file."""
    name = path.name
    if path.stat().st_size == 0:
        raise OcdsError(name, "文件为空 / the file is empty")
    if path.suffix.lower() in JSON_SUFFIXES:
        try:
            with open(path, encoding="utf-8-sig") as fh:
                yield "", json.load(fh)
        except UnicodeDecodeError as exc:
            raise OcdsError(
                name, f"OCDS 须为 UTF-8 编码 / OCDS must be UTF-8 ({exc.reason})"
            ) from None
        except json.JSONDecodeError as exc:
            raise OcdsError(
                name,
                f"不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列 / not valid JSON at line "
                f"{exc.lineno}, column {exc.colno}: {exc.msg}",
            ) from None
        return
    with open(path, encoding="utf-8-sig") as fh:
        for i, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield f"第 {i} 行 / line {i}", json.loads(line)
            except json.JSONDecodeError as exc:
                raise OcdsError(
                    name,
                    f"第 {i} 行不是有效的 JSON / line {i} is not valid JSON (column {exc.colno}: "
                    f"{exc.msg})",
                ) from None


def _pointer(parts: list[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(根 / root)"


def compile_file(path: Path) -> Compiled:
    """Every release of the file, checked, grouped by ocid and compiled; OcdsError lists the
    problems (at most MAX_PROBLEMS, with the count of the rest) when any release breaks the
    schema or a package has neither releases nor records."""
    out = Compiled(releases=[])
    by_ocid: dict[str, list[dict[str, Any]]] = {}
    given: dict[str, dict[str, Any]] = {}  # ocid -> a record's own compiledRelease
    problems: list[str] = []
    validator = _validator()

    def check(where: str, release: Any) -> None:
        if not isinstance(release, dict):
            problems.append(f"{where}: 发布须为对象 / a release must be an object")
            return
        for err in validator.iter_errors(release):
            problems.append(f"{where}.{_pointer(list(err.instance_path))}: {err.message}")
            return  # the first problem of a release is enough to point at it

    def add(where: str, release: Any) -> None:
        out.releases_read += 1
        before = len(problems)
        check(where, release)
        if len(problems) == before:
            ocid = str(release["ocid"])
            out.where.setdefault(ocid, where)
            by_ocid.setdefault(ocid, []).append(release)

    for where, obj in _objects(path):
        prefix = where or "package"
        if not isinstance(obj, dict):
            problems.append(f"{prefix}: 须为 JSON 对象 / must be a JSON object")
            continue
        if "releases" in obj and "ocid" not in obj:
            out.packages += 1
            releases = obj["releases"]
            if not isinstance(releases, list):
                problems.append(f"{prefix}.releases: 须为数组 / must be an array")
                continue
            for i, rel in enumerate(releases):
                add(f"{prefix}.releases[{i}]", rel)
        elif "records" in obj:
            out.packages += 1
            records = obj["records"]
            if not isinstance(records, list):
                problems.append(f"{prefix}.records: 须为数组 / must be an array")
                continue
            for i, rec in enumerate(records):
                _add_record(f"{prefix}.records[{i}]", rec, out, add, given, problems, check)
        elif "ocid" in obj and ("compiledRelease" in obj or "releases" in obj):
            _add_record(prefix, obj, out, add, given, problems, check)
        elif "ocid" in obj:
            add(prefix, obj)
        else:
            problems.append(
                f"{prefix}: 既非发布包、记录包，也非发布或记录 / neither a release package, a "
                "record package, a release nor a record (no releases, records or ocid)"
            )
    if problems:
        more = len(problems) - MAX_PROBLEMS
        listed = "; ".join(problems[:MAX_PROBLEMS])
        raise OcdsError(
            path.name,
            f"不符合 OCDS 标准，未入库 / not valid OCDS, nothing loaded: {listed}"
            + (f"; 另有 {more} 处 / and {more} more" if more > 0 else ""),
        )
    merger = ocdsmerge.Merger(merge_rules=_MERGE_RULES)
    for ocid, releases in by_ocid.items():
        if ocid in given and not releases:
            out.releases.append(given[ocid])
            continue
        try:
            compiled = merger.create_compiled_release(releases)
        except ocdsmerge.exceptions.OCDSMergeError as exc:
            raise OcdsError(
                path.name, f"{out.where[ocid]}: 无法合并 ocid {ocid} 的发布 / cannot compile: {exc}"
            ) from None
        compiled["ocid"] = ocid
        out.releases.append(compiled)
    for ocid, rel in given.items():
        if ocid not in by_ocid:
            out.releases.append(rel)
    return out


def _add_record(
    where: str,
    rec: Any,
    out: Compiled,
    add: Callable[[str, Any], None],
    given: dict[str, dict[str, Any]],
    problems: list[str],
    check: Callable[[str, Any], None],
) -> None:
    """A record: its releases when they are full releases, else its compiledRelease."""
    if not isinstance(rec, dict) or "ocid" not in rec:
        problems.append(f"{where}: 记录须有 ocid / a record needs an ocid")
        return
    out.records_read += 1
    releases = rec.get("releases")
    if (
        isinstance(releases, list)
        and releases
        and all(isinstance(r, dict) and "ocid" in r and "url" not in r for r in releases)
    ):
        for i, rel in enumerate(releases):
            add(f"{where}.releases[{i}]", rel)
        return
    compiled = rec.get("compiledRelease")
    if not isinstance(compiled, dict):
        problems.append(
            f"{where}: 记录既无完整发布也无 compiledRelease / a record has neither full "
            "releases nor a compiledRelease (linked releases cannot be fetched offline)"
        )
        return
    out.releases_read += 1
    before = len(problems)
    check(f"{where}.compiledRelease", compiled)
    if len(problems) == before:
        out.where.setdefault(str(rec["ocid"]), where)
        given[str(rec["ocid"])] = compiled
