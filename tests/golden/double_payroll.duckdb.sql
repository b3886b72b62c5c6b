SELECT
  CAST(id_no AS TEXT) AS __subject_id,
  CAST(name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CAST(NULL AS TEXT) AS __division_code,
  org_a,
  org_b,
  CAST(salary_a AS TEXT) AS salary_a,
  CAST(salary_b AS TEXT) AS salary_b,
  CAST(overlap_start AS TEXT) AS overlap_start
FROM (
  WITH pairs AS (
    SELECT
      a.id_no,
      a.name,
      a.org_name AS org_a,
      b.org_name AS org_b,
      a.monthly_salary AS salary_a,
      b.monthly_salary AS salary_b,
      GREATEST(a.start_date, b.start_date) AS overlap_start,
      LEAST(
        COALESCE(a.end_date, CAST('9999-12-31' AS DATE)),
        COALESCE(b.end_date, CAST('9999-12-31' AS DATE))
      ) AS overlap_end
    FROM public_payroll AS a
    JOIN public_payroll AS b
      ON a.id_no = b.id_no AND a.org_uscc < b.org_uscc
  )
  SELECT
    id_no,
    name,
    org_a,
    org_b,
    salary_a,
    salary_b,
    overlap_start,
    SUBSTRING(CAST(overlap_start AS TEXT), 1, 7) AS period
  FROM pairs
  WHERE
    DATE_DIFF('DAY', overlap_start, overlap_end) + 1 >= 1
) AS m
