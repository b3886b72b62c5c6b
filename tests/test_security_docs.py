"""docs/security.md states the role × permission table of qingfeng.web.roles; keep them equal."""

from __future__ import annotations

from pathlib import Path

from qingfeng.web.roles import PERMISSIONS, Area, Role

DOC = Path(__file__).resolve().parents[1] / "docs" / "security.md"


def test_the_documented_permissions_are_the_codes() -> None:
    lines = [ln for ln in DOC.read_text(encoding="utf-8").splitlines() if ln.startswith("| `")]
    header = next(
        ln for ln in DOC.read_text(encoding="utf-8").splitlines() if ln.startswith("| permission")
    )
    roles = [c.strip() for c in header.strip("|").split("|")][1:]
    assert sorted(roles) == sorted(r.value for r in Role)
    documented = {}
    for line in lines:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) != len(roles) + 1:
            continue  # another table (scopes)
        area = cells[0].strip("`")
        documented[area] = {role for role, mark in zip(roles, cells[1:], strict=True) if mark}
    expected = {a.value: {r.value for r in Role if a in PERMISSIONS[r]} for a in Area}
    assert documented == expected
