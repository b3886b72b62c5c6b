WITH claims AS (
  SELECT
    payment_no,
    id_no,
    name,
    subsidy_type,
    period,
    pay_date,
    amount,
    division_code,
    machine_serial,
    ROW_NUMBER() OVER (PARTITION BY machine_serial ORDER BY pay_date NULLS LAST, payment_no NULLS LAST) AS claim_seq
  FROM subsidy_payments
  WHERE
    NOT machine_serial IS NULL AND subsidy_code = 'farm_machinery'
)
SELECT
  CAST(id_no AS STRING) AS __subject_id,
  CAST(name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
  payment_no,
  machine_serial,
  claim_seq,
  reason,
  CAST(amount AS STRING) AS amount,
  CAST(pay_date AS STRING) AS __text_0,
  CAST(subsidy_type AS STRING) AS __text_1
FROM (
  SELECT
    c.payment_no,
    c.id_no,
    c.name,
    c.subsidy_type,
    c.period,
    c.pay_date,
    c.amount,
    c.division_code,
    c.machine_serial,
    c.claim_seq,
    CASE WHEN c.claim_seq > 1 THEN '该编号已被申领过' ELSE '申领人名下无该机具登记' END AS reason
  FROM claims AS c
  WHERE
    c.claim_seq > 1
    OR NOT EXISTS(
      SELECT
        1
      FROM farm_machinery AS f
      WHERE
        f.serial_no = c.machine_serial AND f.owner_id_no = c.id_no
    )
) AS m
