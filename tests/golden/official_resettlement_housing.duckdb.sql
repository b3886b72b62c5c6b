SELECT
  CAST(staff_id_no AS TEXT) AS __subject_id,
  CAST(staff_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CAST(NULL AS TEXT) AS __division_code,
  org_name,
  position,
  property_no,
  owner_name,
  member_role,
  project_name,
  area,
  CAST(register_date AS TEXT) AS register_date
FROM (
  WITH staff_household AS (
    /* the employee and everyone of their registered household (the employee included) */
    SELECT
      p.id_no AS staff_id_no,
      p.name AS staff_name,
      p.org_name,
      p.position,
      p.start_date,
      p.end_date,
      COALESCE(m.id_no, p.id_no) AS member_id_no,
      CASE WHEN m.id_no IS NULL OR m.id_no = p.id_no THEN '本人' ELSE '同户家庭成员' END AS member_role
    FROM public_payroll AS p
    LEFT JOIN household_registry AS s
      ON s.id_no = p.id_no
    LEFT JOIN household_registry AS m
      ON m.household_no = s.household_no
  )
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
    SUBSTRING(CAST(e.register_date AS TEXT), 1, 7) AS period
  FROM real_estate AS e
  JOIN staff_household AS h
    ON h.member_id_no = e.owner_id_no
  WHERE
    STRPOS(',' || 'resettlement,安置房,拆迁安置房' || ',', ',' || e.property_type || ',') > 0
    AND e.register_date >= h.start_date
    AND (
      h.end_date IS NULL OR e.register_date <= h.end_date
    )
) AS m
