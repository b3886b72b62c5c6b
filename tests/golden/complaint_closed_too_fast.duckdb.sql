SELECT
  CAST(complaint_no AS TEXT) AS __subject_id,
  CAST(target_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  'yellow' AS __severity,
  CAST(NULL AS DECIMAL(18, 2)) AS __amount,
  CAST(division_code AS TEXT) AS __division_code,
  received_at,
  replied_at,
  status,
  category,
  minutes
FROM (
  SELECT
    complaint_no,
    received_at,
    replied_at,
    status,
    division_code,
    target_name,
    category,
    DATE_DIFF('MINUTE', received_at, replied_at) AS minutes,
    SUBSTRING(CAST(received_at AS TEXT), 1, 7) AS period
  FROM complaints
  WHERE
    NOT received_at IS NULL
    AND NOT replied_at IS NULL
    AND STRPOS(',' || '已办结,办结,已完成,已回复,closed,resolved,replied' || ',', ',' || status || ',') > 0
    AND DATE_DIFF('MINUTE', received_at, replied_at) < 60
) AS m
