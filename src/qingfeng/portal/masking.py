"""Masking rules for published personal data (脱敏规则), in Python and as DuckDB SQL.

- names: first and last character kept, each middle character starred (张小明 → 张*明);
  two-character names keep the first (张三 → 张*); one character → *.
- ID numbers: first 4 and last 4 kept, the rest starred (5227**********123X).
- bank accounts: last 4 kept.
The DuckDB expressions are the ones used when publishing (vectorised); the Python functions are
the reference the tests compare them with.
"""

from __future__ import annotations


def mask_name(name: str | None) -> str | None:
    if name is None:
        return None
    name = name.strip()
    n = len(name)
    if n == 0:
        return ""
    if n == 1:
        return "*"
    if n == 2:
        return name[0] + "*"
    return name[0] + "*" * (n - 2) + name[-1]


def mask_id(id_no: str | None) -> str | None:
    if id_no is None:
        return None
    id_no = id_no.strip().upper()
    if len(id_no) <= 8:
        return "*" * len(id_no)
    return id_no[:4] + "*" * (len(id_no) - 8) + id_no[-4:]


def mask_account(account: str | None) -> str | None:
    if account is None:
        return None
    account = account.strip()
    if len(account) <= 4:
        return "*" * len(account)
    return "*" * (len(account) - 4) + account[-4:]


def mask_name_sql(col: str) -> str:
    c = f"trim({col})"
    return (
        f"CASE WHEN {col} IS NULL THEN NULL "
        f"WHEN length({c}) = 0 THEN '' "
        f"WHEN length({c}) = 1 THEN '*' "
        f"WHEN length({c}) = 2 THEN left({c}, 1) || '*' "
        f"ELSE left({c}, 1) || repeat('*', length({c}) - 2) || right({c}, 1) END"
    )


def mask_id_sql(col: str) -> str:
    c = f"upper(trim({col}))"
    return (
        f"CASE WHEN {col} IS NULL THEN NULL "
        f"WHEN length({c}) <= 8 THEN repeat('*', length({c})) "
        f"ELSE left({c}, 4) || repeat('*', length({c}) - 8) || right({c}, 4) END"
    )


def mask_account_sql(col: str) -> str:
    c = f"trim({col})"
    return (
        f"CASE WHEN {col} IS NULL THEN NULL "
        f"WHEN length({c}) <= 4 THEN repeat('*', length({c})) "
        f"ELSE repeat('*', length({c}) - 4) || right({c}, 4) END"
    )
