SELECT
  CAST(id_no AS TEXT) AS __subject_id,
  CAST(name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN winning_price >= 1000000 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(winning_price AS DECIMAL(18, 2)) AS __amount,
  CAST(NULL AS TEXT) AS __division_code,
  COALESCE(CAST(org_name AS TEXT), '（空）') || COALESCE(CAST(position AS TEXT), '（空）') || COALESCE(CAST(CAST(name AS TEXT) AS TEXT), '（空）') || '的同户亲属' || COALESCE(CAST(relative_name AS TEXT), '（空）') || '是' || COALESCE(CAST(company_name AS TEXT), '（空）') || '的' || COALESCE(CAST(role AS TEXT), '（空）') || '，该企业于' || COALESCE(CAST(award_date AS TEXT), '（空）') || '中标本单位项目“' || COALESCE(CAST(project_name AS TEXT), '（空）') || '”' || COALESCE(CAST(winning_price AS TEXT), '（空）') || '元' AS __explanation,
  org_name,
  position,
  tender_no,
  project_name,
  company_name,
  relative_name,
  role,
  winning_price,
  award_date
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
