SELECT
  CAST(approver_id_no AS TEXT) AS __subject_id,
  CAST(approver_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS TEXT) AS __amount,
  CAST(division_code AS TEXT) AS __division_code,
  recipient_name,
  recipient_relation,
  subsidy_type,
  payments,
  CAST(amount AS TEXT) AS amount,
  CAST(period AS TEXT) AS __text_0
FROM (
  SELECT
    p.approver_id_no,
    ra.name AS approver_name,
    p.period,
    MIN(p.division_code) AS division_code,
    MIN(p.id_no) AS recipient_id_no,
    MIN(p.name) AS recipient_name,
    MIN(rr.relation_to_head) AS recipient_relation,
    MIN(p.subsidy_type) AS subsidy_type,
    COUNT(*) AS payments,
    SUM(p.amount) AS amount
  FROM subsidy_payments AS p
  JOIN household_registry AS rr
    ON rr.id_no = p.id_no
  JOIN household_registry AS ra
    ON ra.id_no = p.approver_id_no
  WHERE
    NOT p.approver_id_no IS NULL
    AND p.approver_id_no <> p.id_no
    AND ra.household_no = rr.household_no
  GROUP BY
    p.approver_id_no,
    ra.name,
    p.period
  HAVING
    COUNT(*) >= 1
) AS m
