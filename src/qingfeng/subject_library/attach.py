"""Register the built libraries as views on a connection, plus `relations` and `close_relatives`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

from qingfeng.lake.location import LakeRoot, root_for
from qingfeng.subject_library.build import LIBRARY_NAMES, RELATION_TABLES
from qingfeng.subject_library.inputs import quote_ident
from qingfeng.subject_library.kinship import CLOSE_RELATIONS
from qingfeng.subject_library.relations import COMMON

LIBRARIES_FOLDER = "_libraries"


def libraries_dir(lake_dir: Path) -> Path:
    return Path(lake_dir) / LIBRARIES_FOLDER


def _root(lake: Path | LakeRoot) -> LakeRoot:
    return lake if isinstance(lake, LakeRoot) else root_for(Path(lake))


def built_libraries(lake: Path | LakeRoot) -> dict[str, str]:
    """The library files built so far under <lake>/_libraries, by view name: what a reader
    opens (a path, or an s3:// URL for a lake on object storage)."""
    root = _root(lake)
    present = {name for name in LIBRARY_NAMES if root.exists(f"{LIBRARIES_FOLDER}/{name}.parquet")}
    return {
        name: root.uri(f"{LIBRARIES_FOLDER}/{name}.parquet")
        for name in LIBRARY_NAMES
        if name in present
    }


def publish_libraries(built_dir: Path, lake: LakeRoot) -> list[str]:
    """Put the library files built into the local `built_dir` into an object-storage lake
    (each file one PUT: a reader sees the old library or the new one). Returns the names."""
    names = []
    for name in LIBRARY_NAMES:
        path = built_dir / f"{name}.parquet"
        if path.is_file():
            lake.upload_file(path, f"{LIBRARIES_FOLDER}/{name}.parquet")
            names.append(name)
    return names


def derived_views(built: Iterable[str]) -> dict[str, str]:
    """The views over the library views, as SELECTs that read the same on DuckDB and Spark (plain
    names, no quoting): `relations` (the union of the relation tables built) and, when
    rel_kinship is built, `close_relatives`; when rel_close_kin is built, `relatives` (what the
    models ask: relatives across households, with degree and derivation)."""
    names = set(built)
    views = {}
    rel_views = [n for n in RELATION_TABLES if n in names]
    if rel_views:
        cols = ", ".join(COMMON)
        views["relations"] = " UNION ALL ".join(f"SELECT {cols} FROM {n}" for n in rel_views)
    if "rel_kinship" in names:
        close = ", ".join(f"'{r}'" for r in CLOSE_RELATIONS)
        views["close_relatives"] = (
            "SELECT from_id AS id_no, to_id AS relative_id_no, relation, confidence, method "
            f"FROM rel_kinship WHERE relation IN ({close})"
        )
    if "rel_close_kin" in names:
        # read "relative_id_no is the <relation> of id_no" (the daughter is the child of ...)
        views["relatives"] = (
            "SELECT to_id AS id_no, from_id AS relative_id_no, relation, degree, facts, "
            "confidence, source, derivation FROM rel_close_kin"
        )
    return views


def attach_libraries(con: duckdb.DuckDBPyConnection, lake_dir: Path | LakeRoot) -> list[str]:
    """Create a view per built library file under <lake_dir>/_libraries; return the view names.

    Libraries not built yet are left out (the `relations` union covers the relation tables that
    exist). `close_relatives` needs rel_kinship.
    """
    root = _root(lake_dir)
    root.register(con)
    built = built_libraries(root)
    for name, path in built.items():
        literal = "'" + str(path).replace("'", "''") + "'"
        con.execute(f"CREATE OR REPLACE VIEW {quote_ident(name)} AS SELECT * FROM {literal}")
    derived = derived_views(built)
    for name, select in derived.items():
        con.execute(f"CREATE OR REPLACE VIEW {quote_ident(name)} AS {select}")
    return [*built, *derived]


def library_files(lake_dir: Path | LakeRoot, names: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The Parquet files each attached view reads (from `attach_libraries`' names): a library its
    own file, `relations` every relation table's, `close_relatives` rel_kinship's."""
    root = _root(lake_dir)
    attached = list(names)
    own = {
        n: (root.uri(f"{LIBRARIES_FOLDER}/{n}.parquet"),) for n in attached if n in LIBRARY_NAMES
    }
    out: dict[str, tuple[str, ...]] = dict(own)
    if "relations" in attached:
        out["relations"] = tuple(own[n][0] for n in RELATION_TABLES if n in own)
    if "close_relatives" in attached and "rel_kinship" in own:
        out["close_relatives"] = own["rel_kinship"]
    if "relatives" in attached and "rel_close_kin" in own:
        out["relatives"] = own["rel_close_kin"]
    return out


def relatives_within(
    con: duckdb.DuckDBPyConnection,
    id_no: str,
    hops: int = 1,
    *,
    min_confidence: float = 0.0,
) -> list[tuple[str, int, list[str], float]]:
    """Close relatives of `id_no` up to `hops` steps away over `close_relatives`.

    Returns (relative_id_no, hops, path of relations, confidence = product along the path),
    shortest path first; the person themself is excluded.
    """
    if hops < 1:
        raise ValueError("hops must be at least 1")
    rows = con.execute(
        """
        WITH RECURSIVE walk(id_no, depth, path, visited, confidence) AS (
          SELECT relative_id_no, 1, [relation], [$id, relative_id_no], confidence
          FROM close_relatives WHERE id_no = $id AND confidence >= $min_conf
          UNION ALL
          SELECT c.relative_id_no, w.depth + 1, list_append(w.path, c.relation),
                 list_append(w.visited, c.relative_id_no), w.confidence * c.confidence
          FROM walk w JOIN close_relatives c ON c.id_no = w.id_no
          WHERE w.depth < $hops AND c.confidence >= $min_conf
            AND NOT list_contains(w.visited, c.relative_id_no)
        )
        SELECT id_no, depth, path, confidence FROM walk
        QUALIFY row_number() OVER (PARTITION BY id_no ORDER BY depth, confidence DESC) = 1
        ORDER BY depth, id_no
        """,
        {"id": id_no, "hops": hops, "min_conf": min_confidence},
    ).fetchall()
    return [(r[0], int(r[1]), list(r[2]), float(r[3])) for r in rows]
