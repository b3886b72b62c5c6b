WITH kin AS (
  /* close relatives up to :kin_degree, across households (one row per pair) */
  SELECT
    k.id_no,
    k.relative_id_no,
    MIN(k.degree) AS degree,
    MIN(
      CASE k.relation
        WHEN 'spouse'
        THEN '配偶'
        WHEN 'parent'
        THEN '父母'
        WHEN 'child'
        THEN '子女'
        WHEN 'sibling'
        THEN '兄弟姐妹'
        WHEN 'grandparent'
        THEN '祖父母'
        WHEN 'grandchild'
        THEN '孙子女'
        WHEN 'child_in_law'
        THEN '子女的配偶'
        WHEN 'parent_in_law'
        THEN '配偶的父母'
        WHEN 'sibling_in_law'
        THEN '兄弟姐妹的配偶或配偶的兄弟姐妹'
        WHEN 'uncle_aunt'
        THEN '父母的兄弟姐妹'
        WHEN 'nephew_niece'
        THEN '兄弟姐妹的子女'
        ELSE '亲属'
      END
    ) AS relation_zh
  FROM relatives AS k
  WHERE
    k.degree <= 3
  GROUP BY
    k.id_no,
    k.relative_id_no
)
SELECT
  CAST(approver_id_no AS STRING) AS __subject_id,
  CAST(approver_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
  recipient_name,
  recipient_relation,
  subsidy_type,
  payments,
  CAST(amount AS STRING) AS amount,
  CAST(period AS STRING) AS __text_0
FROM (
  SELECT
    p.approver_id_no,
    MIN(ra.name) AS approver_name,
    p.period,
    MIN(p.division_code) AS division_code,
    MIN(p.id_no) AS recipient_id_no,
    MIN(p.name) AS recipient_name,
    MIN(kr.relation_zh) AS recipient_relation,
    MIN(p.subsidy_type) AS subsidy_type,
    COUNT(*) AS payments,
    SUM(p.amount) AS amount
  FROM subsidy_payments AS p
  JOIN kin AS kr
    ON kr.id_no = p.approver_id_no AND kr.relative_id_no = p.id_no
  LEFT JOIN household_registry AS ra
    ON ra.id_no = p.approver_id_no
  WHERE
    NOT p.approver_id_no IS NULL AND p.approver_id_no <> p.id_no
  GROUP BY
    p.approver_id_no,
    p.period
  HAVING
    COUNT(*) >= 1
) AS m
