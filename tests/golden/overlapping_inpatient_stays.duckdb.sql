SELECT
  CAST(id_no AS TEXT) AS __subject_id,
  CAST(name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  'orange' AS __severity,
  CAST(fund_paid AS DECIMAL(18, 2)) AS __amount,
  CAST(NULL AS TEXT) AS __division_code,
  claim_no,
  hospital,
  admission_date,
  discharge_date,
  other_claim_no,
  other_hospital,
  other_admission_date,
  other_discharge_date
FROM (
  WITH stays AS (
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
      claim_type = 'inpatient'
      AND NOT admission_date IS NULL
      AND NOT discharge_date IS NULL
  )
  SELECT
    b.claim_no,
    b.id_no,
    b.name,
    b.hospital,
    b.admission_date,
    b.discharge_date,
    b.fund_paid,
    a.claim_no AS other_claim_no,
    a.hospital AS other_hospital,
    a.admission_date AS other_admission_date,
    a.discharge_date AS other_discharge_date,
    SUBSTRING(CAST(b.admission_date AS TEXT), 1, 7) AS period
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
    DATE_DIFF('DAY', b.admission_date, LEAST(a.discharge_date, b.discharge_date)) >= 1
) AS m
