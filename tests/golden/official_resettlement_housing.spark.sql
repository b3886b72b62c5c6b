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
), staff_household AS (
  /* the employee themself and their close relatives */
  SELECT
    p.id_no AS staff_id_no,
    p.name AS staff_name,
    p.org_name,
    p.position,
    p.start_date,
    p.end_date,
    p.id_no AS member_id_no,
    '本人' AS member_role
  FROM public_payroll AS p
  UNION ALL
  SELECT
    p.id_no,
    p.name,
    p.org_name,
    p.position,
    p.start_date,
    p.end_date,
    kr.relative_id_no,
    '亲属（' || kr.relation_zh || '）'
  FROM public_payroll AS p
  JOIN kin AS kr
    ON kr.id_no = p.id_no
)
SELECT
  CAST(staff_id_no AS STRING) AS __subject_id,
  CAST(staff_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CAST(NULL AS STRING) AS __division_code,
  org_name,
  position,
  property_no,
  owner_name,
  member_role,
  project_name,
  area,
  CAST(register_date AS STRING) AS register_date
FROM (
  SELECT
    h.staff_id_no,
    h.staff_name,
    h.org_name,
    h.position,
    e.property_no,
    e.owner_name,
    h.member_role,
    e.project_name,
    e.area,
    e.register_date,
    SUBSTRING(CAST(e.register_date AS STRING), 1, 7) AS period
  FROM real_estate AS e
  JOIN staff_household AS h
    ON h.member_id_no = e.owner_id_no
  WHERE
    LOCATE(',' || e.property_type || ',', ',' || 'resettlement,安置房,拆迁安置房' || ',') > 0
    AND e.register_date >= h.start_date
    AND (
      h.end_date IS NULL OR e.register_date <= h.end_date
    )
) AS m
