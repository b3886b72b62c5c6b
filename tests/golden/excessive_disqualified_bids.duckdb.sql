SELECT
  CAST(org_uscc AS TEXT) AS __subject_id,
  CAST(org_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CAST(NULL AS TEXT) AS __division_code,
  role,
  bids,
  disqualified_bids,
  ratio_pct,
  fence_pct,
  CAST(bids AS TEXT) AS __text_0,
  CAST(disqualified_bids AS TEXT) AS __text_1,
  CAST(ratio_pct AS TEXT) AS __text_2,
  CAST(fence_pct AS TEXT) AS __text_3
FROM (
  WITH submitted AS (
    SELECT
      b.tender_no,
      b.bidder_uscc,
      b.bidder_name,
      t.buyer_uscc,
      t.buyer_name,
      CASE WHEN COALESCE(b.disqualified, FALSE) THEN 1 ELSE 0 END AS dq,
      CASE WHEN 'all' = 'year' THEN CAST(YEAR(t.announce_date) AS TEXT) ELSE 'all' END AS grp
    FROM bids AS b
    JOIN tenders AS t
      ON t.tender_no = b.tender_no
    WHERE
      'all' = 'all' OR NOT t.announce_date IS NULL
  ), ratios AS (
    SELECT
      grp,
      '采购人' AS role,
      buyer_uscc AS org_uscc,
      MIN(buyer_name) AS org_name,
      COUNT(*) AS bids,
      SUM(dq) AS disqualified_bids,
      CAST(SUM(dq) AS DOUBLE) / COUNT(*) AS ratio
    FROM submitted
    WHERE
      NOT buyer_uscc IS NULL
    GROUP BY
      grp,
      buyer_uscc
    HAVING
      COUNT(DISTINCT tender_no) >= 2
    UNION ALL
    SELECT
      grp,
      '投标人' AS role,
      bidder_uscc AS org_uscc,
      MIN(bidder_name) AS org_name,
      COUNT(*) AS bids,
      SUM(dq) AS disqualified_bids,
      CAST(SUM(dq) AS DOUBLE) / COUNT(*) AS ratio
    FROM submitted
    GROUP BY
      grp,
      bidder_uscc
    HAVING
      COUNT(*) >= 2
  ), ranked AS (
    SELECT
      grp,
      role,
      ratio,
      ROW_NUMBER() OVER (PARTITION BY grp, role ORDER BY ratio) - 1 AS i,
      COUNT(*) OVER (PARTITION BY grp, role) AS n
    FROM ratios
  ), quartiles AS (
    SELECT
      grp,
      role,
      MAX(CASE WHEN i = FLOOR((
        n - 1
      ) * 0.25) THEN ratio END) AS q1_lo,
      MAX(CASE WHEN i = FLOOR((
        n - 1
      ) * 0.25) + 1 THEN ratio END) AS q1_hi,
      MAX((
        n - 1
      ) * 0.25 - FLOOR((
        n - 1
      ) * 0.25)) AS q1_w,
      MAX(CASE WHEN i = FLOOR((
        n - 1
      ) * 0.75) THEN ratio END) AS q3_lo,
      MAX(CASE WHEN i = FLOOR((
        n - 1
      ) * 0.75) + 1 THEN ratio END) AS q3_hi,
      MAX((
        n - 1
      ) * 0.75 - FLOOR((
        n - 1
      ) * 0.75)) AS q3_w
    FROM ranked
    GROUP BY
      grp,
      role
  ), fences AS (
    SELECT
      grp,
      role,
      q1_lo + q1_w * (
        COALESCE(q1_hi, q1_lo) - q1_lo
      ) AS q1,
      q3_lo + q3_w * (
        COALESCE(q3_hi, q3_lo) - q3_lo
      ) AS q3
    FROM quartiles
  ), flagged AS (
    SELECT
      r.grp,
      r.role,
      r.org_uscc,
      r.org_name,
      r.bids,
      r.disqualified_bids,
      r.ratio,
      f.q3,
      CASE WHEN -1 >= 0 THEN -1 ELSE f.q3 + 1.5 * (
        f.q3 - f.q1
      ) END AS fence
    FROM ratios AS r
    JOIN fences AS f
      ON f.role = r.role AND f.grp = r.grp
  )
  SELECT
    role,
    org_uscc,
    org_name,
    bids,
    disqualified_bids,
    CAST(ROUND(100 * ratio, 2) AS DECIMAL(18, 2)) AS ratio_pct,
    CAST(ROUND(100 * fence, 2) AS DECIMAL(18, 2)) AS fence_pct,
    grp AS period
  FROM flagged
  WHERE
    ratio >= fence AND (
      -1 >= 0 OR ratio > q3
    )
) AS m
