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
  role,
  CAST(first_purchase AS TEXT) AS first_purchase,
  CAST(amount AS TEXT) AS amount
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
    /* each staff member and the other people of their registered household */
    SELECT
      p.id_no AS staff_id_no,
      p.name AS staff_name,
      p.org_uscc,
      p.position,
      k.id_no AS kin_id_no,
      k.name AS kin_name
    FROM public_payroll AS p
    JOIN household_registry AS s
      ON s.id_no = p.id_no
    JOIN household_registry AS k
      ON k.household_no = s.household_no AND k.id_no <> p.id_no
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
    MIN(sk.kin_name) AS kin_name,
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
