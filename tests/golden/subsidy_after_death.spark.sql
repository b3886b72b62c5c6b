WITH any_death AS (
  SELECT
    id_no,
    death_date
  FROM deaths
  UNION ALL
  SELECT
    id_no,
    registry_death_date AS death_date
  FROM household_registry
), first_death AS (
  /* earliest death over every source (cremation, hospital, medical insurance, registry) */
  SELECT
    id_no,
    MIN(death_date) AS death_date
  FROM any_death
  WHERE
    NOT id_no IS NULL AND NOT death_date IS NULL
  GROUP BY
    id_no
)
SELECT
  CAST(id_no AS STRING) AS __subject_id,
  CAST(name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN amount >= 1000 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(amount AS DECIMAL(18, 2)) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
  COALESCE(CAST(CAST(name AS STRING) AS STRING), '（空）') || '于' || COALESCE(CAST(death_date AS STRING), '（空）') || '死亡，其后仍于' || COALESCE(CAST(pay_date AS STRING), '（空）') || '领取' || COALESCE(CAST(subsidy_type AS STRING), '（空）') || COALESCE(CAST(amount AS STRING), '（空）') || '元' AS __explanation,
  payment_no,
  subsidy_type,
  period,
  pay_date,
  death_date,
  amount,
  account_no
FROM (
  SELECT
    p.payment_no,
    p.id_no,
    p.name,
    p.subsidy_type,
    p.period,
    p.pay_date,
    p.amount,
    p.account_no,
    p.division_code,
    d.death_date
  FROM subsidy_payments AS p
  JOIN first_death AS d
    ON p.id_no = d.id_no
  WHERE
    p.pay_date > d.death_date
) AS m
