SELECT
  CAST(approver_id_no AS TEXT) AS __subject_id,
  CAST(approver_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  'orange' AS __severity,
  CAST(amount AS DECIMAL(18, 2)) AS __amount,
  CAST(division_code AS TEXT) AS __division_code,
  '审批人' || COALESCE(CAST(CAST(approver_name AS TEXT) AS TEXT), '（空）') || '在' || COALESCE(CAST(period AS TEXT), '（空）') || '为同户亲属' || COALESCE(CAST(recipient_name AS TEXT), '（空）') || '审批' || COALESCE(CAST(subsidy_type AS TEXT), '（空）') || COALESCE(CAST(amount AS TEXT), '（空）') || '元' AS __explanation,
  recipient_name,
  recipient_relation,
  subsidy_type,
  payments,
  amount
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
