"""Record linkage: records that name a person without a valid ID number → people.

Mentions (a village-ledger payee with only a name, a bank counterparty, a complaint's target, a
shareholder without an ID...) are linked to the people library with Splink (Fellegi–Sunter, DuckDB
backend) on name, name pinyin, birth date, division code, address and employer. The m probabilities
are fixed priors (below, documented in docs/libraries.md); the u probabilities are estimated from
the data by random sampling; the prior match probability is 1 / number of people (each mention names
at most one person). Every result row records method and confidence (the match probability).

Splink scores each candidate pair on its own (its match_probability weighs a candidate against
"anyone else in the county"). Because the registry is complete, the decision uses the Bayes factors
of all candidates of a mention together: with prior π (the mention names one of the N people),

    P(candidate j) = (π/N)·BF_j / ((π/N)·(Σ_k BF_k + R) + 1 − π),

R = (N − k)·r being the expected Bayes-factor mass of the people not scored (names differ: r is the
name comparison's m/u of its last level; the other comparisons average 1 over non-matches). A
mention is `linked` when its best candidate reaches `threshold`; `ambiguous` when only the best two
together do (two namesakes in one village: nobody is attached to one of them by chance); else
`unmatched`. Splink's own pairwise probability is kept as `splink_probability`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from qingfeng.subject_library.inputs import Inputs
from qingfeng.subject_library.subjects import D, V

if TYPE_CHECKING:  # splink is imported when linking runs, not when the package loads
    from splink import SettingsCreator
    from splink.internals.comparison_level_creator import ComparisonLevelCreator

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class MentionSource:
    """Where a dataset names a person: its record key, ID column and attributes to compare."""

    view: str
    key: tuple[str, ...]  # columns whose values, joined by '/', identify the record
    id_col: str | None
    name_col: str
    division_col: str | None = None
    address_col: str | None = None
    org_col: str | None = None
    birth_col: str | None = None
    # P(the person named is one of the county's people): high for the county's own registers,
    # low for a bank counterparty who may live anywhere.
    in_county: float = 0.95

    def columns(self) -> dict[str, str]:
        cols = [*self.key, self.id_col, self.name_col, self.division_col, self.address_col,
                self.org_col]  # fmt: skip
        out = {c: V for c in cols if c}
        if self.birth_col:
            out[self.birth_col] = D
        return out

    def key_sql(self) -> str:
        return "concat_ws('/', " + ", ".join(self.key) + ")"


MENTION_SOURCES: tuple[MentionSource, ...] = (
    MentionSource("village_ledgers", ("voucher_no",), "payee_id_no", "payee_name", "division_code"),
    MentionSource(
        "complaints",
        ("complaint_no",),
        None,
        "target_name",
        "division_code",
        org_col="target_org",
        in_county=0.9,
    ),
    MentionSource(
        "shareholders",
        ("uscc", "shareholder_name"),
        "shareholder_id_no",
        "shareholder_name",
        in_county=0.5,
    ),
    MentionSource("dibao_members", ("case_no", "name"), "id_no", "name"),
    MentionSource("subsidy_payments", ("payment_no",), "id_no", "name", "division_code"),
    MentionSource("medical_claims", ("claim_no",), "id_no", "name"),
    MentionSource(
        "real_estate", ("property_no",), "owner_id_no", "owner_name", address_col="address"
    ),
    MentionSource("vehicles", ("plate_no",), "owner_id_no", "owner_name"),
    MentionSource("farm_machinery", ("serial_no",), "owner_id_no", "owner_name"),
    MentionSource("disability_certificates", ("cert_no",), "id_no", "name"),
    MentionSource("deaths", ("name", "death_date"), "id_no", "name"),
)


# Per comparison level, most specific first: (m, u) = P(level | same person), P(level | two
# random people of one county). m is a fixed prior; u is this prior until estimated from the data
# (only when there are enough people for random pairs to show every level).
M_U_NAME = {"exact": (0.85, 1e-4), "pinyin": (0.08, 2e-5), "jw_pinyin": (0.04, 2e-3),
            "else": (0.03, 0.99788)}  # fmt: skip
M_U_BIRTH = {"exact": (0.92, 5e-5), "month": (0.03, 1.4e-3), "year": (0.02, 1.6e-2),
             "else": (0.03, 0.98255)}  # fmt: skip
M_U_DIVISION = {"village": (0.75, 3e-3), "township": (0.12, 5e-2), "county": (0.08, 0.897),
                "else": (0.05, 0.05)}  # fmt: skip
M_U_ADDRESS = {"high": (0.7, 1e-3), "medium": (0.2, 1e-2), "else": (0.1, 0.989)}
M_U_ORG = {"exact": (0.7, 1e-2), "else": (0.3, 0.99)}
U_ESTIMATION_MIN_PEOPLE = 5000

DEFAULT_THRESHOLD = 0.8
BANK_IN_COUNTY = 0.3  # a bank counterparty may live anywhere


def mentions_sql(inp: Inputs) -> str:
    """All person mentions without a valid ID: (source, record_key, name, attributes...)."""

    def col(name: str | None, typ: str = V) -> str:
        return name if name else f"CAST(NULL AS {typ})"

    parts = []
    for m in MENTION_SOURCES:
        # Only views that name people and carry their record key can be linked back.
        if not inp.has(m.view, m.name_col, *m.key):
            continue
        src = inp.source(m.view, **m.columns())
        no_id = (
            f"NOT qf_person_key({m.id_col}) AND NOT qf_org_key({m.id_col}) AND " if m.id_col else ""
        )
        parts.append(
            f"SELECT '{m.view}' AS source, {m.key_sql()} AS record_key, "
            f"trim({m.name_col}) AS name, {col(m.birth_col, D)} AS birth_date, "
            f"{col(m.division_col)} AS division_code, {col(m.address_col)} AS address, "
            f"{col(m.org_col)} AS org_name FROM {src} "
            f"WHERE {no_id}nullif(trim({m.name_col}), '') IS NOT NULL"
        )
    # Bank counterparties that neither a known account holder nor a unique organisation explains.
    if inp.has("bank_transactions", "counterparty_name"):
        bank = inp.source("bank_transactions", counterparty_account=V, counterparty_name=V)
        parts.append(
            f"""SELECT DISTINCT 'bank_transactions', coalesce(b.counterparty_account,
                   b.counterparty_name), trim(b.counterparty_name), CAST(NULL AS DATE),
                   CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
            FROM {bank} b
            LEFT JOIN qf_lib_accounts a
              ON a.account_no = b.counterparty_account AND a.holder_type IS NOT NULL
            WHERE a.account_no IS NULL AND nullif(trim(b.counterparty_name), '') IS NOT NULL
              AND trim(b.counterparty_name) NOT IN
                  (SELECT name FROM qf_lib_organisations WHERE name IS NOT NULL)"""
        )
    if not parts:
        return (
            "SELECT CAST(NULL AS VARCHAR) AS source, CAST(NULL AS VARCHAR) AS record_key, "
            "CAST(NULL AS VARCHAR) AS name, CAST(NULL AS DATE) AS birth_date, "
            "CAST(NULL AS VARCHAR) AS division_code, CAST(NULL AS VARCHAR) AS address, "
            "CAST(NULL AS VARCHAR) AS org_name WHERE false"
        )
    return "\nUNION ALL\n".join(parts)


def install_pinyin(con: duckdb.DuckDBPyConnection, names_table: str) -> None:
    """qf_pinyin(ch, py): toneless pinyin of every character that occurs in `names_table.name`.

    pypinyin runs once per distinct character (a few thousand), never per row; names are then
    spelled in SQL by joining characters to this table.
    """
    from pypinyin import Style, lazy_pinyin

    chars = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT unnest(string_split(name, '')) FROM {names_table} "
            "WHERE name IS NOT NULL"
        ).fetchall()
    ]
    rows = [(c, "".join(lazy_pinyin(c, style=Style.NORMAL)).lower()) for c in chars if c]
    con.execute("CREATE OR REPLACE TEMP TABLE qf_pinyin (ch VARCHAR PRIMARY KEY, py VARCHAR)")
    if rows:
        con.execute(
            "INSERT INTO qf_pinyin SELECT * FROM (SELECT unnest(?) AS ch, unnest(?) AS py)",
            [[r[0] for r in rows], [r[1] for r in rows]],
        )


PINYIN_OF_NAMES = """
SELECT name, string_agg(coalesce(p.py, c.ch), '' ORDER BY c.pos) AS name_py
FROM (SELECT name, unnest(string_split(name, '')) AS ch,
             generate_subscripts(string_split(name, ''), 1) AS pos
      FROM (SELECT DISTINCT name FROM {table} WHERE name IS NOT NULL)) c
LEFT JOIN qf_pinyin p ON p.ch = c.ch
GROUP BY name
"""


@dataclass
class LinkageStats:
    mentions: int = 0
    profiles: int = 0
    linked: int = 0
    ambiguous: int = 0
    unmatched: int = 0
    pairs_scored: int = 0
    u_estimated: bool = False
    engine: str = "splink"


def build_person_links(
    con: duckdb.DuckDBPyConnection,
    inp: Inputs,
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> LinkageStats:
    """Create temp table qf_lib_person_links from the mentions and qf_lib_people."""
    stats = LinkageStats()
    con.execute(f"CREATE OR REPLACE TEMP TABLE qf_mentions AS {mentions_sql(inp)}")
    stats.mentions = _count(con, "qf_mentions")
    # One profile per distinct set of attributes: a counterparty named in 500 transfers is
    # compared once.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE qf_mention_profiles AS
        SELECT 'm' || CAST(row_number() OVER () AS VARCHAR) AS uid, *
        FROM (SELECT DISTINCT name, birth_date, division_code, address, org_name
              FROM qf_mentions)"""
    )
    stats.profiles = _count(con, "qf_mention_profiles")
    n_people = _count(con, "qf_lib_people")
    if stats.profiles and n_people:
        _prepare_link_tables(con)
        stats.pairs_scored = _splink_predict(con, n_people)
        stats.u_estimated = n_people >= U_ESTIMATION_MIN_PEOPLE
        _best_candidates(con, n_people)
    else:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE qf_link_best (uid VARCHAR, best_id_no VARCHAR, "
            "bf1 DOUBLE, bf2 DOUBLE, bf_sum DOUBLE, splink_probability DOUBLE, "
            "match_weight DOUBLE, runner_up_weight DOUBLE, candidates BIGINT)"
        )
    priors = ", ".join(f"('{m.view}', {m.in_county})" for m in MENTION_SOURCES)
    priors += f", ('bank_transactions', {BANK_IN_COUNTY})"
    r_else = M_U_NAME["else"][0] / M_U_NAME["else"][1]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE qf_lib_person_links AS
        WITH joined AS (
          SELECT m.*, b.*, pr.in_county,
                 pr.in_county / $n AS w,  -- prior weight of one person
                 ($n - coalesce(b.candidates, 0)) * $r AS unscored
          FROM qf_mentions m
          JOIN qf_mention_profiles p
            ON p.name IS NOT DISTINCT FROM m.name
           AND p.birth_date IS NOT DISTINCT FROM m.birth_date
           AND p.division_code IS NOT DISTINCT FROM m.division_code
           AND p.address IS NOT DISTINCT FROM m.address
           AND p.org_name IS NOT DISTINCT FROM m.org_name
          JOIN (VALUES {priors}) pr(source, in_county) ON pr.source = m.source
          LEFT JOIN qf_link_best b ON b.uid = p.uid
        ),
        scored AS (
          SELECT *,
                 w * bf1 / (w * (coalesce(bf_sum, 0) + unscored) + 1 - in_county) AS p1,
                 w * (bf1 + coalesce(bf2, 0))
                   / (w * (coalesce(bf_sum, 0) + unscored) + 1 - in_county) AS p12
          FROM joined
        )
        SELECT source, record_key, name, birth_date, division_code,
               CASE WHEN p1 >= $threshold THEN best_id_no END AS linked_id_no,
               best_id_no AS best_candidate_id_no,
               CASE WHEN p1 >= $threshold THEN 'linked'
                    WHEN p12 >= $threshold THEN 'ambiguous' ELSE 'unmatched' END AS outcome,
               'splink' AS method,
               coalesce(p1, 0.0) AS confidence,
               splink_probability, match_weight, runner_up_weight,
               coalesce(candidates, 0) AS candidates
        FROM scored""",
        {"n": float(max(n_people, 1)), "r": r_else, "threshold": threshold},
    )
    con.execute("DROP TABLE IF EXISTS qf_link_best")
    for outcome, n in con.execute(
        "SELECT outcome, count(*) FROM qf_lib_person_links GROUP BY outcome"
    ).fetchall():
        setattr(stats, outcome, n)
    for t in ("qf_mentions", "qf_mention_profiles", "qf_link_left", "qf_link_right"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return stats


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    # fetchall: DuckDB 2.0 keeps a result open after fetchone, blocking the next con.sql
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def _prepare_link_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The two sides Splink compares, with the same columns (uid, name, name_py, ...)."""
    pay = "SELECT 1 WHERE false"
    if _table_exists(con, "public_payroll"):
        pay = "SELECT id_no, org_name, start_date FROM public_payroll"
    con.execute(
        """CREATE OR REPLACE TEMP TABLE qf_link_names AS
        SELECT name FROM qf_lib_people UNION SELECT name FROM qf_mention_profiles"""
    )
    install_pinyin(con, "qf_link_names")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_name_py AS "
        + PINYIN_OF_NAMES.format(table="qf_link_names")
    )
    employer = (
        f"(SELECT CAST(id_no AS VARCHAR) AS id_no, arg_max(CAST(org_name AS VARCHAR), start_date)"
        f" AS org_name FROM ({pay}) GROUP BY id_no)"
        if _table_exists(con, "public_payroll")
        else "(SELECT CAST(NULL AS VARCHAR) AS id_no, CAST(NULL AS VARCHAR) AS org_name "
        "WHERE false)"
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE qf_link_right AS
        SELECT p.id_no AS uid, p.name, n.name_py, p.birth_date, p.division_code,
               substr(p.division_code, 1, 9) AS division9, p.address, e.org_name
        FROM qf_lib_people p
        LEFT JOIN qf_name_py n ON n.name = p.name
        LEFT JOIN {employer} e ON e.id_no = p.id_no"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE qf_link_left AS
        SELECT m.uid, m.name, n.name_py, m.birth_date, m.division_code,
               substr(m.division_code, 1, 9) AS division9, m.address, m.org_name
        FROM qf_mention_profiles m LEFT JOIN qf_name_py n ON n.name = m.name"""
    )
    con.execute("DROP TABLE IF EXISTS qf_link_names")
    con.execute("DROP TABLE IF EXISTS qf_name_py")


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return Inputs.scan(con).has(name)


def _char_jaccard(col: str) -> str:
    """Jaccard similarity of the character sets of two addresses (DuckDB's jaccard counts bytes)."""
    l_, r_ = f"string_split({col}_l, '')", f"string_split({col}_r, '')"
    return (
        f"len(list_intersect(list_distinct({l_}), list_distinct({r_}))) / "
        f"greatest(1, len(list_distinct(list_concat({l_}, {r_}))))"
    )


def _settings(n_people: int) -> SettingsCreator:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on
    from splink.blocking_rule_library import CustomRule

    def lvl(level: ComparisonLevelCreator, m_u: tuple[float, float]) -> ComparisonLevelCreator:
        m, u = m_u
        return level.configure(m_probability=m, u_probability=u)

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name"),
            lvl(cll.ExactMatchLevel("name", term_frequency_adjustments=True), M_U_NAME["exact"]),
            lvl(cll.ExactMatchLevel("name_py"), M_U_NAME["pinyin"]),
            lvl(cll.JaroWinklerLevel("name_py", 0.9), M_U_NAME["jw_pinyin"]),
            lvl(cll.ElseLevel(), M_U_NAME["else"]),
        ],
    )
    birth = cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            lvl(cll.ExactMatchLevel("birth_date"), M_U_BIRTH["exact"]),
            lvl(
                cll.CustomLevel(
                    "date_trunc('month', birth_date_l) = date_trunc('month', birth_date_r)",
                    "same month",
                ),
                M_U_BIRTH["month"],
            ),
            lvl(
                cll.CustomLevel("year(birth_date_l) = year(birth_date_r)", "same year"),
                M_U_BIRTH["year"],
            ),
            lvl(cll.ElseLevel(), M_U_BIRTH["else"]),
        ],
    )
    division = cl.CustomComparison(
        output_column_name="division_code",
        comparison_levels=[
            cll.NullLevel("division_code"),
            lvl(cll.ExactMatchLevel("division_code"), M_U_DIVISION["village"]),
            lvl(cll.ExactMatchLevel("division9"), M_U_DIVISION["township"]),
            lvl(
                cll.CustomLevel(
                    "substr(division_code_l, 1, 6) = substr(division_code_r, 1, 6)", "same county"
                ),
                M_U_DIVISION["county"],
            ),
            lvl(cll.ElseLevel(), M_U_DIVISION["else"]),
        ],
    )
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            cll.NullLevel("address"),
            lvl(
                cll.CustomLevel(f"{_char_jaccard('address')} >= 0.9", "chars ≥ 0.9"),
                M_U_ADDRESS["high"],
            ),
            lvl(
                cll.CustomLevel(f"{_char_jaccard('address')} >= 0.6", "chars ≥ 0.6"),
                M_U_ADDRESS["medium"],
            ),
            lvl(cll.ElseLevel(), M_U_ADDRESS["else"]),
        ],
    )
    org = cl.CustomComparison(
        output_column_name="org_name",
        comparison_levels=[
            cll.NullLevel("org_name"),
            lvl(cll.ExactMatchLevel("org_name"), M_U_ORG["exact"]),
            lvl(cll.ElseLevel(), M_U_ORG["else"]),
        ],
    )
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="uid",
        comparisons=[name, birth, division, address, org],
        blocking_rules_to_generate_predictions=[
            block_on("name", "division9"),
            block_on("name_py", "division9"),
            block_on("name", "birth_date"),
            block_on("name_py", "birth_date"),
            # mentions with neither place nor birth date (bank counterparties): the same name
            # (a homophone alone is too weak to ever reach the threshold, so it is not scored)
            CustomRule(
                "l.name = r.name AND (l.division9 IS NULL AND l.birth_date IS NULL "
                "OR r.division9 IS NULL AND r.birth_date IS NULL)"
            ),
        ],
        probability_two_random_records_match=1.0 / max(n_people, 2),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def _splink_predict(con: duckdb.DuckDBPyConnection, n_people: int) -> int:
    """Score candidate pairs with Splink in a private in-memory DuckDB.

    Splink creates tables of its own; a private connection keeps them off the caller's connection
    (which may be read-only or shared) and is dropped afterwards. Data moves by Arrow, zero-copy.
    """
    from splink import DuckDBAPI, Linker

    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    private = duckdb.connect()
    try:
        private.execute(f"SET threads = {int(threads)}")
        for side in ("qf_link_left", "qf_link_right"):
            private.register(f"{side}_arrow", con.sql(f"SELECT * FROM {side}").to_arrow_table())
            private.execute(f"CREATE TABLE {side} AS SELECT * FROM {side}_arrow")
            private.unregister(f"{side}_arrow")
        db_api = DuckDBAPI(private)
        left = db_api.register("qf_link_left", table_name="qf_link_left")
        right = db_api.register("qf_link_right", table_name="qf_link_right")
        # Splink's advice on max_pairs is for tuning sessions, not for a nightly build.
        logging.getLogger("splink").setLevel(logging.ERROR)
        linker = Linker([left, right], _settings(n_people), log_level=None)
        if n_people >= U_ESTIMATION_MIN_PEOPLE:
            linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=42)
        pred = linker.inference.predict(warning_mode="never")
        pairs = private.sql(
            f"""SELECT CASE WHEN source_dataset_l = 'qf_link_left' THEN uid_l ELSE uid_r END AS uid,
                   CASE WHEN source_dataset_l = 'qf_link_left' THEN uid_r ELSE uid_l END AS id_no,
                   match_probability, match_weight
            FROM {pred.physical_name}"""
        ).to_arrow_table()
    finally:
        private.close()
    con.register("qf_link_pairs_arrow", pairs)
    con.execute("CREATE OR REPLACE TEMP TABLE qf_link_pairs AS SELECT * FROM qf_link_pairs_arrow")
    con.unregister("qf_link_pairs_arrow")
    return pairs.num_rows


def _best_candidates(con: duckdb.DuckDBPyConnection, n_people: int) -> None:
    """Per mention profile: the best two candidates' Bayes factors and the sum over all."""
    prior = 1.0 / max(n_people, 2)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE qf_link_best AS
        WITH bf AS (
          -- match_weight = log2(prior odds) + log2(Bayes factor): take the prior back out
          SELECT *, pow(2.0, match_weight - log2($prior / (1 - $prior))) AS bf,
                 row_number() OVER (PARTITION BY uid ORDER BY match_weight DESC, id_no) AS rk
          FROM qf_link_pairs
        )
        SELECT uid,
               arg_max(id_no, bf) FILTER (WHERE rk = 1) AS best_id_no,
               max(bf) FILTER (WHERE rk = 1) AS bf1,
               max(bf) FILTER (WHERE rk = 2) AS bf2,
               sum(bf) AS bf_sum,
               max(match_probability) FILTER (WHERE rk = 1) AS splink_probability,
               max(match_weight) FILTER (WHERE rk = 1) AS match_weight,
               max(match_weight) FILTER (WHERE rk = 2) AS runner_up_weight,
               count(*) AS candidates
        FROM bf GROUP BY uid""",
        {"prior": prior},
    )
    con.execute("DROP TABLE IF EXISTS qf_link_pairs")
