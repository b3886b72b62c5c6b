WITH flagged AS (
  SELECT
    voucher_no,
    division_code,
    entry_date,
    payee_name,
    amount,
    pay_method,
    purpose,
    LOCATE(',' || pay_method || ',', ',' || 'cash,现金' || ',') > 0 AND amount >= 5000 AS large_cash,
    amount >= 10000
    AND amount % 1000 = 0
    AND NOT COALESCE(purpose, '') || ' ' || COALESCE(subject, '') RLIKE '报酬|工资|津贴|补贴|误工|租金|租赁|承包费|流转费|分红' AS round_number /* stipends and rents are round by rule or contract, not by invention */
  FROM village_ledgers
  WHERE
    NOT entry_date IS NULL AND NOT amount IS NULL
)
SELECT
  CAST(voucher_no AS STRING) AS __subject_id,
  CAST(NULL AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN large_cash THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
  CAST(entry_date AS STRING) AS entry_date,
  payee_name,
  CAST(amount AS STRING) AS amount,
  pay_method,
  purpose,
  reason
FROM (
  SELECT
    voucher_no,
    division_code,
    entry_date,
    payee_name,
    amount,
    pay_method,
    purpose,
    large_cash,
    SUBSTRING(CAST(entry_date AS STRING), 1, 7) AS period,
    CASE WHEN large_cash THEN '以现金支付，超过现金限额' ELSE '大额整数金额' END AS reason
  FROM flagged
  WHERE
    large_cash OR round_number
) AS m
