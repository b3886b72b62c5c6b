"""Subject libraries (主体库): people, organisations, vehicles, properties, accounts.

Each function returns one SELECT over the standard datasets (through `Inputs.source`, so absent
inputs read as empty) and over libraries built before it (temp tables `qf_lib_<name>`).
"""

from __future__ import annotations

from qingfeng.subject_library.inputs import Inputs

V, D, DEC, TS, INT, BOOL = "VARCHAR", "DATE", "DECIMAL(18,2)", "TIMESTAMP", "BIGINT", "BOOLEAN"

# Registry / source statuses that mean the person is dead even without a date.
DEAD_STATUSES = ("死亡", "已死亡", "deceased", "dead", "death")


def people(inp: Inputs) -> str:
    hr = inp.source(
        "household_registry",
        id_no=V, name=V, household_no=V, relation_to_head=V, division_code=V, address=V,
        status=V, registry_death_date=D, phone=V,
    )  # fmt: skip
    deaths = inp.source("deaths", id_no=V, name=V, death_date=D, source=V)
    # Sources that name a person by ID number (their names join `names_seen`); `mixed` columns
    # may also hold credit codes (a company owns the car) and get the full check.
    seen = [
        ("deaths", "id_no", "name", False),
        ("public_payroll", "id_no", "name", False),
        ("dibao_members", "id_no", "name", False),
        ("dibao_households", "head_id_no", None, False),
        ("subsidy_payments", "id_no", "name", False),
        ("subsidy_payments", "approver_id_no", None, False),
        ("disability_certificates", "id_no", "name", False),
        ("farm_machinery", "owner_id_no", "owner_name", True),
        ("vehicles", "owner_id_no", "owner_name", True),
        ("companies", "legal_rep_id_no", "legal_rep_name", False),
        ("shareholders", "shareholder_id_no", "shareholder_name", True),
        ("real_estate", "owner_id_no", "owner_name", True),
        ("official_car_trips", "driver_id_no", None, False),
        ("village_ledgers", "payee_id_no", "payee_name", False),
        ("medical_claims", "id_no", "name", False),
        ("bank_transactions", "holder_id_no", None, True),
    ]
    parts = ["SELECT DISTINCT id_no, name, 'household_registry' AS source FROM hr "
             "WHERE qf_person_key(id_no)"]  # fmt: skip
    for view, id_col, name_col, mixed in seen:
        cols = {id_col: V} | ({name_col: V} if name_col else {})
        src = inp.source(view, **cols)
        name_expr = name_col or "CAST(NULL AS VARCHAR)"
        check = "qf_is_resident_id" if mixed else "qf_person_key"
        # DISTINCT first: a million transfers by 50,000 holders aggregate as 50,000 rows
        parts.append(
            f"SELECT DISTINCT {id_col}, {name_expr}, '{view}' FROM {src} WHERE {check}({id_col})"
        )
    # Medical claims mark a death only if the catalogue gives them a death field.
    claims_death = ""
    if inp.has("medical_claims", "death_date"):
        claims_death = (
            "UNION ALL SELECT id_no, death_date, 'medical_claims' FROM "
            + inp.source("medical_claims", id_no=V, death_date=D)
            + " WHERE death_date IS NOT NULL"
        )
    dead = ", ".join(f"'{s}'" for s in DEAD_STATUSES)
    # sources in alphabetical order: bit i of the mask is source i
    sources = sorted({"household_registry", *(view for view, *_ in seen)})
    src_values = ", ".join(f"('{name}', {i})" for i, name in enumerate(sources))
    src_list = "[" + ", ".join(f"'{name}'" for name in sources) + "]"
    union = "\n  UNION ALL ".join(parts)
    return f"""
WITH hr AS (SELECT * FROM {hr}),
seen AS MATERIALIZED (
  SELECT id_no, name, source FROM ({union})
),
-- Lists are costly to aggregate over millions of rows: count names and OR source bits first,
-- build a names list only for the few IDs seen under several names.
g AS (
  SELECT s.id_no, min(s.name) AS any_name, count(DISTINCT s.name) AS n_names,
         bit_or(CAST(1 AS BIGINT) << x.ix) AS mask
  FROM seen s JOIN (VALUES {src_values}) x(source, ix) USING (source)
  GROUP BY s.id_no
),
multi AS (
  SELECT id_no, list(DISTINCT name ORDER BY name) AS names FROM seen
  WHERE name IS NOT NULL AND id_no IN (SELECT id_no FROM g WHERE n_names > 1)
  GROUP BY id_no
),
agg AS (
  SELECT g.id_no, g.any_name,
         CASE WHEN g.n_names = 0 THEN CAST([] AS VARCHAR[]) WHEN g.n_names = 1 THEN [g.any_name]
              ELSE m.names END AS names_seen,
         list_filter({src_list}, lambda src, i: (g.mask >> (i - 1)) & 1 = 1) AS sources
  FROM g LEFT JOIN multi m USING (id_no)
),
reg AS (
  -- several registry rows for one ID (moves between households): keep the latest household_no
  SELECT * FROM hr WHERE qf_person_key(id_no)
  QUALIFY row_number() OVER (PARTITION BY id_no ORDER BY household_no DESC NULLS LAST,
                                               registry_death_date NULLS LAST) = 1
),
death_all AS (
  SELECT id_no, death_date, 'deaths:' || coalesce(source, 'unknown') AS src FROM {deaths}
  WHERE death_date IS NOT NULL
  UNION ALL SELECT id_no, registry_death_date, 'household_registry' FROM hr
  WHERE registry_death_date IS NOT NULL
  {claims_death}
),
death AS (
  SELECT id_no, min(death_date) AS death_date, arg_min(src, death_date) AS death_source,
         list_sort(list_distinct(list(src))) AS death_sources
  FROM death_all GROUP BY id_no
)
SELECT a.id_no,
       coalesce(r.name, a.any_name) AS name,
       a.names_seen,
       qf_id_birth_date(a.id_no) AS birth_date,
       qf_id_gender(a.id_no) AS gender,
       substr(a.id_no, 1, 6) AS id_division,
       r.household_no, r.relation_to_head, r.division_code, r.address, r.phone,
       r.status,
       d.death_date, d.death_source, d.death_sources,
       (d.death_date IS NOT NULL OR lower(trim(r.status)) IN ({dead})) AS is_dead,
       r.id_no IS NOT NULL AS in_registry,
       a.sources
FROM agg a
LEFT JOIN reg r USING (id_no)
LEFT JOIN death d USING (id_no)
"""


# (view, uscc column, name column, role) for every place an organisation appears.
# (view, code column, name column, role, mixed: the column may hold resident IDs too)
_ORG_MENTIONS: tuple[tuple[str, str, str | None, str, bool], ...] = (
    ("companies", "uscc", "name", "company", False),
    ("public_payroll", "org_uscc", "org_name", "employer", False),
    ("tenders", "buyer_uscc", "buyer_name", "buyer", False),
    ("tenders", "winner_uscc", None, "winner", False),
    ("bids", "bidder_uscc", "bidder_name", "bidder", False),
    ("canteen_purchases", "school_uscc", "school_name", "school", False),
    ("canteen_purchases", "supplier_uscc", None, "supplier", False),
    ("official_receptions", "org_uscc", None, "reception_host", False),
    ("official_car_trips", "org_uscc", None, "car_user", False),
    ("shareholders", "shareholder_id_no", "shareholder_name", "shareholder", True),
    ("vehicles", "owner_id_no", "owner_name", "vehicle_owner", True),
    ("real_estate", "owner_id_no", "owner_name", "property_owner", True),
)


def organisations(inp: Inputs) -> str:
    parts = []
    for view, code_col, name_col, role, mixed in _ORG_MENTIONS:
        cols = {code_col: V} | ({name_col: V} if name_col else {})
        name_expr = name_col or "CAST(NULL AS VARCHAR)"
        check = (
            f"qf_subject_type({code_col}) = 'organisation'" if mixed else f"qf_org_key({code_col})"
        )
        parts.append(
            f"SELECT DISTINCT {code_col} AS uscc, {name_expr} AS name, '{role}' AS role, "
            f"'{view}' AS source FROM {inp.source(view, **cols)} WHERE {check}"
        )
    co = inp.source(
        "companies",
        uscc=V, name=V, legal_rep_id_no=V, legal_rep_name=V, registered_capital=DEC, status=V,
        established_date=D, cancelled_date=D, address=V, phone=V,
    )  # fmt: skip
    union = "\n  UNION ALL ".join(parts)
    return f"""
WITH seen AS (
  SELECT * FROM ({union})
),
agg AS (
  SELECT uscc,
         list_sort(list_distinct(list(name) FILTER (WHERE name IS NOT NULL))) AS names_seen,
         mode(name) AS common_name,
         list_sort(list_distinct(list(role))) AS roles,
         list_sort(list_distinct(list(source))) AS sources
  FROM seen GROUP BY uscc
),
co AS (
  SELECT * FROM {co} WHERE qf_org_key(uscc)
  QUALIFY row_number() OVER (PARTITION BY uscc ORDER BY established_date DESC NULLS LAST) = 1
)
SELECT a.uscc,
       coalesce(c.name, a.common_name) AS name,
       a.names_seen, a.roles,
       substr(a.uscc, 1, 1) AS registration_authority,
       substr(a.uscc, 1, 2) AS org_category,
       substr(a.uscc, 3, 6) AS registration_division,
       -- authority 1 = 机构编制 (government bodies, public institutions); payroll employers too
       (substr(a.uscc, 1, 1) = '1' OR list_contains(a.roles, 'employer')) AS is_public_body,
       c.legal_rep_id_no, c.legal_rep_name, c.registered_capital, c.status,
       c.established_date, c.cancelled_date, c.address, c.phone,
       c.uscc IS NOT NULL AS in_company_register,
       a.sources
FROM agg a LEFT JOIN co c USING (uscc)
"""


def vehicles_lib(inp: Inputs) -> str:
    veh = inp.source(
        "vehicles",
        plate_no=V, vin=V, owner_id_no=V, owner_name=V, vehicle_type=V, use_type=V,
        register_date=D, status=V,
    )  # fmt: skip
    farm = inp.source(
        "farm_machinery",
        serial_no=V, owner_id_no=V, owner_name=V, machine_type=V, register_date=D,
    )  # fmt: skip
    trips = inp.source("official_car_trips", plate_no=V, org_uscc=V, start_time=TS)
    return f"""
WITH motor AS (
  SELECT 'motor_vehicle' AS kind, plate_no AS vehicle_id, plate_no, vin, owner_id_no, owner_name,
         vehicle_type, use_type, register_date, status
  FROM {veh} WHERE plate_no IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY plate_no ORDER BY register_date DESC NULLS LAST) = 1
),
farm AS (
  SELECT 'farm_machine' AS kind, serial_no AS vehicle_id, CAST(NULL AS VARCHAR) AS plate_no,
         CAST(NULL AS VARCHAR) AS vin, owner_id_no, owner_name, machine_type AS vehicle_type,
         CAST(NULL AS VARCHAR) AS use_type, register_date, CAST(NULL AS VARCHAR) AS status
  FROM {farm} WHERE serial_no IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY serial_no ORDER BY register_date DESC NULLS LAST) = 1
),
official AS (
  SELECT plate_no, mode(org_uscc) AS official_org_uscc, count(*) AS official_trip_count,
         max(start_time) AS last_official_trip
  FROM {trips} WHERE plate_no IS NOT NULL GROUP BY plate_no
)
SELECT v.kind, v.vehicle_id, v.plate_no, v.vin, v.owner_id_no, v.owner_name,
       qf_subject_type(v.owner_id_no) AS owner_type,
       v.vehicle_type, v.use_type, v.register_date, v.status,
       o.official_org_uscc, coalesce(o.official_trip_count, 0) AS official_trip_count,
       o.last_official_trip
FROM (SELECT * FROM motor UNION ALL SELECT * FROM farm) v
LEFT JOIN official o ON v.kind = 'motor_vehicle' AND o.plate_no = v.plate_no
"""


RESETTLEMENT_TYPES = ("resettlement", "安置房", "拆迁安置房", "安置")


def properties(inp: Inputs) -> str:
    re_ = inp.source(
        "real_estate",
        property_no=V, owner_id_no=V, owner_name=V, property_type=V, project_name=V, address=V,
        area=DEC, register_date=D,
    )  # fmt: skip
    resettle = ", ".join(f"'{t}'" for t in RESETTLEMENT_TYPES)
    return f"""
WITH r AS (SELECT * FROM {re_} WHERE property_no IS NOT NULL)
SELECT property_no,
       -- co-owned property: the first registered owner is the owner; all are in owner_ids
       arg_min(owner_id_no, coalesce(register_date, DATE '9999-12-31')) AS owner_id_no,
       arg_min(owner_name, coalesce(register_date, DATE '9999-12-31')) AS owner_name,
       qf_subject_type(arg_min(owner_id_no, coalesce(register_date, DATE '9999-12-31')))
         AS owner_type,
       list_sort(list_distinct(list(owner_id_no) FILTER (WHERE owner_id_no IS NOT NULL)))
         AS owner_ids,
       any_value(property_type) AS property_type,
       bool_or(lower(trim(property_type)) IN ({resettle})) AS is_resettlement,
       any_value(project_name) AS project_name,
       any_value(address) AS address,
       max(area) AS area,
       min(register_date) AS register_date
FROM r GROUP BY property_no
"""


def accounts(inp: Inputs) -> str:
    bank = inp.source(
        "bank_transactions",
        account_no=V, holder_id_no=V, counterparty_account=V, counterparty_name=V, txn_time=TS,
        amount=DEC, direction=V,
    )  # fmt: skip
    pay = inp.source("subsidy_payments", account_no=V, id_no=V, name=V, pay_date=D, amount=DEC)
    return f"""
WITH b AS (SELECT * FROM {bank}),
held AS (
  SELECT account_no, mode(holder_id_no) AS holder_id_no, count(*) AS txn_count,
         min(txn_time) AS first_txn, max(txn_time) AS last_txn
  FROM b WHERE account_no IS NOT NULL GROUP BY account_no
),
counter AS (
  SELECT counterparty_account AS account_no, mode(counterparty_name) AS counterparty_name,
         count(*) AS counterparty_txn_count
  FROM b WHERE counterparty_account IS NOT NULL GROUP BY counterparty_account
),
paid AS (
  SELECT account_no,
         list_sort(list_distinct(list(id_no) FILTER (WHERE id_no IS NOT NULL))) AS payee_ids,
         mode(name) AS payee_name, count(*) AS subsidy_payment_count,
         sum(amount) AS subsidy_amount
  FROM {pay} WHERE account_no IS NOT NULL GROUP BY account_no
),
keys AS (
  SELECT account_no FROM held UNION SELECT account_no FROM counter
  UNION SELECT account_no FROM paid
)
SELECT k.account_no,
       -- the bank's own holder first; else the single person subsidies are paid to
       coalesce(h.holder_id_no,
                CASE WHEN len(p.payee_ids) = 1 THEN p.payee_ids[1] END) AS holder_id_no,
       CASE WHEN h.holder_id_no IS NOT NULL THEN 'bank_holder'
            WHEN len(p.payee_ids) = 1 THEN 'subsidy_payee' END AS holder_method,
       qf_subject_type(coalesce(h.holder_id_no,
                CASE WHEN len(p.payee_ids) = 1 THEN p.payee_ids[1] END)) AS holder_type,
       coalesce(p.payee_name, c.counterparty_name) AS holder_name,
       coalesce(len(p.payee_ids), 0) AS subsidy_payee_count,
       p.payee_ids AS subsidy_payee_ids,
       coalesce(p.subsidy_payment_count, 0) AS subsidy_payment_count,
       p.subsidy_amount,
       coalesce(h.txn_count, 0) AS txn_count, h.first_txn, h.last_txn,
       coalesce(c.counterparty_txn_count, 0) AS counterparty_txn_count
FROM keys k
LEFT JOIN held h USING (account_no)
LEFT JOIN counter c USING (account_no)
LEFT JOIN paid p USING (account_no)
"""
