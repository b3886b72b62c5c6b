SELECT
  CAST(id_no AS TEXT) AS __subject_id,
  CAST(name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN total - smallest >= 1000 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(total - smallest AS DECIMAL(18, 2)) AS __amount,
  CAST(division_code AS TEXT) AS __division_code,
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
