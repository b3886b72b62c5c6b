SELECT
  CAST(id_no AS TEXT) AS __subject_id,
  CAST(name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  'orange' AS __severity,
  CAST(NULL AS DECIMAL(18, 2)) AS __amount,
  CAST(division_code AS TEXT) AS __division_code,
  '低保家庭（' || COALESCE(CAST(case_no AS TEXT), '（空）') || '）成员' || COALESCE(CAST(CAST(name AS TEXT) AS TEXT), '（空）') || '名下有' || COALESCE(CAST(vehicle_type AS TEXT), '（空）') || COALESCE(CAST(plate_no AS TEXT), '（空）') || '，登记日期' || COALESCE(CAST(register_date AS TEXT), '（空）') || '，低保起始' || COALESCE(CAST(start_date AS TEXT), '（空）') AS __explanation,
  case_no,
  plate_no,
  vehicle_type,
  register_date,
  start_date,
  end_date
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
    AND STRPOS(',' || 'normal,正常' || ',', ',' || v.status || ',') > 0
    AND NOT v.register_date IS NULL
    AND (
      h.end_date IS NULL OR v.register_date <= h.end_date
    )
) AS m
