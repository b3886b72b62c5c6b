SELECT
  CAST(voucher_no AS TEXT) AS __subject_id,
  CAST(NULL AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN amount >= 10000 * 5 THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(amount AS DECIMAL(18, 2)) AS __amount,
  CAST(division_code AS TEXT) AS __division_code,
  entry_date,
  payee_name,
  amount,
  pay_method,
  purpose
FROM (
  SELECT
    voucher_no,
    division_code,
    entry_date,
    payee_name,
    amount,
    pay_method,
    purpose,
    SUBSTRING(CAST(entry_date AS TEXT), 1, 7) AS period
  FROM village_ledgers
  WHERE
    amount >= 10000 AND (
      decision_no IS NULL OR TRIM(decision_no) = ''
    )
) AS m
