SELECT
  CAST(id_no AS STRING) AS __subject_id,
  CAST(registry_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  'orange' AS __severity,
  CAST(amount AS DECIMAL(18, 2)) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
  COALESCE(CAST(period AS STRING), '（空）') || '发放' || COALESCE(CAST(subsidy_type AS STRING), '（空）') || COALESCE(CAST(amount AS STRING), '（空）') || '元的领取人姓名为“' || COALESCE(CAST(paid_name AS STRING), '（空）') || '”，而该身份证号户籍登记姓名为“' || COALESCE(CAST(registry_name AS STRING), '（空）') || '”' AS __explanation,
  paid_name,
  registry_name,
  subsidy_type,
  payments,
  amount
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
