SELECT
  CAST(id_no AS TEXT) AS __subject_id,
  CAST(name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN winning_price >= 1000000 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(CAST(winning_price AS DECIMAL(18, 2)) AS TEXT) AS __amount,
  CAST(NULL AS TEXT) AS __division_code,
  org_name,
  position,
  tender_no,
  project_name,
  company_name,
  relative_name,
  role,
  CAST(winning_price AS TEXT) AS winning_price,
  CAST(award_date AS TEXT) AS award_date
FROM (
  WITH owners AS (
    SELECT
      uscc,
      legal_rep_id_no AS id_no,
      '法定代表人' AS role
    FROM companies
    UNION ALL
    SELECT
      uscc,
      shareholder_id_no AS id_no,
      '股东' AS role
    FROM shareholders
  )
  SELECT
    p.id_no,
    p.name,
    p.org_name,
    p.position,
    t.tender_no,
    t.project_name,
    t.award_date,
    t.winning_price,
    c.name AS company_name,
    k.name AS relative_name,
    MIN(o.role) AS role,
    SUBSTRING(CAST(t.award_date AS TEXT), 1, 7) AS period
  FROM tenders AS t
  JOIN owners AS o
    ON o.uscc = t.winner_uscc
  JOIN companies AS c
    ON c.uscc = t.winner_uscc
  JOIN household_registry AS k
    ON k.id_no = o.id_no
  JOIN household_registry AS s
    ON s.household_no = k.household_no AND s.id_no <> k.id_no
  JOIN public_payroll AS p
    ON p.id_no = s.id_no AND p.org_uscc = t.buyer_uscc
  WHERE
    t.award_date >= p.start_date
    AND (
      p.end_date IS NULL OR t.award_date <= p.end_date
    )
  GROUP BY
    p.id_no,
    p.name,
    p.org_name,
    p.position,
    t.tender_no,
    t.project_name,
    t.award_date,
    t.winning_price,
    c.name,
    k.name
) AS m
