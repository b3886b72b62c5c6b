WITH claims AS (
  SELECT
    claim_no,
    id_no,
    name,
    COALESCE(hospital_uscc, hospital) AS provider,
    hospital,
    admission_date,
    discharge_date,
    fund_paid,
    LOCATE(',' || claim_type || ',', ',' || 'inpatient,住院' || ',') > 0 AS inpatient
  FROM medical_claims
  WHERE
    NOT id_no IS NULL AND NOT admission_date IS NULL
), stays AS (
  SELECT
    claim_no,
    id_no,
    name,
    provider,
    hospital,
    admission_date,
    discharge_date,
    fund_paid
  FROM claims
  WHERE
    inpatient AND NOT discharge_date IS NULL
), split AS (
  SELECT
    b.id_no,
    b.name,
    b.claim_no,
    b.hospital,
    b.admission_date,
    b.fund_paid,
    '在' || b.hospital || '出院（' || CAST(a.discharge_date AS STRING) || '）后' || CAST(DATEDIFF(DAY, a.discharge_date, b.admission_date) AS STRING) || '天再次入院' AS reason,
    1 AS rule
  FROM stays AS a
  JOIN stays AS b
    ON a.id_no = b.id_no AND a.provider = b.provider AND a.claim_no <> b.claim_no
  WHERE
    b.admission_date >= a.discharge_date
    AND DATEDIFF(DAY, a.discharge_date, b.admission_date) <= 15
), away AS (
  SELECT
    o.id_no,
    o.name,
    o.claim_no,
    o.hospital,
    o.admission_date,
    o.fund_paid,
    '在' || s.hospital || '住院（' || CAST(s.admission_date AS STRING) || '至' || CAST(s.discharge_date AS STRING) || '）期间在' || o.hospital || '门诊或购药结算' AS reason,
    2 AS rule
  FROM stays AS s
  JOIN claims AS o
    ON o.id_no = s.id_no AND NOT o.inpatient AND o.provider <> s.provider
  WHERE
    o.admission_date > s.admission_date AND o.admission_date < s.discharge_date
)
SELECT
  CAST(id_no AS STRING) AS __subject_id,
  CAST(name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CAST(CAST(fund_paid AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  claim_no,
  hospital,
  admission_date,
  fund_paid,
  reason,
  CAST(reason AS STRING) AS __text_0,
  CAST(claim_no AS STRING) AS __text_1,
  CAST(fund_paid AS STRING) AS __text_2
FROM (
  SELECT
    id_no,
    name,
    claim_no,
    hospital,
    admission_date,
    fund_paid,
    reason,
    rule,
    SUBSTRING(CAST(admission_date AS STRING), 1, 7) AS period
  FROM split
  UNION ALL
  SELECT
    id_no,
    name,
    claim_no,
    hospital,
    admission_date,
    fund_paid,
    reason,
    rule,
    SUBSTRING(CAST(admission_date AS STRING), 1, 7) AS period
  FROM away
) AS m
