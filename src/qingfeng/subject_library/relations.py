"""Relationship libraries (关系库). Every table starts with the common columns
(from_type, from_id, to_type, to_id, relation, detail, source, confidence, method) and may add
typed columns of its own; the `relations` view unions the common columns.

Directional relations read "from is <relation> of to" (kinship: A parent B = A is B's parent) and
are stored in both directions where both directions mean something (kinship, co-bidding).
"""

from __future__ import annotations

from qingfeng.subject_library.inputs import Inputs
from qingfeng.subject_library.subjects import DEC, TS, D, V

COMMON = ("from_type", "from_id", "to_type", "to_id", "relation", "detail", "source",
          "confidence", "method")  # fmt: skip


def rel_household(inp: Inputs) -> str:
    hr = inp.source("household_registry", id_no=V, household_no=V, relation_to_head=V)
    mem = inp.source("dibao_members", case_no=V, id_no=V, relation_to_head=V)
    heads = inp.source("dibao_households", case_no=V, head_id_no=V)
    return f"""
WITH hh AS (
  SELECT 'person' AS from_type, id_no AS from_id, 'household' AS to_type, household_no AS to_id,
         'household_member' AS relation, trim(relation_to_head) AS detail,
         'household_registry' AS source, 1.0 AS confidence, 'id_no' AS method
  FROM {hr} WHERE qf_person_key(id_no) AND household_no IS NOT NULL
),
dibao AS (
  SELECT 'person', id_no, 'dibao_case', case_no, 'dibao_member', trim(relation_to_head),
         'dibao_members', 1.0, 'id_no'
  FROM {mem} WHERE qf_person_key(id_no) AND case_no IS NOT NULL
  UNION ALL
  -- the case head, when the member list leaves them out
  SELECT 'person', head_id_no, 'dibao_case', case_no, 'dibao_member', '户主', 'dibao_households',
         1.0, 'id_no'
  FROM {heads} WHERE qf_person_key(head_id_no) AND case_no IS NOT NULL
)
-- a dibao head listed among the members too: keep the member row (it has the real relation)
SELECT any_value(from_type) AS from_type, from_id, to_type, to_id,
       any_value(relation) AS relation, arg_max(detail, source) AS detail,
       max(source) AS source, 1.0 AS confidence, 'id_no' AS method
FROM (SELECT * FROM hh UNION ALL SELECT * FROM dibao)
GROUP BY from_id, to_type, to_id
"""


# Spellings of a collective household (集体户): its members are not each other's kin.
COLLECTIVE_TYPES = ("collective", "集体户", "集体户口", "单位集体户", "社区集体户", "学校集体户")


def rel_kinship(inp: Inputs) -> str:
    """Pairwise kinship from household roles: registry households, the households people left
    (moving out or splitting off keeps the tie to those who stayed) and dibao cases. Collective
    households are left out: their members share a number, not a family."""
    hr = inp.source(
        "household_registry", id_no=V, household_no=V, relation_to_head=V, household_type=V
    )
    moves = inp.source("household_moves", id_no=V, household_no=V, relation_to_head=V)
    mem = inp.source("dibao_members", case_no=V, id_no=V, relation_to_head=V)
    heads = inp.source("dibao_households", case_no=V, head_id_no=V)
    collective = ", ".join(f"'{t}'" for t in COLLECTIVE_TYPES)
    return f"""
WITH collective AS (
  SELECT DISTINCT household_no FROM {hr} WHERE trim(household_type) IN ({collective})
),
members AS (
  SELECT 'household:' || household_no AS grp, id_no, trim(relation_to_head) AS term,
         'household_registry' AS source
  FROM {hr} WHERE qf_person_key(id_no) AND household_no IS NOT NULL
  UNION ALL
  SELECT 'household:' || household_no, id_no, trim(relation_to_head), 'household_moves'
  FROM {moves} WHERE qf_person_key(id_no) AND household_no IS NOT NULL
  UNION ALL
  SELECT 'dibao:' || case_no, id_no, trim(relation_to_head), 'dibao_members'
  FROM {mem} WHERE qf_person_key(id_no) AND case_no IS NOT NULL
  UNION ALL
  SELECT 'dibao:' || case_no, head_id_no, '户主', 'dibao_households'
  FROM {heads} WHERE qf_person_key(head_id_no) AND case_no IS NOT NULL
),
roled AS (
  -- one role per member and group (a dibao head may be listed among the members too; the
  -- registry's current role wins over a past one)
  SELECT m.grp, m.id_no, arg_max(t.role, m.source) AS role, max(m.source) AS source,
         qf_id_gender(m.id_no) AS gender
  FROM members m JOIN qf_role_terms t ON t.term = m.term
  WHERE m.grp NOT IN (SELECT 'household:' || household_no FROM collective)
  GROUP BY m.grp, m.id_no
),
counts AS (
  SELECT grp, role, count(*) AS n, count(*) FILTER (WHERE gender = 'male') AS n_m,
         count(*) FILTER (WHERE gender = 'female') AS n_f
  FROM roled GROUP BY grp, role
),
pairs AS (
  SELECT a.grp, a.id_no AS a_id, b.id_no AS b_id, a.role AS a_role, b.role AS b_role,
         r.relation, a.source,
         r.confidence / greatest(1, coalesce(
           CASE WHEN NOT r.opposite_gender THEN c.n
                -- candidates of the split role must be of the other member's opposite sex
                WHEN (CASE WHEN r.split_role = r.role_a THEN b.gender ELSE a.gender END) = 'male'
                  THEN c.n_f
                ELSE c.n_m END, 1)) AS confidence
  FROM roled a
  JOIN qf_pair_rules r ON r.role_a = a.role
  JOIN roled b ON b.grp = a.grp AND b.role = r.role_b AND b.id_no <> a.id_no
  LEFT JOIN counts c ON c.grp = a.grp AND c.role = r.split_role
  WHERE NOT r.opposite_gender OR a.gender <> b.gender
),
both_ways AS (
  SELECT a_id AS from_id, b_id AS to_id, relation, a_role AS from_role, b_role AS to_role,
         grp, source, confidence FROM pairs
  UNION ALL
  SELECT p.b_id, p.a_id, i.inverse, p.b_role, p.a_role, p.grp, p.source, p.confidence
  FROM pairs p JOIN qf_inverse i ON i.relation = p.relation
)
-- one row per (from, to, relation): the most confident derivation and the group that gave it
-- (on a tie, the first group by name: the same row on every engine and every run)
SELECT 'person' AS from_type, from_id, 'person' AS to_type, to_id, relation,
       from_role || '→' || to_role AS detail, source, confidence,
       'household_role' AS method, grp AS "group", groups_count
FROM (
  SELECT from_id, to_id, relation, confidence, from_role, to_role, source, grp,
         count(*) OVER (PARTITION BY from_id, to_id, relation) AS groups_count,
         row_number() OVER (PARTITION BY from_id, to_id, relation
                            ORDER BY confidence DESC, grp, source, from_role, to_role) AS pick
  FROM both_ways
)
WHERE pick = 1
"""


def rel_employment(inp: Inputs) -> str:
    pay = inp.source(
        "public_payroll",
        id_no=V, name=V, org_uscc=V, org_name=V, position=V, start_date=D, end_date=D,
        monthly_salary=DEC,
    )  # fmt: skip
    return f"""
SELECT 'person' AS from_type, id_no AS from_id, 'organisation' AS to_type, org_uscc AS to_id,
       'employed_by' AS relation, position AS detail, 'public_payroll' AS source,
       1.0 AS confidence, 'id_no' AS method,
       org_name, position, start_date, end_date, monthly_salary
FROM {pay} WHERE qf_person_key(id_no) AND qf_org_key(org_uscc)
"""


def rel_legal_rep(inp: Inputs) -> str:
    co = inp.source("companies", uscc=V, name=V, legal_rep_id_no=V, status=V)
    return f"""
SELECT 'person' AS from_type, legal_rep_id_no AS from_id, 'organisation' AS to_type,
       uscc AS to_id, 'legal_rep_of' AS relation, name AS detail, 'companies' AS source,
       1.0 AS confidence, 'id_no' AS method, name AS company_name, status AS company_status
FROM {co} WHERE qf_person_key(legal_rep_id_no) AND qf_org_key(uscc)
"""


def rel_shareholding(inp: Inputs) -> str:
    sh = inp.source(
        "shareholders",
        uscc=V, shareholder_id_no=V, shareholder_name=V, share_ratio="DOUBLE",
        subscribed_capital=DEC,
    )  # fmt: skip
    return f"""
WITH s AS (
  SELECT *, concat_ws('/', uscc, shareholder_name) AS record_key
  FROM {sh} WHERE qf_org_key(uscc)
)
SELECT coalesce(qf_subject_type(s.shareholder_id_no), 'person') AS from_type,
       coalesce(CASE WHEN qf_subject_type(s.shareholder_id_no) IS NOT NULL
                     THEN s.shareholder_id_no END, l.linked_id_no) AS from_id,
       'organisation' AS to_type, s.uscc AS to_id, 'shareholder_of' AS relation,
       CAST(s.share_ratio AS VARCHAR) AS detail, 'shareholders' AS source,
       CASE WHEN qf_subject_type(s.shareholder_id_no) IS NOT NULL THEN 1.0
            ELSE l.confidence END AS confidence,
       CASE WHEN qf_subject_type(s.shareholder_id_no) IS NOT NULL THEN 'id_no'
            ELSE l.method END AS method,
       s.shareholder_name, s.share_ratio, s.subscribed_capital
FROM s
LEFT JOIN qf_lib_person_links l
  ON l.source = 'shareholders' AND l.record_key = s.record_key AND l.linked_id_no IS NOT NULL
WHERE qf_subject_type(s.shareholder_id_no) IS NOT NULL OR l.linked_id_no IS NOT NULL
"""


def rel_contract_award(inp: Inputs) -> str:
    t = inp.source(
        "tenders",
        tender_no=V, project_name=V, buyer_uscc=V, method=V, award_date=D, winner_uscc=V,
        winning_price=DEC, budget=DEC,
    )  # fmt: skip
    return f"""
SELECT 'organisation' AS from_type, buyer_uscc AS from_id, 'organisation' AS to_type,
       winner_uscc AS to_id, 'awarded_contract_to' AS relation, tender_no AS detail,
       'tenders' AS source, 1.0 AS confidence, 'uscc' AS method,
       tender_no, project_name, method AS procurement_method, budget, winning_price, award_date
FROM {t} WHERE qf_org_key(buyer_uscc) AND qf_org_key(winner_uscc)
"""


def rel_co_bidding(inp: Inputs) -> str:
    b = inp.source("bids", tender_no=V, bidder_uscc=V)
    t = inp.source("tenders", tender_no=V, announce_date=D)
    return f"""
WITH b AS (SELECT DISTINCT tender_no, bidder_uscc FROM {b}
           WHERE tender_no IS NOT NULL AND qf_org_key(bidder_uscc)),
t AS (SELECT tender_no, min(announce_date) AS announce_date FROM {t} GROUP BY tender_no),
pairs AS (
  SELECT x.bidder_uscc AS a, y.bidder_uscc AS b, x.tender_no
  FROM b x JOIN b y ON x.tender_no = y.tender_no AND x.bidder_uscc <> y.bidder_uscc
)
SELECT 'organisation' AS from_type, p.a AS from_id, 'organisation' AS to_type, p.b AS to_id,
       'co_bid_with' AS relation, CAST(count(*) AS VARCHAR) || ' tenders' AS detail,
       'bids' AS source, 1.0 AS confidence, 'uscc' AS method,
       count(*) AS tender_count, list_sort(list(p.tender_no)) AS tender_nos,
       min(t.announce_date) AS first_announce_date, max(t.announce_date) AS last_announce_date
FROM pairs p LEFT JOIN t USING (tender_no)
GROUP BY p.a, p.b
"""


OUT_DIRECTIONS = ("out", "debit", "d", "支出", "支", "转出", "出", "借", "付")
IN_DIRECTIONS = ("in", "credit", "c", "收入", "收", "转入", "入", "贷")


def rel_money_transfer(inp: Inputs) -> str:
    """Transfers aggregated per (payer, payee); counterparties resolved as far as evidence allows.

    Counterparty resolution, in order: an account whose holder is known (method 'account'), an
    organisation whose name is unique and equal (method 'name_exact'), a person linked by Splink
    (method 'splink'), else the counterparty account itself.
    """
    bank = inp.source(
        "bank_transactions",
        txn_id=V, account_no=V, holder_id_no=V, counterparty_account=V, counterparty_name=V,
        txn_time=TS, amount=DEC, direction=V,
    )  # fmt: skip
    outs = ", ".join(f"'{d}'" for d in OUT_DIRECTIONS)
    ins = ", ".join(f"'{d}'" for d in IN_DIRECTIONS)
    return f"""
WITH b AS (
  SELECT *,
         CASE WHEN lower(trim(direction)) IN ({outs}) THEN 'out'
              WHEN lower(trim(direction)) IN ({ins}) THEN 'in'
              WHEN amount < 0 THEN 'out' ELSE 'in' END AS dir,
         coalesce(counterparty_account, counterparty_name) AS cp_key
  FROM {bank}
),
org_names AS (
  SELECT name, min(uscc) AS uscc FROM qf_lib_organisations WHERE name IS NOT NULL
  GROUP BY name HAVING count(*) = 1
),
cp AS (
  SELECT DISTINCT b.cp_key, b.counterparty_account, b.counterparty_name FROM b
),
cp_resolved AS (
  SELECT cp.cp_key,
         CASE WHEN a.holder_id_no IS NOT NULL THEN a.holder_type
              WHEN o.uscc IS NOT NULL THEN 'organisation'
              WHEN l.linked_id_no IS NOT NULL THEN 'person'
              WHEN cp.counterparty_account IS NOT NULL THEN 'account' ELSE 'name' END AS to_type,
         coalesce(a.holder_id_no, o.uscc, l.linked_id_no, cp.counterparty_account,
                  cp.counterparty_name) AS to_id,
         CASE WHEN a.holder_id_no IS NOT NULL THEN 'account'
              WHEN o.uscc IS NOT NULL THEN 'name_exact'
              WHEN l.linked_id_no IS NOT NULL THEN 'splink' ELSE 'account' END AS method,
         CASE WHEN a.holder_id_no IS NOT NULL THEN 1.0
              WHEN o.uscc IS NOT NULL THEN 0.95
              WHEN l.linked_id_no IS NOT NULL THEN l.confidence ELSE 1.0 END AS confidence
  FROM cp
  LEFT JOIN qf_lib_accounts a
    ON a.account_no = cp.counterparty_account AND a.holder_type IS NOT NULL
  LEFT JOIN org_names o ON o.name = cp.counterparty_name
  LEFT JOIN qf_lib_person_links l
    ON l.source = 'bank_transactions' AND l.record_key = cp.cp_key AND l.linked_id_no IS NOT NULL
),
holder_types AS (
  -- the full ID / credit-code check once per holder, not once per transaction
  SELECT holder_id_no, qf_subject_type(holder_id_no) AS t
  FROM (SELECT DISTINCT holder_id_no FROM b WHERE holder_id_no IS NOT NULL)
),
holder AS (
  SELECT b.*, coalesce(ht.t, 'account') AS h_type,
         CASE WHEN ht.t IS NOT NULL THEN b.holder_id_no ELSE b.account_no END AS h_id
  FROM b LEFT JOIN holder_types ht USING (holder_id_no)
),
edges AS (
  SELECT CASE WHEN h.dir = 'out' THEN h.h_type ELSE r.to_type END AS from_type,
         CASE WHEN h.dir = 'out' THEN h.h_id ELSE r.to_id END AS from_id,
         CASE WHEN h.dir = 'out' THEN r.to_type ELSE h.h_type END AS to_type,
         CASE WHEN h.dir = 'out' THEN r.to_id ELSE h.h_id END AS to_id,
         r.method, r.confidence, abs(h.amount) AS amount, h.txn_time
  FROM holder h JOIN cp_resolved r ON r.cp_key = h.cp_key
  WHERE r.to_id IS NOT NULL AND h.h_id IS NOT NULL
),
ranked AS (
  -- the method of the most confident resolution, the first by name on a tie: the same on every
  -- engine and every run
  SELECT *, first_value(method) OVER (PARTITION BY from_type, from_id, to_type, to_id
                                      ORDER BY confidence DESC, method) AS best_method
  FROM edges
)
SELECT from_type, from_id, to_type, to_id, 'transferred_to' AS relation,
       CAST(count(*) AS VARCHAR) || ' txns, ' || CAST(sum(amount) AS VARCHAR) || ' yuan' AS detail,
       'bank_transactions' AS source, max(confidence) AS confidence,
       min(best_method) AS method,
       count(*) AS txn_count, CAST(sum(amount) AS DECIMAL(38, 2)) AS total_amount,
       min(txn_time) AS first_txn, max(txn_time) AS last_txn
FROM ranked
GROUP BY from_type, from_id, to_type, to_id
"""
