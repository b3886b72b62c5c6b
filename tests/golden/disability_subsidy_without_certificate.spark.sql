WITH paid AS (
  /* the day the certificate must be valid on: the pay day, else the first day of the period paid */
  SELECT
    payment_no,
    id_no,
    name,
    subsidy_type,
    period,
    pay_date,
    amount,
    division_code,
    COALESCE(pay_date, CAST(TRY_TO_TIMESTAMP(period || '-01', 'yyyy-MM-dd') AS DATE)) AS due_date
  FROM subsidy_payments
  WHERE
    LOCATE(
      ',' || subsidy_code || ',',
      ',' || 'disability_living,disability_nursing,disability_both,disability_other' || ','
    ) > 0
)
SELECT
  CAST(id_no AS STRING) AS __subject_id,
  CAST(name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
  payment_no,
  subsidy_type,
  CAST(pay_date AS STRING) AS pay_date,
  CAST(amount AS STRING) AS amount
FROM (
  SELECT
    p.payment_no,
    p.id_no,
    p.name,
    p.subsidy_type,
    p.period,
    p.pay_date,
    p.amount,
    p.division_code
  FROM paid AS p
  WHERE
    NOT p.due_date IS NULL
    AND NOT EXISTS(
      SELECT
        1
      FROM disability_certificates AS c
      WHERE
        c.id_no = p.id_no
        AND (
          c.issue_date IS NULL OR c.issue_date <= p.due_date
        )
        AND (
          c.valid_until IS NULL OR c.valid_until >= p.due_date
        )
        AND LOCATE(',' || c.status || ',', ',' || 'valid' || ',') > 0
    )
) AS m
