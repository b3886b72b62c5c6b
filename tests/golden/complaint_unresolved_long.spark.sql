WITH ref AS (
  SELECT
    MAX(received_at) AS ref_time
  FROM complaints
), c AS (
  SELECT
    q.complaint_no,
    q.received_at,
    q.replied_at,
    q.status,
    q.division_code,
    q.target_name,
    q.category,
    f.ref_time,
    NOT q.status IS NULL
    AND LOCATE(',' || q.status || ',', ',' || '已办结,办结,已完成,已回复,closed,resolved,replied' || ',') > 0 AS closed
  FROM complaints AS q
  CROSS JOIN ref AS f
  WHERE
    NOT q.received_at IS NULL
)
SELECT
  CAST(complaint_no AS STRING) AS __subject_id,
  CAST(target_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN NOT closed THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(NULL AS DECIMAL(18, 2)) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
  received_at,
  replied_at,
  status,
  category,
  days,
  reason
FROM (
  SELECT
    complaint_no,
    received_at,
    replied_at,
    status,
    division_code,
    target_name,
    category,
    closed,
    CASE
      WHEN closed AND NOT replied_at IS NULL
      THEN DATEDIFF(DAY, received_at, replied_at)
      ELSE DATEDIFF(DAY, received_at, ref_time)
    END AS days,
    CASE WHEN closed THEN '超期办结' ELSE '超期未办结' END AS reason,
    SUBSTRING(CAST(received_at AS STRING), 1, 7) AS period
  FROM c
  WHERE
    (
      NOT closed AND DATEDIFF(DAY, received_at, ref_time) > 60
    )
    OR (
      closed AND NOT replied_at IS NULL AND DATEDIFF(DAY, received_at, replied_at) > 60
    )
) AS m
