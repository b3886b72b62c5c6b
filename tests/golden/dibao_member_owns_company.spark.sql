WITH roles AS (
  SELECT
    legal_rep_id_no AS id_no,
    uscc,
    '法定代表人' AS role
  FROM companies
  UNION ALL
  SELECT
    shareholder_id_no AS id_no,
    uscc,
    '股东' AS role
  FROM shareholders
), found AS (
  SELECT
    m.id_no,
    m.name,
    h.case_no,
    h.division_code,
    h.start_date,
    c.uscc,
    c.name AS company_name,
    c.registered_capital,
    c.established_date,
    MIN(r.role) AS role
  FROM dibao_households AS h
  JOIN dibao_members AS m
    ON m.case_no = h.case_no
  JOIN roles AS r
    ON r.id_no = m.id_no
  JOIN companies AS c
    ON c.uscc = r.uscc
  WHERE
    c.registered_capital >= 500000
    AND /* the company existed during the support: set up before it ended, not closed before it began */ (
      h.end_date IS NULL
      OR c.established_date IS NULL
      OR c.established_date <= h.end_date
    )
    AND (
      c.cancelled_date IS NULL
      OR h.start_date IS NULL
      OR c.cancelled_date >= h.start_date
    )
    AND (
      LOCATE(',' || c.status || ',', ',' || 'active,存续' || ',') > 0
      OR (
        NOT c.cancelled_date IS NULL
        AND NOT h.start_date IS NULL
        AND c.cancelled_date >= h.start_date
      )
    )
  GROUP BY
    m.id_no,
    m.name,
    h.case_no,
    h.division_code,
    h.start_date,
    c.uscc,
    c.name,
    c.registered_capital,
    c.established_date
)
SELECT
  CAST(id_no AS STRING) AS __subject_id,
  CAST(name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN registered_capital >= 500000 * 10 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(division_code AS STRING) AS __division_code,
  case_no,
  uscc,
  company_name,
  role,
  CAST(registered_capital AS STRING) AS registered_capital,
  CAST(established_date AS STRING) AS established_date
FROM (
  SELECT
    id_no,
    name,
    case_no,
    division_code,
    start_date,
    uscc,
    company_name,
    registered_capital,
    established_date,
    role,
    SUBSTRING(CAST(GREATEST(start_date, COALESCE(established_date, start_date)) AS STRING), 1, 7) AS period
  FROM found
) AS m
