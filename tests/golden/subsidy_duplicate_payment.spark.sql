SELECT
  CAST(id_no AS STRING) AS __subject_id,
  CAST(name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN total - smallest >= 1000 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(total - smallest AS DECIMAL(18, 2)) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
  COALESCE(CAST(CAST(name AS STRING) AS STRING), '（空）') || '在' || COALESCE(CAST(period AS STRING), '（空）') || '期间领取' || COALESCE(CAST(subsidy_type AS STRING), '（空）') || COALESCE(CAST(payments AS STRING), '（空）') || '笔，合计' || COALESCE(CAST(total AS STRING), '（空）') || '元（' || COALESCE(CAST(first_pay_date AS STRING), '（空）') || '至' || COALESCE(CAST(last_pay_date AS STRING), '（空）') || '），多发' || COALESCE(CAST(CAST(total - smallest AS DECIMAL(18, 2)) AS STRING), '（空）') || '元' AS __explanation,
  subsidy_type,
  period,
  payments,
  total,
  first_pay_date,
  last_pay_date
FROM (
  SELECT
    id_no,
    name,
    subsidy_type,
    period,
    payments,
    total,
    smallest,
    first_pay_date,
    last_pay_date,
    division_code
  FROM (
    SELECT
      l.id_no AS id_no,
      l.subsidy_type AS subsidy_type,
      l.period AS period,
      MAX(l.name) AS name,
      COUNT(*) AS payments,
      SUM(l.amount) AS total,
      MIN(l.amount) AS smallest,
      MIN(l.pay_date) AS first_pay_date,
      MAX(l.pay_date) AS last_pay_date,
      MAX(l.division_code) AS division_code
    FROM subsidy_payments AS l
    GROUP BY
      l.id_no,
      l.subsidy_type,
      l.period
  ) AS g
  WHERE
    payments >= 2
) AS m
