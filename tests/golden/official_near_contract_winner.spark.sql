WITH person_company AS (
  SELECT
    'P:' || legal_rep_id_no AS p,
    'C:' || uscc AS c
  FROM companies
  WHERE
    NOT legal_rep_id_no IS NULL
  UNION
  SELECT
    'P:' || shareholder_id_no AS p,
    'C:' || uscc AS c
  FROM shareholders
  WHERE
    NOT shareholder_id_no IS NULL
), edges AS (
  SELECT
    p AS src,
    c AS dst,
    '法定代表人/股东' AS kind
  FROM person_company
  UNION ALL
  SELECT
    c AS src,
    p AS dst,
    '法定代表人/股东' AS kind
  FROM person_company
  UNION ALL
  SELECT
    'P:' || k.id_no AS src,
    'P:' || k.relative_id_no AS dst,
    '亲属' AS kind
  FROM relatives AS k
  WHERE
    k.degree <= 2
), start AS (
  SELECT
    tender_no,
    'C:' || winner_uscc AS node
  FROM tenders
  WHERE
    NOT winner_uscc IS NULL AND NOT award_date IS NULL
), hop1 AS (
  SELECT
    s.tender_no,
    e.dst AS node,
    MIN(e.kind) AS kind
  FROM start AS s
  JOIN edges AS e
    ON e.src = s.node
  GROUP BY
    s.tender_no,
    e.dst
), hop2 AS (
  SELECT
    h.tender_no,
    e.dst AS node,
    MIN(e.kind) AS kind
  FROM hop1 AS h
  JOIN edges AS e
    ON e.src = h.node
  WHERE
    3 >= 2
  GROUP BY
    h.tender_no,
    e.dst
), hop3 AS (
  SELECT
    h.tender_no,
    e.dst AS node,
    MIN(e.kind) AS kind
  FROM hop2 AS h
  JOIN edges AS e
    ON e.src = h.node
  WHERE
    3 >= 3
  GROUP BY
    h.tender_no,
    e.dst
), hop4 AS (
  SELECT
    h.tender_no,
    e.dst AS node,
    MIN(e.kind) AS kind
  FROM hop3 AS h
  JOIN edges AS e
    ON e.src = h.node
  WHERE
    3 >= 4
  GROUP BY
    h.tender_no,
    e.dst
), reached AS (
  SELECT
    tender_no,
    node,
    1 AS hops,
    kind
  FROM hop1
  UNION ALL
  SELECT
    tender_no,
    node,
    2 AS hops,
    kind
  FROM hop2
  UNION ALL
  SELECT
    tender_no,
    node,
    3 AS hops,
    kind
  FROM hop3
  UNION ALL
  SELECT
    tender_no,
    node,
    4 AS hops,
    kind
  FROM hop4
), nearest AS (
  SELECT
    tender_no,
    node,
    MIN(hops) AS hops
  FROM reached
  GROUP BY
    tender_no,
    node
)
SELECT
  CAST(id_no AS STRING) AS __subject_id,
  CAST(name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN hops = 1 THEN 'red' WHEN hops = 2 THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(CAST(winning_price AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  org_name,
  position,
  tender_no,
  project_name,
  winner_name,
  hops,
  CAST(award_date AS STRING) AS award_date,
  CAST(winning_price AS STRING) AS winning_price,
  CAST(hops AS STRING) AS __text_0
FROM (
  SELECT
    p.id_no,
    p.name,
    p.org_name,
    p.position,
    t.tender_no,
    t.project_name,
    t.award_date,
    t.winning_price,
    c.name AS winner_name,
    n.hops,
    SUBSTRING(CAST(t.award_date AS STRING), 1, 7) AS period
  FROM nearest AS n
  JOIN tenders AS t
    ON t.tender_no = n.tender_no
  JOIN public_payroll AS p
    ON 'P:' || p.id_no = n.node AND p.org_uscc = t.buyer_uscc
  LEFT JOIN companies AS c
    ON c.uscc = t.winner_uscc
  WHERE
    t.award_date >= p.start_date
    AND (
      p.end_date IS NULL OR t.award_date <= p.end_date
    )
) AS m
