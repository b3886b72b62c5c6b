WITH paid AS (
  SELECT
    p.payment_no,
    p.id_no,
    p.name,
    p.subsidy_type,
    p.period,
    p.amount,
    p.division_code,
    COALESCE(r.birth_date, CAST(TRY_TO_TIMESTAMP(SUBSTRING(p.id_no, 7, 8), 'yyyyMMdd') AS DATE)) AS birth_date
  FROM subsidy_payments AS p
  LEFT JOIN household_registry AS r
    ON r.id_no = p.id_no
  WHERE
    p.subsidy_code = 'old_age_allowance'
    AND NOT p.id_no IS NULL
    AND NOT p.period IS NULL
), aged AS (
  /* completed years on the first day of the period's month */
  SELECT
    payment_no,
    id_no,
    name,
    subsidy_type,
    period,
    amount,
    division_code,
    birth_date,
    CAST(SUBSTRING(period, 1, 4) AS INT) - CAST(EXTRACT(YEAR FROM birth_date) AS INT) - CASE
      WHEN CAST(SUBSTRING(period, 6, 2) AS INT) < CAST(EXTRACT(MONTH FROM birth_date) AS INT)
      OR (
        CAST(SUBSTRING(period, 6, 2) AS INT) = CAST(EXTRACT(MONTH FROM birth_date) AS INT)
        AND CAST(EXTRACT(DAY FROM birth_date) AS INT) > 1
      )
      THEN 1
      ELSE 0
    END AS age
  FROM paid
  WHERE
    NOT birth_date IS NULL
)
SELECT
  CAST(id_no AS STRING) AS __subject_id,
  CAST(name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN age < 80 - 5 THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
  payment_no,
  subsidy_type,
  CAST(birth_date AS STRING) AS birth_date,
  age,
  CAST(amount AS STRING) AS amount,
  CAST(period AS STRING) AS __text_0,
  CAST(age AS STRING) AS __text_1
FROM (
  SELECT
    payment_no,
    id_no,
    name,
    subsidy_type,
    period,
    amount,
    division_code,
    birth_date,
    age
  FROM aged
  WHERE
    age < 80
) AS m
