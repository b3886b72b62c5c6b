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
  SELECT
    id_no,
    MIN(death_date) AS death_date
  FROM any_death
  WHERE
    NOT id_no IS NULL AND NOT death_date IS NULL
  GROUP BY
    id_no
), after_death AS (
  SELECT
    c.id_no,
    c.name,
    c.claim_no,
    c.hospital,
    c.admission_date,
    c.fund_paid,
    '死亡（' || CAST(d.death_date AS STRING) || '）后仍发生医保结算' AS reason,
    1 AS rule
  FROM medical_claims AS c
  JOIN first_death AS d
    ON d.id_no = c.id_no
  WHERE
    c.admission_date > d.death_date
), stays AS (
  SELECT
    claim_no,
    id_no,
    name,
    hospital,
    admission_date,
    discharge_date,
    fund_paid
  FROM medical_claims
  WHERE
    LOCATE(',' || claim_type || ',', ',' || 'inpatient,住院' || ',') > 0
    AND NOT admission_date IS NULL
    AND NOT discharge_date IS NULL
), overlapping AS (
  SELECT
    b.id_no,
    b.name,
    b.claim_no,
    b.hospital,
    b.admission_date,
    b.fund_paid,
    '在' || a.hospital || '住院（' || CAST(a.admission_date AS STRING) || '至' || CAST(a.discharge_date AS STRING) || '）期间又入院' AS reason,
    2 AS rule
  FROM stays AS a
  JOIN stays AS b
    ON a.id_no = b.id_no
    AND a.claim_no <> b.claim_no
    AND (
      a.admission_date < b.admission_date
      OR (
        a.admission_date = b.admission_date AND a.claim_no < b.claim_no
      )
    )
  WHERE
    DATEDIFF(DAY, b.admission_date, LEAST(a.discharge_date, b.discharge_date)) >= 1
), found AS (
  SELECT
    id_no,
    name,
    claim_no,
    hospital,
    admission_date,
    fund_paid,
    reason,
    rule
  FROM after_death
  UNION ALL
  SELECT
    id_no,
    name,
    claim_no,
    hospital,
    admission_date,
    fund_paid,
    reason,
    rule
  FROM overlapping
)
SELECT
  CAST(id_no AS STRING) AS __subject_id,
  CAST(name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN rule = 1 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(CAST(fund_paid AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  claim_no,
  hospital,
  CAST(admission_date AS STRING) AS admission_date,
  claims,
  CAST(fund_paid AS STRING) AS fund_paid,
  reason
FROM (
  SELECT
    id_no,
    MIN(name) AS name,
    SUBSTRING(CAST(admission_date AS STRING), 1, 7) AS period,
    MIN(rule) AS rule,
    MIN(reason) AS reason,
    MIN(claim_no) AS claim_no,
    MIN(hospital) AS hospital,
    MIN(admission_date) AS admission_date,
    SUM(fund_paid) AS fund_paid,
    COUNT(*) AS claims
  FROM found
  GROUP BY
    id_no,
    SUBSTRING(CAST(admission_date AS STRING), 1, 7)
) AS m
