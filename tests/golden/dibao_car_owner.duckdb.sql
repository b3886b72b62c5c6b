SELECT
  CAST(case_no AS TEXT) AS __subject_id,
  CAST(owner_name AS TEXT) AS __subject_name,
  CAST(plate_no AS TEXT) AS __period,
  CASE WHEN use_type = '营运' THEN 'orange' ELSE 'red' END AS __severity,
  CAST(monthly_amount AS DECIMAL(18, 2)) AS __amount,
  CAST(division_code AS TEXT) AS __division_code,
  '低保户主' || COALESCE(CAST(CAST(owner_name AS TEXT) AS TEXT), '（空）') || '（低保自' || COALESCE(CAST(start_date AS TEXT), '（空）') || '起）于' || COALESCE(CAST(register_date AS TEXT), '（空）') || '登记' || COALESCE(CAST(vehicle_type AS TEXT), '（空）') || COALESCE(CAST(plate_no AS TEXT), '（空）') || '（' || COALESCE(CAST(use_type AS TEXT), '（空）') || '）' AS __explanation,
  head_id_no,
  start_date,
  monthly_amount,
  plate_no,
  vehicle_type,
  use_type,
  register_date
FROM (
  SELECT
    l.case_no,
    l.head_id_no,
    l.division_code,
    l.start_date,
    l.monthly_amount,
    r.owner_name,
    r.plate_no,
    r.vehicle_type,
    r.use_type,
    r.register_date
  FROM dibao_households AS l
  INNER JOIN vehicles AS r
    ON l.head_id_no = r.owner_id_no
  WHERE
    r.register_date >= l.start_date
    AND (
      r.register_date <= l.end_date OR l.end_date IS NULL
    )
) AS m
