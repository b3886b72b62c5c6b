SELECT
  CAST(target AS TEXT) AS __subject_id,
  CAST(target AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN complaints >= 3 * 2 THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(NULL AS DECIMAL(18, 2)) AS __amount,
  CAST(division_code AS TEXT) AS __division_code,
  target_org,
  category,
  complaints,
  first_received,
  reached_at
FROM (
  WITH c AS (
    SELECT
      complaint_no,
      received_at,
      COALESCE(NULLIF(TRIM(target_name), ''), target_org) AS target,
      target_org,
      division_code,
      category
    FROM complaints
    WHERE
      NOT received_at IS NULL
      AND NOT COALESCE(NULLIF(TRIM(target_name), ''), target_org) IS NULL
  ), "trailing" AS (
    SELECT
      a.complaint_no,
      a.target,
      a.received_at,
      MIN(a.target_org) AS target_org,
      MIN(a.division_code) AS division_code,
      MIN(a.category) AS category,
      COUNT(*) AS complaints,
      MIN(b.received_at) AS first_received
    FROM c AS a
    JOIN c AS b
      ON b.target = a.target
      AND DATE_DIFF('DAY', b.received_at, a.received_at) BETWEEN 0 AND 90
      AND (
        b.received_at < a.received_at OR b.complaint_no <= a.complaint_no
      )
    GROUP BY
      a.complaint_no,
      a.target,
      a.received_at
    HAVING
      COUNT(*) >= 3
  ), firsts AS (
    SELECT
      target,
      target_org,
      division_code,
      category,
      complaints,
      first_received,
      received_at,
      ROW_NUMBER() OVER (PARTITION BY target ORDER BY received_at) AS k
    FROM "trailing"
  )
  SELECT
    target,
    target_org,
    division_code,
    category,
    complaints,
    first_received,
    received_at AS reached_at,
    SUBSTRING(CAST(received_at AS TEXT), 1, 7) AS period
  FROM firsts
  WHERE
    k = 1
) AS m
