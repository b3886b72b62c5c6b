WITH any_death AS (
  SELECT
    id_no,
    COALESCE(death_date, record_date) AS death_date
  FROM deaths
  UNION ALL
  SELECT
    id_no,
    registry_death_date AS death_date
  FROM household_registry
  WHERE
    status = 'deceased'
), first_death AS (
  SELECT
    id_no,
    MIN(death_date) AS death_date
  FROM any_death
  WHERE
    NOT id_no IS NULL AND NOT death_date IS NULL
  GROUP BY
    id_no
), paid AS (
  SELECT
    id_no,
    name,
    period,
    net_pay AS amount,
    '工资' AS kind,
    org_name AS payer
  FROM salary_payments
  WHERE
    NOT COALESCE(pay_item, '') RLIKE '丧葬|抚恤|遗属|一次性|补发'
  UNION ALL
  SELECT
    id_no,
    name,
    period,
    amount,
    '养老金' AS kind,
    pension_type AS payer
  FROM pension_payments
  WHERE
    NOT COALESCE(pension_type, '') RLIKE '丧葬|抚恤|遗属|一次性|补发'
), late AS (
  SELECT
    p.id_no,
    p.name,
    p.period,
    p.amount,
    p.kind,
    p.payer,
    d.death_date
  FROM paid AS p
  JOIN first_death AS d
    ON d.id_no = p.id_no
  /* months after the month of death (period text YYYY-MM compared as a month count) */
  WHERE
    NOT p.period IS NULL
    AND (
      CAST(SUBSTRING(p.period, 1, 4) AS INT) * 12 + CAST(SUBSTRING(p.period, 6, 2) AS INT)
    ) - (
      YEAR(d.death_date) * 12 + MONTH(d.death_date)
    ) > 0
)
SELECT
  CAST(id_no AS STRING) AS __subject_id,
  CAST(name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN months >= 3 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  kind,
  payer,
  CAST(death_date AS STRING) AS death_date,
  period,
  last_period,
  months,
  CAST(amount AS STRING) AS amount,
  CAST(months AS STRING) AS __text_0
FROM (
  SELECT
    id_no,
    MIN(name) AS name,
    kind,
    MIN(payer) AS payer,
    MIN(death_date) AS death_date,
    MIN(period) AS period,
    MAX(period) AS last_period,
    COUNT(DISTINCT period) AS months,
    SUM(amount) AS amount
  FROM late
  GROUP BY
    id_no,
    kind
  HAVING
    COUNT(DISTINCT period) >= 1
) AS m
