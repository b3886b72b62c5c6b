WITH any_death AS (
  /* a cremation row may carry only the day it was recorded: death happened by then */
  SELECT
    id_no,
    COALESCE(death_date, CASE WHEN source = 'cremation' THEN record_date END) AS death_date
  FROM deaths
  UNION ALL
  /* the registry's date is a death only when the cancellation says so (not 迁出) */
  SELECT
    id_no,
    registry_death_date AS death_date
  FROM household_registry
  WHERE
    LOCATE(',' || status || ',', ',' || 'deceased' || ',') > 0
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
  CAST(CAST(amount AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
  payment_no,
  subsidy_type,
  period,
  CAST(pay_date AS STRING) AS pay_date,
  CAST(death_date AS STRING) AS death_date,
  CAST(amount AS STRING) AS amount,
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
  /* the month paid for, not the day paid: back pay for the month of death is due */
  WHERE
    p.period > SUBSTRING(CAST(d.death_date AS STRING), 1, 7)
    AND p.pay_date > d.death_date
    AND NOT COALESCE(p.subsidy_type, '') RLIKE '丧葬|殡葬|一次性抚恤|遗属'
) AS m
