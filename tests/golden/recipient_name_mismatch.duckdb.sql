SELECT
  CAST(id_no AS TEXT) AS __subject_id,
  CAST(registry_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS TEXT) AS __amount,
  CAST(division_code AS TEXT) AS __division_code,
  paid_name,
  registry_name,
  subsidy_type,
  payments,
  CAST(amount AS TEXT) AS amount,
  CAST(period AS TEXT) AS __text_0
FROM (
  SELECT
    p.id_no,
    TRIM(p.name) AS paid_name,
    TRIM(r.name) AS registry_name,
    p.period,
    MIN(p.subsidy_type) AS subsidy_type,
    MIN(p.division_code) AS division_code,
    COUNT(*) AS payments,
    SUM(p.amount) AS amount
  FROM subsidy_payments AS p
  JOIN household_registry AS r
    ON r.id_no = p.id_no
  WHERE
    TRIM(p.name) <> TRIM(r.name)
  GROUP BY
    p.id_no,
    TRIM(p.name),
    TRIM(r.name),
    p.period
  HAVING
    COUNT(*) >= 1
) AS m
