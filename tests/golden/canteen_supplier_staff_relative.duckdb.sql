SELECT
  CAST(staff_id_no AS TEXT) AS __subject_id,
  CAST(staff_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN kin_role = '本人' THEN 'red' ELSE 'orange' END AS __severity,
  CAST(amount AS DECIMAL(18, 2)) AS __amount,
  CAST(NULL AS TEXT) AS __division_code,
  school_name,
  position,
  supplier_uscc,
  supplier_name,
  kin_role,
  role,
  first_purchase,
  amount
FROM (
  WITH owners AS (
    SELECT
      uscc,
      legal_rep_id_no AS id_no,
      '法定代表人' AS role
    FROM companies
    UNION ALL
    SELECT
      uscc,
      shareholder_id_no AS id_no,
      '股东' AS role
    FROM shareholders
  ), staff_kin AS (
    /* each staff member and every person of their registered household (themself included) */
    SELECT
      p.id_no AS staff_id_no,
      p.name AS staff_name,
      p.org_uscc,
      p.position,
      p.start_date,
      p.end_date,
      COALESCE(k.id_no, p.id_no) AS kin_id_no,
      CASE WHEN k.id_no IS NULL OR k.id_no = p.id_no THEN '本人' ELSE '同户亲属' END AS kin_role
    FROM public_payroll AS p
    LEFT JOIN household_registry AS s
      ON s.id_no = p.id_no
    LEFT JOIN household_registry AS k
      ON k.household_no = s.household_no
  )
  SELECT
    sk.staff_id_no,
    sk.staff_name,
    sk.position,
    c.school_name,
    c.supplier_uscc,
    co.name AS supplier_name,
    MIN(sk.kin_role) AS kin_role,
    MIN(o.role) AS role,
    MIN(c.purchase_date) AS first_purchase,
    SUM(c.amount) AS amount,
    SUBSTRING(CAST(MIN(c.purchase_date) AS TEXT), 1, 7) AS period
  FROM canteen_purchases AS c
  JOIN owners AS o
    ON o.uscc = c.supplier_uscc
  JOIN staff_kin AS sk
    ON sk.kin_id_no = o.id_no AND sk.org_uscc = c.school_uscc
  JOIN companies AS co
    ON co.uscc = c.supplier_uscc
  WHERE
    c.purchase_date >= sk.start_date
    AND (
      sk.end_date IS NULL OR c.purchase_date <= sk.end_date
    )
  GROUP BY
    sk.staff_id_no,
    sk.staff_name,
    sk.position,
    c.school_name,
    c.supplier_uscc,
    co.name
  HAVING
    SUM(c.amount) >= 0
) AS m
