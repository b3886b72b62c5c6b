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
    v.status_date,
    SUBSTRING(CAST(GREATEST(v.register_date, h.start_date) AS TEXT), 1, 7) AS period
  FROM dibao_households AS h
  JOIN dibao_members AS m
    ON m.case_no = h.case_no
  JOIN vehicles AS v
    ON v.owner_id_no = m.id_no
  WHERE
    NOT v.vehicle_type IS NULL
    AND REGEXP_MATCHES(v.vehicle_type, '轿车|客车|越野|SUV|suv|MPV|多用途|乘用车|旅行车|^K[1-4]')
    AND NOT REGEXP_MATCHES(
      v.vehicle_type || ' ' || COALESCE(v.use_type, ''),
      '残疾人|代步|摩托|货车|三轮|拖拉机|农用|专项作业|^[HMNT]'
    )
    AND NOT v.register_date IS NULL
    AND (
      h.end_date IS NULL OR v.register_date <= h.end_date
    )
    AND /* held during the support: still held now, or given up on or after the support began */ (
      STRPOS(',' || 'normal,suspended,seized,pending' || ',', ',' || v.status || ',') > 0
      OR (
        NOT v.status_date IS NULL
        AND NOT h.start_date IS NULL
        AND v.status_date >= h.start_date
      )
    )
) AS m
