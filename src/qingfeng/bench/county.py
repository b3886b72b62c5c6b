"""A synthetic county of N people as standard tables in DuckDB, generated in SQL (range-based).

For benchmarks and scale tests only: the values are plausible, not realistic. Randomness comes
from `hash(i, salt)`, so the same N always gives the same county.
"""

from __future__ import annotations

import duckdb

from qingfeng.subject_library.macros import install_macros

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红梅玉兰辉鹏飞宇浩然子轩欣怡思雨佳琪晓东海波文斌俊杰凯丹婷雪梅春燕金凤桂芳国强建华德明永红爱华晓明小明少华淑珍玉梅秀珍"  # noqa: E501

# Household shapes cycling in blocks of 24 people: (household in block, member index, role,
# birth-year offset from the head, sex rule). Sizes 1,2,3,4,5,3,2,4 (mean 3).
_SHAPES: list[list[tuple[str, int, str]]] = [
    [("head", 0, "h")],
    [("head", 0, "h"), ("spouse", 2, "o")],
    [("head", 0, "h"), ("spouse", -1, "o"), ("child", 26, "r")],
    [("head", 0, "h"), ("spouse", 1, "o"), ("child", 25, "r"), ("child", 28, "r")],
    [
        ("head", 0, "h"),
        ("spouse", 2, "o"),
        ("child", 24, "m"),
        ("child_in_law", 25, "f"),
        ("grandchild", 50, "r"),
    ],
    [("head", 0, "h"), ("spouse", 0, "o"), ("parent", -26, "r")],
    [("head", 0, "h"), ("child", 30, "r")],
    [("head", 0, "h"), ("spouse", 3, "o"), ("child", 27, "r"), ("grandparent", -50, "r")],
]


def _layout_values() -> str:
    rows = []
    k = 0
    for hh, shape in enumerate(_SHAPES):
        for member, (role, offset, sex) in enumerate(shape):
            rows.append(f"({k}, {hh}, {member}, '{role}', {offset}, '{sex}')")
            k += 1
    assert k == 24
    return ", ".join(rows)


def _uscc(prefix2: str, code: str, seq: str) -> str:
    """SQL for a valid credit code: 2-char prefix, division 330102, a 9-char code, check char."""
    body = f"'{prefix2}330102{code}' || lpad(CAST({seq} AS VARCHAR), 7, '0')"
    return f"({body} || qf_uscc_check_char({body}))"


def generate_county(
    con: duckdb.DuckDBPyConnection, n_people: int, *, truth: bool = False
) -> dict[str, int]:
    """Create the standard tables for a county of `n_people`; returns rows per table.

    With `truth`, also `truth_village_payees(voucher_no, id_no)`: who the ledger payees recorded
    without an ID number really are, to measure the record linkage.
    """
    install_macros(con)
    n = int(n_people)
    n_companies = max(10, n // 25)
    n_public = max(5, n // 2500)
    n_tenders = max(5, n // 200)
    surnames, given = SURNAMES, GIVEN
    ls, lg = len(surnames), len(given)
    con.execute(f"""
CREATE OR REPLACE TEMP TABLE g_layout (k INT, hh INT, member INT, role VARCHAR, year_offset INT,
                                       sex VARCHAR);
INSERT INTO g_layout VALUES {_layout_values()};
CREATE OR REPLACE TEMP TABLE g_base AS
WITH b AS (
  SELECT i, i // 24 * 8 + l.hh AS hh, l.member, l.role, l.year_offset, l.sex
  FROM range({n}) t(i) JOIN g_layout l ON l.k = i % 24
),
h AS (
  SELECT *, 1945 + hash(hh, 'year') % 50 AS head_year,
         CASE WHEN hash(hh, 'hsex') % 10 < 8 THEN 1 ELSE 0 END AS head_male
  FROM b
)
SELECT i, hh, member, role,
       CAST(least(2023, head_year + year_offset) AS BIGINT) AS year,
       CASE sex WHEN 'h' THEN head_male WHEN 'o' THEN 1 - head_male WHEN 'm' THEN 1
                WHEN 'f' THEN 0 ELSE CAST(hash(i, 'sex') % 2 AS INT) END AS male,
       CAST(hash(i, 'doy') % 365 AS INT) AS doy,
       -- spouses and in-laws keep their own surname; blood relatives take the head's
       CASE WHEN role IN ('spouse', 'child_in_law', 'parent', 'grandparent')
            THEN CAST(floor({ls} * pow((hash(i, 's') % 10000) / 10000.0, 2)) AS INT)
            ELSE CAST(floor({ls} * pow((hash(hh, 's') % 10000) / 10000.0, 2)) AS INT) END AS sn,
       CAST(hash(i, 'g1') % {lg} AS INT) AS g1,
       CASE WHEN hash(i, 'g2') % 3 = 0 THEN NULL ELSE CAST(hash(i, 'g3') % {lg} AS INT) END AS g2
FROM h;
CREATE OR REPLACE TEMP TABLE g_people AS
WITH d AS (
  SELECT *, make_date(year, 1, 1) + doy AS birth FROM g_base
),
s AS (
  SELECT *, row_number() OVER (PARTITION BY birth, male ORDER BY i) - 1 AS rn FROM d
),
body AS (
  SELECT *, '330102' || strftime(birth, '%Y%m%d')
            || lpad(CAST(rn * 2 + male AS VARCHAR), 3, '0') AS id17
  FROM s
)
SELECT i, hh, member, role, male, birth,
       id17 || qf_ric_check_char(id17) AS id_no,
       substr('{surnames}', sn + 1, 1) || substr('{given}', g1 + 1, 1)
         || coalesce(substr('{given}', g2 + 1, 1), '') AS name,
       'H' || lpad(CAST(hh AS VARCHAR), 8, '0') AS household_no,
       '330102' || lpad(CAST(hh % 20 + 1 AS VARCHAR), 3, '0')
                || lpad(CAST(hh // 20 % 15 + 1 AS VARCHAR), 3, '0') AS division_code,
       '上城区' || CAST(hh % 20 + 1 AS VARCHAR) || '镇' || CAST(hh // 20 % 15 + 1 AS VARCHAR)
                || '村' || CAST(hh % 997 AS VARCHAR) || '号' AS address
FROM body WHERE rn < 500;

CREATE OR REPLACE TABLE household_registry AS
SELECT id_no, name, CASE male WHEN 1 THEN 'male' ELSE 'female' END AS gender, birth AS birth_date,
       household_no, role AS relation_to_head, division_code, address,
       CASE WHEN hash(i, 'dead') % 1000 < 3 THEN 'deceased' ELSE 'active' END AS status,
       CASE WHEN hash(i, 'dead') % 1000 < 3
            THEN DATE '2022-01-01' + CAST(hash(i, 'dd') % 700 AS INT)
       END AS registry_death_date,
       '13' || lpad(CAST(hash(i, 'ph') % 1000000000 AS VARCHAR), 9, '0') AS phone
FROM g_people;

CREATE OR REPLACE TABLE deaths AS
SELECT id_no, name, DATE '2022-06-01' + CAST(hash(i, 'dd2') % 700 AS INT) AS death_date,
       ['cremation', 'hospital', 'medical_insurance', 'registry']
         [CAST(hash(i, 'src') % 4 AS BIGINT) + 1]
         AS source,
       DATE '2024-06-01' AS record_date
FROM g_people WHERE hash(i, 'dead') % 1000 < 10;

CREATE OR REPLACE TEMP TABLE g_public AS
SELECT o, {_uscc("11", "MB", "o")} AS uscc, '第' || CAST(o AS VARCHAR) || '机关事业单位' AS name
FROM range({n_public}) t(o);
CREATE OR REPLACE TEMP TABLE g_company AS
SELECT c, {_uscc("91", "MA", "c")} AS uscc, '杭州' || CAST(c AS VARCHAR) || '号贸易有限公司' AS name
FROM range({n_companies}) t(c);

CREATE OR REPLACE TABLE public_payroll AS
SELECT p.id_no, p.name, o.uscc AS org_uscc, o.name AS org_name,
       ['科员', '副科长', '科长', '教师', '医生'][CAST(hash(p.i, 'pos') % 5 AS BIGINT) + 1]
         AS position,
       DATE '2000-01-01' + CAST(hash(p.i, 'sd') % 8000 AS INT) AS start_date,
       CAST(NULL AS DATE) AS end_date, CAST(4000 + hash(p.i, 'sal') % 6000 AS DECIMAL(18,2))
         AS monthly_salary
FROM g_people p JOIN g_public o ON o.o = hash(p.i, 'org') % {n_public}
WHERE hash(p.i, 'pay') % 30 = 0 AND year(p.birth) BETWEEN 1965 AND 2000;

CREATE OR REPLACE TABLE dibao_households AS
SELECT 'DB' || household_no AS case_no, any_value(id_no) FILTER (WHERE role = 'head') AS head_id_no,
       household_no, any_value(division_code) AS division_code, DATE '2021-01-01' AS start_date,
       CAST(NULL AS DATE) AS end_date, CAST(600 AS DECIMAL(18,2)) AS monthly_amount
FROM g_people WHERE hash(hh, 'dibao') % 30 = 0 GROUP BY household_no;
CREATE OR REPLACE TABLE dibao_members AS
SELECT 'DB' || household_no AS case_no, id_no, name, role AS relation_to_head
FROM g_people WHERE hash(hh, 'dibao') % 30 = 0;

CREATE OR REPLACE TABLE subsidy_payments AS
SELECT 'PAY' || CAST(p.i AS VARCHAR) || '-' || CAST(m.m AS VARCHAR) AS payment_no, p.id_no,
       p.name, '高龄补贴' AS subsidy_type, '2024-' || lpad(CAST(m.m AS VARCHAR), 2, '0') AS period,
       make_date(2024, CAST(m.m AS INT), 10) AS pay_date, CAST(100 AS DECIMAL(18,2)) AS amount,
       'SUB' || CAST(p.i AS VARCHAR) AS account_no, p.division_code,
       CAST(NULL AS VARCHAR) AS approver_id_no, CAST(NULL AS VARCHAR) AS machine_serial
FROM g_people p, range(1, 13) m(m) WHERE hash(p.i, 'sub') % 20 = 0;

CREATE OR REPLACE TABLE disability_certificates AS
SELECT 'DC' || CAST(i AS VARCHAR) AS cert_no, id_no, name, CAST(hash(i, 'lv') % 4 + 1 AS VARCHAR)
         AS level, DATE '2015-01-01' AS issue_date, DATE '2030-01-01' AS valid_until,
       'valid' AS status
FROM g_people WHERE hash(i, 'dis') % 50 = 0;

CREATE OR REPLACE TABLE farm_machinery AS
SELECT 'FM' || CAST(i AS VARCHAR) AS serial_no, id_no AS owner_id_no, name AS owner_name,
       '拖拉机' AS machine_type, DATE '2018-01-01' AS register_date
FROM g_people WHERE hash(i, 'farm') % 50 = 0;

CREATE OR REPLACE TABLE companies AS
SELECT c.uscc, c.name, p.id_no AS legal_rep_id_no, p.name AS legal_rep_name,
       CAST(1000000 AS DECIMAL(18,2)) AS registered_capital, '存续' AS status,
       DATE '2010-01-01' + CAST(hash(c.c, 'est') % 4000 AS INT) AS established_date,
       CAST(NULL AS DATE) AS cancelled_date,
       '上城区某路' || CAST(c.c AS VARCHAR) || '号' AS address,
       CAST(NULL AS VARCHAR) AS phone
FROM g_company c JOIN g_people p ON p.i = hash(c.c, 'rep') % {n};

CREATE OR REPLACE TABLE shareholders AS
SELECT c.uscc,
       CASE WHEN hash(c.c, k.k, 'kind') % 100 < 10 THEN o.uscc
            WHEN hash(c.c, k.k, 'kind') % 100 < 12 THEN NULL ELSE p.id_no END
         AS shareholder_id_no,
       CASE WHEN hash(c.c, k.k, 'kind') % 100 < 10 THEN o.name ELSE p.name END
         AS shareholder_name,
       0.5 AS share_ratio, CAST(500000 AS DECIMAL(18,2)) AS subscribed_capital
FROM g_company c, range(2) k(k)
JOIN g_people p ON p.i = hash(c.c, k.k, 'sh') % {n}
JOIN g_company o ON o.c = hash(c.c, k.k, 'co') % {n_companies};

CREATE OR REPLACE TABLE tenders AS
SELECT 'T' || CAST(t AS VARCHAR) AS tender_no, '项目' || CAST(t AS VARCHAR) AS project_name,
       b.uscc AS buyer_uscc, b.name AS buyer_name, CAST(500000 AS DECIMAL(18,2)) AS budget,
       '公开招标' AS method, DATE '2022-01-01' + CAST(t % 700 AS INT) AS announce_date,
       DATE '2022-01-21' + CAST(t % 700 AS INT) AS deadline_date,
       DATE '2022-02-01' + CAST(t % 700 AS INT) AS award_date,
       w.uscc AS winner_uscc, CAST(480000 AS DECIMAL(18,2)) AS winning_price
FROM range({n_tenders}) tt(t)
JOIN g_public b ON b.o = t % {n_public}
JOIN g_company w ON w.c = hash(t, 0, 'bid') % greatest(1, {n_companies} // 10);
CREATE OR REPLACE TABLE bids AS
SELECT DISTINCT 'T' || CAST(t AS VARCHAR) AS tender_no, c.uscc AS bidder_uscc,
       c.name AS bidder_name,
       CAST(490000 AS DECIMAL(18,2)) AS bid_price, false AS disqualified,
       CAST(NULL AS VARCHAR) AS disqualify_reason, CAST(NULL AS VARCHAR) AS file_creator,
       CAST(NULL AS VARCHAR) AS file_machine_id, CAST(NULL AS TIMESTAMP) AS file_created_at,
       CAST(NULL AS VARCHAR) AS contact_phone, CAST(NULL AS VARCHAR) AS address
FROM range({n_tenders}) tt(t), range(6) j(j)
JOIN g_company c ON c.c = hash(t, j, 'bid') % greatest(1, {n_companies} // 10);

CREATE OR REPLACE TABLE vehicles AS
SELECT '浙A' || lpad(CAST(i AS VARCHAR), 7, '0') AS plate_no, 'VIN' || CAST(i AS VARCHAR) AS vin,
       id_no AS owner_id_no, name AS owner_name, '小型轿车' AS vehicle_type, '非营运' AS use_type,
       DATE '2015-01-01' + CAST(hash(i, 'veh') % 3000 AS INT) AS register_date, '正常' AS status
FROM g_people WHERE hash(i, 'car') % 4 = 0
UNION ALL
SELECT '浙AG' || lpad(CAST(o AS VARCHAR), 6, '0'), 'VING' || CAST(o AS VARCHAR), uscc, name,
       '小型轿车', '公务', DATE '2018-01-01', '正常'
FROM g_public;

CREATE OR REPLACE TABLE official_car_trips AS
SELECT 'TRIP' || CAST(t AS VARCHAR) AS trip_no,
       '浙AG' || lpad(CAST(t % {n_public} AS VARCHAR), 6, '0')
         AS plate_no, o.uscc AS org_uscc, CAST(NULL AS VARCHAR) AS driver_id_no,
       TIMESTAMP '2024-01-01 08:00' + to_hours(CAST(t AS INT)) AS start_time,
       TIMESTAMP '2024-01-01 10:00' + to_hours(CAST(t AS INT)) AS end_time,
       '某地' AS destination, 'office' AS destination_type, '公务' AS purpose, 20 AS mileage
FROM range({max(10, n // 20)}) tt(t) JOIN g_public o ON o.o = t % {n_public};

CREATE OR REPLACE TABLE official_receptions AS
SELECT 'RC' || CAST(t AS VARCHAR) AS reception_no, o.uscc AS org_uscc,
       DATE '2024-01-01' + CAST(t % 300 AS INT) AS reception_date, '食堂' AS venue,
       'canteen' AS venue_type, 5 AS guests, 3 AS staff, CAST(800 AS DECIMAL(18,2)) AS total_cost,
       'AP' || CAST(t AS VARCHAR) AS approval_no
FROM range({max(10, n // 100)}) tt(t) JOIN g_public o ON o.o = t % {n_public};

CREATE OR REPLACE TABLE canteen_purchases AS
SELECT 'CP' || CAST(t AS VARCHAR) AS purchase_no, s.uscc AS school_uscc, s.name AS school_name,
       DATE '2024-01-01' + CAST(t % 300 AS INT) AS purchase_date, c.uscc AS supplier_uscc,
       '大米' AS item, '粮油' AS category, false AS premium, 100 AS quantity,
       CAST(500 AS DECIMAL(18,2)) AS amount, 800 AS students
FROM range({max(10, n // 20)}) tt(t)
JOIN g_public s ON s.o = t % {n_public}
JOIN g_company c ON c.c = hash(t, 'sup') % {n_companies};

CREATE OR REPLACE TABLE real_estate AS
SELECT 'RE' || household_no AS property_no, id_no AS owner_id_no, name AS owner_name,
       CASE WHEN hash(hh, 'rs') % 20 = 0 THEN 'resettlement' ELSE 'commercial' END AS property_type,
       '某小区' AS project_name, address, CAST(90 AS DECIMAL(18,2)) AS area,
       DATE '2010-01-01' + CAST(hash(hh, 'rd') % 4000 AS INT) AS register_date
FROM g_people WHERE role = 'head' AND hash(hh, 'own') % 100 < 85;

CREATE OR REPLACE TABLE village_ledgers AS
SELECT 'VL' || CAST(i AS VARCHAR) AS voucher_no, division_code,
       DATE '2024-01-01' + CAST(hash(i, 'vd') % 300 AS INT) AS entry_date,
       CASE WHEN hash(i, 'vid') % 100 < 85 THEN id_no END AS payee_id_no, name AS payee_name,
       CAST(800 AS DECIMAL(18,2)) AS amount, '转账' AS pay_method, '误工补贴' AS purpose,
       CAST(NULL AS VARCHAR) AS decision_no
FROM g_people WHERE hash(i, 'vl') % 10 = 0;

CREATE OR REPLACE TABLE medical_claims AS
SELECT 'MC' || CAST(i AS VARCHAR) AS claim_no, id_no, name, '第一人民医院' AS hospital,
       'outpatient' AS claim_type, DATE '2024-01-01' + CAST(hash(i, 'md') % 300 AS INT)
         AS admission_date, DATE '2024-01-02' + CAST(hash(i, 'md') % 300 AS INT) AS discharge_date,
       CAST(300 AS DECIMAL(18,2)) AS amount, CAST(200 AS DECIMAL(18,2)) AS fund_paid
FROM g_people WHERE hash(i, 'mc') % 2 = 0;

CREATE OR REPLACE TABLE complaints AS
SELECT 'CMP' || CAST(row_number() OVER () AS VARCHAR) AS complaint_no,
       TIMESTAMP '2024-03-01 09:00' AS received_at, CAST(NULL AS VARCHAR) AS complainant_phone,
       p.division_code, p.name AS target_name, pp.org_name AS target_org, '作风' AS category,
       '反映问题' AS content, CAST(NULL AS TIMESTAMP) AS replied_at, CAST(NULL AS VARCHAR) AS reply,
       'open' AS status
FROM public_payroll pp JOIN g_people p ON p.id_no = pp.id_no
WHERE hash(p.i, 'cmp') % 3 = 0;
""")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE g_holders AS SELECT row_number() OVER (ORDER BY i) - 1 AS h, "
        "i, id_no, name, 'BK' || CAST(i AS VARCHAR) AS account_no FROM g_people "
        "WHERE hash(i, 'bank') % 20 = 0"
    )
    n_holders = max(1, int(con.execute("SELECT count(*) FROM g_holders").fetchall()[0][0]))
    # The transfers join on computed keys: the holder count is a constant so that DuckDB can
    # hash-join instead of looping.
    con.execute(f"""
CREATE OR REPLACE TABLE bank_transactions AS
WITH t AS (
  SELECT t, hash(t, 'kind') % 100 AS kind, hash(t, 'h') % {n_holders} AS hk,
         hash(t, 'o') % {n_holders} AS ok, hash(t, 's') % {n} AS sk,
         hash(t, 'c') % {n_companies} AS ck, hash(t, 'p') % {n} AS pk
  FROM range({n}) tt(t)
)
SELECT 'TX' || CAST(t.t AS VARCHAR) AS txn_id, h.account_no, h.id_no AS holder_id_no,
       CASE WHEN kind < 50 THEN o.account_no WHEN kind < 70 THEN 'SUB' || CAST(s.i AS VARCHAR) END
         AS counterparty_account,
       CASE WHEN kind < 50 THEN o.name WHEN kind < 70 THEN s.name WHEN kind < 85 THEN c.name
            ELSE p.name END AS counterparty_name,
       TIMESTAMP '2024-01-01' + to_minutes(CAST(t.t AS INT)) AS txn_time,
       CAST(100 + hash(t.t, 'amt') % 10000 AS DECIMAL(18,2)) AS amount,
       CASE WHEN hash(t.t, 'dir') % 2 = 0 THEN 'out' ELSE 'in' END AS direction
FROM t
JOIN g_holders h ON h.h = t.hk
JOIN g_holders o ON o.h = t.ok
JOIN g_people s ON s.i = t.sk
JOIN g_company c ON c.c = t.ck
JOIN g_people p ON p.i = t.pk""")
    if truth:
        con.execute(
            "CREATE OR REPLACE TABLE truth_village_payees AS "
            "SELECT 'VL' || CAST(i AS VARCHAR) AS voucher_no, id_no FROM g_people "
            "WHERE hash(i, 'vl') % 10 = 0 AND hash(i, 'vid') % 100 >= 85"
        )
    counts = {}
    tables = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
        "AND table_schema = 'main' ORDER BY 1"
    ).fetchall()
    for (table,) in tables:
        counts[table] = int(con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0])
    for t in ("g_layout", "g_base", "g_people", "g_public", "g_company", "g_holders"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return counts
