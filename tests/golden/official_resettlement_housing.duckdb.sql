SELECT
  CAST(id_no AS TEXT) AS __subject_id,
  CAST(name AS TEXT) AS __subject_name,
  CAST(property_no AS TEXT) AS __period,
  CASE WHEN area >= 90 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(NULL AS DECIMAL(18, 2)) AS __amount,
  CAST(NULL AS TEXT) AS __division_code,
  COALESCE(CAST(CAST(name AS TEXT) AS TEXT), '（空）') || '（' || COALESCE(CAST(org_name AS TEXT), '（空）') || COALESCE(CAST(position AS TEXT), '（空）') || '）于' || COALESCE(CAST(register_date AS TEXT), '（空）') || '取得安置房' || COALESCE(CAST(project_name AS TEXT), '（空）') || '（' || COALESCE(CAST(area AS TEXT), '（空）') || '平方米）' AS __explanation,
  org_name,
  position,
  property_no,
  project_name,
  area,
  register_date
FROM (
  SELECT
    l.id_no,
    l.name,
    l.org_name,
    l.position,
    r.property_no,
    r.project_name,
    r.area,
    r.register_date
  FROM public_payroll AS l
  INNER JOIN real_estate AS r
    ON l.id_no = r.owner_id_no
  WHERE
    (
      r.property_type = 'resettlement' AND r.register_date >= l.start_date
    )
    AND (
      r.register_date <= l.end_date OR l.end_date IS NULL
    )
) AS m
