SELECT
  CAST(id_no AS TEXT) AS __subject_id,
  CAST(name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CAST(division_code AS TEXT) AS __division_code,
  case_no,
  plate_no,
  vehicle_type,
  CAST(register_date AS TEXT) AS register_date,
  CAST(start_date AS TEXT) AS start_date,
  CAST(end_date AS TEXT) AS end_date
FROM (
  SELECT
    m.id_no,
    m.name,
    h.case_no,
    h.division_code,
    h.start_date,
    h.end_date,
    v.plate_no,
    v.vehicle_type,
    v.register_date,
    SUBSTRING(CAST(GREATEST(v.register_date, h.start_date) AS TEXT), 1, 7) AS period
  FROM dibao_households AS h
  JOIN dibao_members AS m
    ON m.case_no = h.case_no
  JOIN vehicles AS v
    ON v.owner_id_no = m.id_no
  WHERE
    STRPOS(',' || '小型轿车,小型普通客车' || ',', ',' || v.vehicle_type || ',') > 0
    AND STRPOS(',' || 'normal,suspended,seized,pending' || ',', ',' || v.status || ',') > 0
    AND NOT v.register_date IS NULL
    AND (
      h.end_date IS NULL OR v.register_date <= h.end_date
    )
) AS m
