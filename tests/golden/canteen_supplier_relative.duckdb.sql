SELECT
  CAST(staff_id_no AS TEXT) AS __subject_id,
  CAST(staff_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS TEXT) AS __amount,
  CAST(NULL AS TEXT) AS __division_code,
  school_name,
  position,
  supplier_uscc,
  supplier_name,
  kin_name,
  relation,
  role,
  CAST(first_purchase AS TEXT) AS first_purchase,
  CAST(amount AS TEXT) AS amount
FROM (
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
  ), owners AS (
    SELECT
      uscc,
      legal_rep_id_no AS id_no,
      legal_rep_name AS name,
      '法定代表人' AS role
    FROM companies
    UNION ALL
    SELECT
      uscc,
      shareholder_id_no AS id_no,
      shareholder_name AS name,
      '股东' AS role
    FROM shareholders
  ), staff_kin AS (
    /* each staff member and their close relatives */
    SELECT
      p.id_no AS staff_id_no,
      p.name AS staff_name,
      p.org_uscc,
      p.position,
      kr.relative_id_no AS kin_id_no,
      kr.relation_zh
    FROM public_payroll AS p
    JOIN kin AS kr
      ON kr.id_no = p.id_no
  ), supplies AS (
    SELECT
      school_uscc,
      MIN(school_name) AS school_name,
      supplier_uscc,
      MIN(purchase_date) AS first_purchase,
      SUM(amount) AS amount
    FROM canteen_purchases
    WHERE
      NOT supplier_uscc IS NULL
    GROUP BY
      school_uscc,
      supplier_uscc
  )
  SELECT
    sk.staff_id_no,
    sk.staff_name,
    sk.position,
    c.school_name,
    c.supplier_uscc,
    co.name AS supplier_name,
    MIN(o.name) AS kin_name,
    MIN(sk.relation_zh) AS relation,
    MIN(o.role) AS role,
    c.first_purchase,
    c.amount,
    SUBSTRING(CAST(c.first_purchase AS TEXT), 1, 7) AS period
  FROM supplies AS c
  JOIN owners AS o
    ON o.uscc = c.supplier_uscc
  JOIN staff_kin AS sk
    ON sk.kin_id_no = o.id_no AND sk.org_uscc = c.school_uscc
  LEFT JOIN companies AS co
    ON co.uscc = c.supplier_uscc
  WHERE
    c.amount >= 0
  GROUP BY
    sk.staff_id_no,
    sk.staff_name,
    sk.position,
    c.school_name,
    c.supplier_uscc,
    co.name,
    c.first_purchase,
    c.amount
) AS m
