SELECT
  CAST(id_no AS TEXT) AS __subject_id,
  CAST(name AS TEXT) AS __subject_name,
  CAST(dibao_year AS TEXT) AS __period,
  CASE WHEN monthly_salary >= 3000 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(monthly_amount AS DECIMAL(18, 2)) AS __amount,
  CAST(division_code AS TEXT) AS __division_code,
  COALESCE(CAST(CAST(name AS TEXT) AS TEXT), '（空）') || '自' || COALESCE(CAST(job_start AS TEXT), '（空）') || '起在' || COALESCE(CAST(org_name AS TEXT), '（空）') || '任' || COALESCE(CAST(position AS TEXT), '（空）') || '（月工资' || COALESCE(CAST(monthly_salary AS TEXT), '（空）') || '元），其家庭自' || COALESCE(CAST(dibao_start AS TEXT), '（空）') || '起享受低保，月低保金' || COALESCE(CAST(monthly_amount AS TEXT), '（空）') || '元' AS __explanation,
  case_no,
  dibao_start,
  dibao_end,
  monthly_amount,
  org_name,
  position,
  job_start,
  monthly_salary
FROM (
  SELECT
    m.id_no,
    m.name,
    h.case_no,
    h.division_code,
    h.start_date AS dibao_start,
    h.end_date AS dibao_end,
    h.monthly_amount,
    p.org_name,
    p.position,
    p.start_date AS job_start,
    p.monthly_salary,
    CAST(YEAR(h.start_date) AS TEXT) AS dibao_year
  FROM dibao_members AS m
  JOIN dibao_households AS h
    ON m.case_no = h.case_no
  JOIN public_payroll AS p
    ON m.id_no = p.id_no
  WHERE
    p.start_date <= COALESCE(h.end_date, CAST('9999-12-31' AS DATE))
    AND COALESCE(p.end_date, CAST('9999-12-31' AS DATE)) >= h.start_date
) AS m
