"""Close relatives across households (近亲属库), as the integrity rules define them.

《公职人员政务处分法》 and the rules on officials' spouses and children running businesses speak of
spouses, parents, children, siblings, their spouses and in-laws. The registry only says how each
member relates to the head of *one* household, so a married daughter or a brother with his own
household is no relative there. This library joins every source that carries a tie:

- household roles (`rel_kinship`: current households, past households from `household_moves`:
  moving out or splitting off (分户) keeps the tie, dibao cases);
- marriage registrations (spouses whose latest registration is a marriage, not a divorce);
- birth records (mother and father of the child);

then composes the ties over spouse / parent / child / sibling links (the `COMPOSE` table: "x is
r1 of m, m is r2 of y, so x is <result> of y"), two rounds, so a tie may rest on up to four
facts (a spouse's brother whose parents are known only from birth records).

Each row records its `degree` (`DEGREE`: how far the law's circle reaches, 1 = spouse, parents,
children; 2 = siblings, grandparents, grandchildren, children's spouses, parents-in-law; 3 =
siblings' spouses, spouses' siblings, uncles, aunts, nephews, nieces), the sources it rests on and
the `derivation`: every fact of the chain with its source and record. Models ask for relatives
up to a degree they take as a parameter.
"""

from __future__ import annotations

import duckdb

from qingfeng.subject_library.inputs import Inputs
from qingfeng.subject_library.subjects import D, V

# How close each relation is (the circle a model's `kin_degree` parameter reaches).
DEGREE: dict[str, int] = {
    "spouse": 1,
    "parent": 1,
    "child": 1,
    "sibling": 2,
    "grandparent": 2,
    "grandchild": 2,
    "child_in_law": 2,
    "parent_in_law": 2,
    "sibling_in_law": 3,
    "uncle_aunt": 3,
    "nephew_niece": 3,
    "great_grandparent": 3,
    "great_grandchild": 3,
    "cousin": 4,
}

# The links a chain is made of; other relations are kept as facts but end a chain.
LINKS: tuple[str, ...] = ("spouse", "parent", "child", "sibling")

# (x is r1 of m, m is r2 of y) -> x is <result> of y, with a confidence factor. Step-relations
# (a spouse's child, a parent's spouse) are left out: a step-parent is not a parent in law.
COMPOSE: tuple[tuple[str, str, str, float], ...] = (
    ("parent", "parent", "grandparent", 1.0),
    ("parent", "spouse", "parent_in_law", 1.0),
    ("parent", "sibling", "parent", 0.9),  # a half-sibling's parent may be someone else
    ("child", "child", "grandchild", 1.0),
    ("child", "parent", "sibling", 1.0),
    ("child", "sibling", "nephew_niece", 1.0),
    ("spouse", "child", "child_in_law", 1.0),
    ("spouse", "sibling", "sibling_in_law", 1.0),
    ("sibling", "parent", "uncle_aunt", 1.0),
    ("sibling", "child", "child", 0.9),
    ("sibling", "spouse", "sibling_in_law", 1.0),
    ("sibling", "sibling", "sibling", 0.9),
)

MAX_DEGREE = max(DEGREE.values())

# Spellings of the marriage registry's types, canonical codes first (ingest normalises to them).
MARRIAGE_TYPES = ("marriage", "结婚", "复婚", "结婚登记", "复婚登记")
DIVORCE_TYPES = ("divorce", "离婚", "离婚登记", "撤销婚姻")  # an annulment ends it too


def load_close_kin_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the temp tables qf_kin_degree(relation, degree) and qf_kin_compose(...)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_kin_degree (relation VARCHAR PRIMARY KEY, degree INTEGER)"
    )
    con.executemany("INSERT INTO qf_kin_degree VALUES (?, ?)", list(DEGREE.items()))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_kin_compose "
        "(r1 VARCHAR, r2 VARCHAR, result VARCHAR, factor DOUBLE)"
    )
    con.executemany("INSERT INTO qf_kin_compose VALUES (?, ?, ?, ?)", list(COMPOSE))


def _best(rows: str) -> str:
    """One row per (a, b, relation): the most confident derivation (the fewest facts on a tie)
    and every source that supports the tie by any derivation."""
    # a window, not arg_max: on a tie the derivation first by name wins, the same on every
    # engine and every run
    return f"""
  SELECT a, b, relation, best_confidence AS confidence, derivation, all_sources AS sources, facts
  FROM (
    SELECT a, b, relation, derivation, facts,
           max(confidence) OVER (PARTITION BY a, b, relation) AS best_confidence,
           list_distinct(flatten(list(sources) OVER (PARTITION BY a, b, relation)))
             AS all_sources,
           row_number() OVER (PARTITION BY a, b, relation
                              ORDER BY confidence * 100 - facts DESC, derivation) AS pick
    FROM ({rows}) WHERE a <> b
  ) WHERE pick = 1"""


def _compose(left: str, right: str) -> str:
    links = ", ".join(f"'{r}'" for r in LINKS)
    return f"""
  SELECT x.a, y.b, c.result AS relation, x.confidence * y.confidence * c.factor AS confidence,
         x.derivation || ' + ' || y.derivation AS derivation,
         list_distinct(list_concat(x.sources, y.sources)) AS sources, x.facts + y.facts AS facts
  FROM {left} x
  JOIN qf_kin_compose c ON c.r1 = x.relation
  JOIN {right} y ON y.a = x.b AND y.relation = c.r2
  WHERE x.relation IN ({links}) AND x.a <> y.b"""


def rel_close_kin(inp: Inputs) -> str:
    """Close relatives of every person, across households, with degree and derivation."""
    marriages = inp.source(
        "marriage_registrations", husband_id_no=V, wife_id_no=V, reg_type=V, reg_date=D, reg_no=V
    )
    births = inp.source("birth_records", cert_no=V, child_id_no=V, mother_id_no=V, father_id_no=V)
    married = ", ".join(f"'{t}'" for t in MARRIAGE_TYPES)
    divorced = ", ".join(f"'{t}'" for t in DIVORCE_TYPES)
    return f"""
WITH household AS (
  SELECT from_id AS a, to_id AS b, relation, confidence,
         relation || '[' || source || ' ' || "group" || ' ' || detail || ']' AS derivation,
         [source] AS sources, 1 AS facts
  FROM qf_lib_rel_kinship
),
registrations AS (
  SELECT husband_id_no AS h, wife_id_no AS w, reg_date, coalesce(reg_no, '') AS reg_no,
         CASE WHEN trim(reg_type) IN ({married}) THEN 'marriage'
              WHEN trim(reg_type) IN ({divorced}) THEN 'divorce' END AS kind
  FROM {marriages}
  WHERE qf_person_key(husband_id_no) AND qf_person_key(wife_id_no)
),
couples AS (
  -- the latest marriage or divorce (annulment) decides; known only from a replacement
  -- certificate, the couple is married
  SELECT h, w, arg_max(kind, reg_date) FILTER (WHERE kind IS NOT NULL) AS last_kind,
         arg_max(reg_no, reg_date) FILTER (WHERE kind = 'marriage') AS reg_no,
         max(reg_date) FILTER (WHERE kind = 'marriage') AS reg_date
  FROM registrations GROUP BY h, w
),
marriage AS (
  SELECT h AS a, w AS b, 'spouse' AS relation, 1.0 AS confidence,
         'spouse[marriage_registrations ' || coalesce(reg_no, '') || ' '
           || coalesce(CAST(reg_date AS VARCHAR), '') || ']' AS derivation,
         ['marriage_registrations'] AS sources, 1 AS facts
  FROM couples WHERE coalesce(last_kind, 'marriage') = 'marriage'
),
birth_parents AS (
  SELECT child_id_no AS child, mother_id_no AS parent, cert_no FROM {births}
  WHERE qf_person_key(child_id_no) AND qf_person_key(mother_id_no)
  UNION ALL
  SELECT child_id_no, father_id_no, cert_no FROM {births}
  WHERE qf_person_key(child_id_no) AND qf_person_key(father_id_no)
),
birth AS (
  SELECT parent AS a, child AS b, 'parent' AS relation, 1.0 AS confidence,
         'parent[birth_records ' || coalesce(cert_no, '') || ']' AS derivation,
         ['birth_records'] AS sources, 1 AS facts
  FROM birth_parents
),
facts AS (
  SELECT * FROM household
  UNION ALL SELECT * FROM marriage
  UNION ALL SELECT b, a, relation, confidence, derivation, sources, facts FROM marriage
  UNION ALL SELECT * FROM birth
  UNION ALL SELECT b, a, 'child', confidence,
                   replace(derivation, 'parent[', 'child['), sources, facts FROM birth
),
round1 AS ({_best("SELECT * FROM facts")}),
round2 AS ({_best(f"SELECT * FROM round1 UNION ALL {_compose('round1', 'round1')}")}),
round3 AS ({_best(f"SELECT * FROM round2 UNION ALL {_compose('round2', 'round2')}")})
SELECT 'person' AS from_type, r.a AS from_id, 'person' AS to_type, r.b AS to_id, r.relation,
       r.derivation AS detail, array_to_string(list_sort(r.sources), '+') AS source,
       r.confidence, CASE WHEN r.facts = 1 THEN 'direct' ELSE 'composed' END AS method,
       d.degree, CAST(r.facts AS INTEGER) AS facts, r.derivation
FROM round3 r JOIN qf_kin_degree d ON d.relation = r.relation
"""
