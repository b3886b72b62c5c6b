SELECT
  CAST(id_no AS STRING) AS __subject_id,
  CAST(name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN villages > 1 OR accounts > 1 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(extra_amount AS DECIMAL(18, 2)) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
  COALESCE(CAST(CAST(name AS STRING) AS STRING), '（空）') || '的' || COALESCE(CAST(subsidy_type AS STRING), '（空）') || '在' || COALESCE(CAST(period AS STRING), '（空）') || '期间发放' || COALESCE(CAST(payments AS STRING), '（空）') || '笔（' || COALESCE(CAST(accounts AS STRING), '（空）') || '个账户、' || COALESCE(CAST(villages AS STRING), '（空）') || '个村），多发' || COALESCE(CAST(extra_amount AS STRING), '（空）') || '元' AS __explanation,
  subsidy_type,
  payments,
  accounts,
  villages,
  extra_amount
FROM (
  SELECT
    id_no,
    MIN(name) AS name,
    subsidy_type,
    period,
    MIN(division_code) AS division_code,
    COUNT(DISTINCT payment_no) AS payments,
    COUNT(DISTINCT account_no) AS accounts,
    COUNT(DISTINCT division_code) AS villages,
    SUM(amount) - MIN(amount) AS extra_amount
  FROM subsidy_payments
  WHERE
    NOT id_no IS NULL AND NOT period IS NULL
  GROUP BY
    id_no,
    subsidy_type,
    period
  HAVING
    COUNT(DISTINCT payment_no) >= 2
) AS m
