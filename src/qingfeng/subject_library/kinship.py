"""Kinship derived from each member's relation to the household head (与户主关系).

Two SQL tables drive it, loaded from the constants below:
- `ROLE_TERMS`: the words registries use (户主, 配偶, 长子, 儿媳, 外孙女, ...) → a role
  relative to the head;
- `PAIR_RULES`: (role of A, role of B) → "A is <relation> of B", with a confidence and two
  refinements: `split_role` (the relation is one of n candidates, n = members of that role in the
  household, so the confidence is divided by n: a grandchild's parent is one of the head's
  children) and
  `opposite_gender` (spouses). The inverse row (B is <inverse> of A) is generated from `INVERSE`.

Half- and step-relations are why derived relations (siblings via the head, the head's spouse as a
parent of the head's children) carry less than 1.0.
"""

from __future__ import annotations

import duckdb

# Role codes relative to the household head.
HEAD, SPOUSE, CHILD, CHILD_IN_LAW, GRANDCHILD, GREAT_GRANDCHILD = "H", "S", "C", "CL", "G", "GG"
PARENT, PARENT_IN_LAW, GRANDPARENT = "P", "PL", "GP"
SIBLING, SIBLING_IN_LAW, NEPHEW_NIECE = "B", "BL", "N"
OTHER_RELATIVE, NON_RELATIVE = "OR", "NR"

# The catalogue normalises relation_to_head to English codes (head, spouse, child, ...); raw
# registry words are accepted too, for tables that reach the lake without that mapping.
ROLE_TERMS: dict[str, tuple[str, ...]] = {
    HEAD: ("head", "户主", "本人", "本人(户主)", "户主本人"),
    SPOUSE: ("spouse", "配偶", "夫", "妻", "丈夫", "妻子", "之夫", "之妻"),
    CHILD: (
        "child",
        "子",
        "儿子",
        "长子",
        "次子",
        "三子",
        "四子",
        "五子",
        "独生子",
        "其他儿子",
        "养子",
        "继子",
        "女",
        "女儿",
        "长女",
        "次女",
        "三女",
        "四女",
        "五女",
        "独生女",
        "其他女儿",
        "养女",
        "继女",
        "子女",
        "之子",
        "之女",
    ),
    CHILD_IN_LAW: ("child_in_law", "儿媳", "媳", "儿媳妇", "长媳", "次媳", "女婿", "婿"),
    GRANDCHILD: (
        "grandchild",
        "孙子",
        "孙女",
        "外孙子",
        "外孙",
        "外孙女",
        "孙子女",
        "孙子、孙女或外孙子、外孙女",
        "其他孙子、孙女或外孙子、外孙女",
        "长孙",
        "次孙",
    ),
    GREAT_GRANDCHILD: ("曾孙子", "曾孙女", "曾孙", "外曾孙子", "外曾孙女", "玄孙子", "玄孙女"),
    PARENT: (
        "父亲",
        "母亲",
        "父",
        "母",
        "父母",
        "继父",
        "继母",
        "养父",
        "养母",
        "继父或养父",
        "继母或养母",
        "其他父母关系",
    ),
    PARENT_IN_LAW: ("parent_in_law", "公公", "婆婆", "岳父", "岳母"),
    GRANDPARENT: (
        "grandparent",
        "祖父",
        "祖母",
        "爷爷",
        "奶奶",
        "祖父母",
        "外祖父",
        "外祖母",
        "外公",
        "外婆",
        "外祖父母",
    ),
    SIBLING: (
        "兄",
        "弟",
        "姐",
        "妹",
        "哥哥",
        "弟弟",
        "姐姐",
        "妹妹",
        "兄弟姐妹",
        "其他兄弟姐妹",
        "兄弟",
        "姐妹",
    ),
    SIBLING_IN_LAW: ("嫂", "嫂子", "弟媳", "弟妹", "姐夫", "妹夫"),
    NEPHEW_NIECE: ("侄子", "侄女", "外甥", "外甥女"),
    OTHER_RELATIVE: (
        "伯父",
        "伯母",
        "叔父",
        "婶母",
        "舅父",
        "舅母",
        "姨父",
        "姨母",
        "姑父",
        "姑母",
        "堂兄弟",
        "堂姐妹",
        "表兄弟",
        "表姐妹",
        "其他亲属",
        "其他",
    ),
    NON_RELATIVE: ("non_relative", "非亲属", "保姆", "寄住", "借住", "同住"),
}

# The catalogue's relation_to_head codes (dataspec/datasets/household_registry.yaml), plus the
# finer ones a department may send already coded.
CATALOGUE_CODES: dict[str, str] = {
    HEAD: "head",
    SPOUSE: "spouse",
    CHILD: "child",
    CHILD_IN_LAW: "child_in_law",
    GRANDCHILD: "grandchild",
    GREAT_GRANDCHILD: "great_grandchild",
    PARENT: "parent",
    PARENT_IN_LAW: "parent_in_law",
    GRANDPARENT: "grandparent",
    SIBLING: "sibling",
    SIBLING_IN_LAW: "sibling_in_law",
    NEPHEW_NIECE: "nephew_niece",
    OTHER_RELATIVE: "other",
    NON_RELATIVE: "non_relative",
}

# (A's role, B's role, A is <relation> of B, confidence, split_role, opposite_gender)
PAIR_RULES: tuple[tuple[str, str, str, float, str | None, bool], ...] = (
    (HEAD, SPOUSE, "spouse", 1.0, None, True),
    (HEAD, CHILD, "parent", 1.0, None, False),
    (SPOUSE, CHILD, "parent", 0.9, None, False),  # a step-parent is possible
    (CHILD, CHILD, "sibling", 0.9, None, False),  # half-siblings are possible
    (HEAD, CHILD_IN_LAW, "parent_in_law", 1.0, None, False),
    (SPOUSE, CHILD_IN_LAW, "parent_in_law", 0.9, None, False),
    (CHILD, CHILD_IN_LAW, "spouse", 0.9, CHILD, True),  # the spouse is one of the head's children
    (HEAD, GRANDCHILD, "grandparent", 1.0, None, False),
    (SPOUSE, GRANDCHILD, "grandparent", 0.9, None, False),
    (CHILD, GRANDCHILD, "parent", 0.9, CHILD, False),
    (CHILD_IN_LAW, GRANDCHILD, "parent", 0.9, CHILD_IN_LAW, False),
    (GRANDCHILD, GRANDCHILD, "sibling", 0.9, CHILD, False),  # cousins when several children
    (HEAD, GREAT_GRANDCHILD, "great_grandparent", 1.0, None, False),
    (SPOUSE, GREAT_GRANDCHILD, "great_grandparent", 0.9, None, False),
    (GRANDCHILD, GREAT_GRANDCHILD, "parent", 0.9, GRANDCHILD, False),
    (CHILD, GREAT_GRANDCHILD, "grandparent", 0.9, CHILD, False),
    (PARENT, HEAD, "parent", 1.0, None, False),
    (PARENT, PARENT, "spouse", 0.9, None, True),
    (PARENT, SPOUSE, "parent_in_law", 1.0, None, False),
    (PARENT, CHILD, "grandparent", 1.0, None, False),
    (PARENT, GRANDCHILD, "great_grandparent", 1.0, None, False),
    (PARENT, SIBLING, "parent", 0.9, None, False),
    (PARENT, SIBLING_IN_LAW, "parent_in_law", 0.9, None, False),
    (PARENT, NEPHEW_NIECE, "grandparent", 0.9, None, False),
    (PARENT_IN_LAW, SPOUSE, "parent", 1.0, None, False),
    (PARENT_IN_LAW, HEAD, "parent_in_law", 1.0, None, False),
    (PARENT_IN_LAW, PARENT_IN_LAW, "spouse", 0.9, None, True),
    (PARENT_IN_LAW, CHILD, "grandparent", 0.9, None, False),
    (GRANDPARENT, HEAD, "grandparent", 1.0, None, False),
    (GRANDPARENT, GRANDPARENT, "spouse", 0.5, None, True),  # paternal and maternal may both live
    (GRANDPARENT, PARENT, "parent", 0.5, None, False),  # the father's or the mother's parent
    (GRANDPARENT, SIBLING, "grandparent", 0.9, None, False),
    (GRANDPARENT, CHILD, "great_grandparent", 1.0, None, False),
    (SIBLING, HEAD, "sibling", 1.0, None, False),
    (SIBLING, SIBLING, "sibling", 0.9, None, False),
    (SIBLING, SPOUSE, "sibling_in_law", 1.0, None, False),
    (SIBLING, CHILD, "uncle_aunt", 1.0, None, False),
    (SIBLING_IN_LAW, HEAD, "sibling_in_law", 1.0, None, False),
    (SIBLING_IN_LAW, SIBLING, "spouse", 0.9, SIBLING, True),
    (SIBLING_IN_LAW, CHILD, "uncle_aunt", 0.9, None, False),
    (HEAD, NEPHEW_NIECE, "uncle_aunt", 1.0, None, False),
    (SPOUSE, NEPHEW_NIECE, "uncle_aunt", 0.9, None, False),
    (SIBLING, NEPHEW_NIECE, "parent", 0.9, SIBLING, False),
    (SIBLING_IN_LAW, NEPHEW_NIECE, "parent", 0.9, SIBLING_IN_LAW, False),
    (NEPHEW_NIECE, CHILD, "cousin", 0.9, None, False),
)

INVERSE: dict[str, str] = {
    "spouse": "spouse",
    "parent": "child",
    "child": "parent",
    "sibling": "sibling",
    "grandparent": "grandchild",
    "grandchild": "grandparent",
    "great_grandparent": "great_grandchild",
    "great_grandchild": "great_grandparent",
    "parent_in_law": "child_in_law",
    "child_in_law": "parent_in_law",
    "sibling_in_law": "sibling_in_law",
    "uncle_aunt": "nephew_niece",
    "nephew_niece": "uncle_aunt",
    "cousin": "cousin",
}

# The relations the integrity rules call close relatives (近亲属 in the narrow sense).
CLOSE_RELATIONS: tuple[str, ...] = ("spouse", "parent", "child", "sibling")


def load_kinship_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the temp tables qf_role_terms(term, role) and qf_pair_rules(...) on `con`."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_role_terms (term VARCHAR PRIMARY KEY, role VARCHAR)"
    )
    terms = {term: role for role, words in ROLE_TERMS.items() for term in words}
    terms.update({code: role for role, code in CATALOGUE_CODES.items()})
    con.executemany("INSERT INTO qf_role_terms VALUES (?, ?)", list(terms.items()))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_pair_rules (role_a VARCHAR, role_b VARCHAR, "
        "relation VARCHAR, confidence DOUBLE, split_role VARCHAR, opposite_gender BOOLEAN)"
    )
    rows = []
    for a, b, rel, conf, split, opposite in PAIR_RULES:
        rows.append((a, b, rel, conf, split, opposite))
    con.executemany("INSERT INTO qf_pair_rules VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.execute("CREATE OR REPLACE TEMP TABLE qf_inverse (relation VARCHAR, inverse VARCHAR)")
    con.executemany("INSERT INTO qf_inverse VALUES (?, ?)", list(INVERSE.items()))
