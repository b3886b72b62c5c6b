SELECT
  CAST(complaint_no AS STRING) AS __subject_id,
  CAST(target_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  'yellow' AS __severity,
  CAST(NULL AS DECIMAL(18, 2)) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
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
    DATEDIFF(MINUTE, received_at, replied_at) AS minutes,
    SUBSTRING(CAST(received_at AS STRING), 1, 7) AS period
  FROM complaints
  WHERE
    NOT received_at IS NULL
    AND NOT replied_at IS NULL
    AND LOCATE(',' || status || ',', ',' || '已办结,办结,已完成,已回复,closed,resolved,replied' || ',') > 0
    AND DATEDIFF(MINUTE, received_at, replied_at) < 60
) AS m
