SELECT
  CAST(school_uscc AS TEXT) AS __subject_id,
  CAST(school_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  'yellow' AS __severity,
  CAST(premium_amount AS DECIMAL(18, 2)) AS __amount,
  CAST(NULL AS TEXT) AS __division_code,
  amount,
  premium_amount,
  share_pct,
  median_pct,
  peers,
  period
FROM (
  WITH per_school AS (
    SELECT
      school_uscc,
      MIN(school_name) AS school_name,
      SUBSTRING(CAST(purchase_date AS TEXT), 1, 7) AS period,
      SUM(amount) AS amount,
      SUM(CASE WHEN COALESCE(premium, FALSE) THEN amount ELSE 0 END) AS premium_amount,
      CAST(SUM(CASE WHEN COALESCE(premium, FALSE) THEN amount ELSE 0 END) / SUM(amount) AS DECIMAL(18, 4)) AS share
    FROM canteen_purchases
    WHERE
      NOT purchase_date IS NULL AND NOT amount IS NULL
    GROUP BY
      school_uscc,
      SUBSTRING(CAST(purchase_date AS TEXT), 1, 7)
    HAVING
      SUM(amount) > 0
  ), ranked AS (
    SELECT
      period,
      share,
      ROW_NUMBER() OVER (PARTITION BY period ORDER BY share) AS rn,
      COUNT(*) OVER (PARTITION BY period) AS n
    FROM per_school
  ), med AS (
    SELECT
      period,
      AVG(share) AS median_share,
      MAX(n) AS peers
    FROM ranked
    WHERE
      rn = FLOOR((
        n + 1
      ) / 2.0) OR rn = CEIL((
        n + 1
      ) / 2.0)
    GROUP BY
      period
  )
  SELECT
    s.school_uscc,
    s.school_name,
    s.period,
    s.amount,
    s.premium_amount,
    CAST(100 * s.share AS DECIMAL(18, 1)) AS share_pct,
    CAST(100 * m.median_share AS DECIMAL(18, 1)) AS median_pct,
    m.peers
  FROM per_school AS s
  JOIN med AS m
    ON m.period = s.period
  WHERE
    m.peers >= 5 AND s.share > m.median_share + 0.2 AND s.share > m.median_share * 2
) AS m
