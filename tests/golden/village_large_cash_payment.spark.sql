SELECT
  CAST(voucher_no AS STRING) AS __subject_id,
  CAST(NULL AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN amount > 5000 * 4 THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(amount AS DECIMAL(18, 2)) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
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
    SUBSTRING(CAST(entry_date AS STRING), 1, 7) AS period
  FROM village_ledgers
  WHERE
    amount > 5000 AND LOCATE(',' || pay_method || ',', ',' || '现金,cash' || ',') > 0
) AS m
