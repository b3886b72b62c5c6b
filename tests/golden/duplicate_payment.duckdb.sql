SELECT
  CAST(id_no AS TEXT) AS __subject_id,
  CAST(name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN villages > 1 OR accounts > 1 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(CAST(extra_amount AS DECIMAL(18, 2)) AS TEXT) AS __amount,
  CAST(division_code AS TEXT) AS __division_code,
  subsidy_type,
  payments,
  accounts,
  villages,
  CAST(extra_amount AS TEXT) AS extra_amount,
  CAST(period AS TEXT) AS __text_0,
  CAST(payments AS TEXT) AS __text_1,
  CAST(accounts AS TEXT) AS __text_2,
  CAST(villages AS TEXT) AS __text_3
FROM (
  /* one benefit however it is worded: the canonical code, the wording when it has none */
  SELECT
    id_no,
    MIN(name) AS name,
    MIN(subsidy_type) AS subsidy_type,
    COALESCE(subsidy_code, subsidy_type) AS subsidy,
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
    COALESCE(subsidy_code, subsidy_type),
    period
  HAVING
    COUNT(DISTINCT payment_no) >= 2
) AS m
