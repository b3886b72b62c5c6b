WITH first_death AS (
  SELECT
    id_no,
    MIN(death_date) AS death_date
  FROM deaths
  WHERE
    NOT id_no IS NULL AND NOT death_date IS NULL
  GROUP BY
    id_no
)
SELECT
  CAST(id_no AS STRING) AS __subject_id,
  CAST(name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN fund_paid >= 5000 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(fund_paid AS DECIMAL(18, 2)) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  claim_no,
  hospital,
  claim_type,
  admission_date,
  death_date,
  amount,
  fund_paid
FROM (
  SELECT
    c.claim_no,
    c.id_no,
    c.name,
    c.hospital,
    c.claim_type,
    c.admission_date,
    c.amount,
    c.fund_paid,
    d.death_date,
    SUBSTRING(CAST(c.admission_date AS STRING), 1, 7) AS period
  FROM medical_claims AS c
  JOIN first_death AS d
    ON d.id_no = c.id_no
  WHERE
    c.admission_date > d.death_date
) AS m
