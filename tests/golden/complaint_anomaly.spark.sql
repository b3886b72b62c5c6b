WITH c AS (
  SELECT
    complaint_no,
    received_at,
    replied_at,
    status,
    division_code,
    category,
    TRIM(target_name) AS target_name,
    TRIM(reply) AS reply,
    COALESCE(NULLIF(TRIM(content), ''), NULLIF(TRIM(target_name), ''), complaint_no) AS matter /* what the complaint is about: its text, else its target, else the ticket itself */
  FROM complaints
  WHERE
    NOT received_at IS NULL
), data_end AS (
  SELECT
    DATE_TRUNC('MONTH', MAX(received_at)) + INTERVAL '1' MONTH AS end_time
  FROM c
), repeated AS (
  SELECT
    a.target_name AS subject,
    a.complaint_no,
    a.received_at,
    MIN(a.division_code) AS division_code,
    MIN(a.category) AS category,
    1 AS rule,
    COUNT(*) AS n
  FROM c AS a
  JOIN c AS b
    ON b.target_name = a.target_name
    AND b.received_at <= a.received_at
    AND DATEDIFF(SECOND, b.received_at, a.received_at) <= 90 * 86400
  WHERE
    NOT a.target_name IS NULL AND a.target_name <> ''
  GROUP BY
    a.target_name,
    a.complaint_no,
    a.received_at
  HAVING
    COUNT(*) = 3
), reply_counts AS (
  /* a reply repeated across different matters; the same matter filed twice is not copy-paste */
  SELECT
    reply,
    COUNT(*) AS n,
    COUNT(DISTINCT matter) AS matters
  FROM c
  WHERE
    NOT reply IS NULL AND reply <> ''
  GROUP BY
    reply
), single AS (
  SELECT
    x.complaint_no AS subject,
    x.complaint_no,
    x.received_at,
    x.division_code,
    x.category,
    CASE
      WHEN LOCATE(',' || x.status || ',', ',' || 'handling,办理中' || ',') > 0
      AND DATEDIFF(SECOND, x.received_at, e.end_time) > 21 * 86400
      THEN 2
      WHEN NOT x.replied_at IS NULL
      AND COALESCE(LOCATE(',' || x.status || ',', ',' || 'closed_on_spot' || ','), 0) = 0
      AND DATEDIFF(SECOND, x.received_at, x.replied_at) < 60 * 60
      THEN 3
      WHEN r.matters > 1
      THEN 4
    END AS rule,
    COALESCE(r.n, 0) AS n
  FROM c AS x
  CROSS JOIN data_end AS e
  LEFT JOIN reply_counts AS r
    ON r.reply = x.reply
), found AS (
  SELECT
    subject,
    complaint_no,
    received_at,
    division_code,
    category,
    rule,
    n
  FROM repeated
  UNION ALL
  SELECT
    subject,
    complaint_no,
    received_at,
    division_code,
    category,
    rule,
    n
  FROM single
  WHERE
    NOT rule IS NULL
)
SELECT
  CAST(subject AS STRING) AS __subject_id,
  CAST(NULL AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN rule IN (1, 2) THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(division_code AS STRING) AS __division_code,
  complaint_no,
  received_at,
  category,
  rule,
  reason,
  CAST(received_at AS STRING) AS __text_0
FROM (
  SELECT
    subject,
    SUBSTRING(CAST(received_at AS STRING), 1, 7) AS period,
    MIN(complaint_no) AS complaint_no,
    MIN(received_at) AS received_at,
    MIN(division_code) AS division_code,
    MIN(category) AS category,
    MIN(rule) AS rule,
    MAX(n) AS n,
    CASE MIN(rule)
      WHEN 1
      THEN '短期内第' || CAST(MAX(n) AS STRING) || '次被投诉'
      WHEN 2
      THEN '超过办理期限仍在办理'
      WHEN 3
      THEN '受理后不到规定时间即答复'
      ELSE '答复与其他' || CAST(MAX(n) - 1 AS STRING) || '件投诉的答复完全相同'
    END AS reason
  FROM found
  GROUP BY
    subject,
    SUBSTRING(CAST(received_at AS STRING), 1, 7)
) AS m
