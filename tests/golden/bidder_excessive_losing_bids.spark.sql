WITH valid AS (
  SELECT
    b.tender_no,
    b.bidder_uscc,
    MIN(b.bidder_name) AS bidder_name,
    MAX(CASE WHEN b.bidder_uscc = t.winner_uscc THEN 1 ELSE 0 END) AS won,
    CASE
      WHEN 'all' = 'year'
      THEN CAST(YEAR(MIN(t.announce_date)) AS STRING)
      ELSE 'all'
    END AS grp
  FROM bids AS b
  JOIN tenders AS t
    ON t.tender_no = b.tender_no
  WHERE
    COALESCE(b.disqualified, FALSE) = FALSE
    AND NOT t.winner_uscc IS NULL
    AND (
      'all' = 'all' OR NOT t.announce_date IS NULL
    )
  GROUP BY
    b.tender_no,
    b.bidder_uscc
), per_bidder AS (
  SELECT
    grp,
    bidder_uscc,
    MIN(bidder_name) AS bidder_name,
    COUNT(*) AS valid_bids,
    SUM(won) AS wins,
    CAST(SUM(won) AS DOUBLE) / COUNT(*) AS ratio
  FROM valid
  GROUP BY
    grp,
    bidder_uscc
), ranked AS (
  SELECT
    grp,
    valid_bids,
    ratio,
    ROW_NUMBER() OVER (PARTITION BY grp ORDER BY valid_bids NULLS LAST) - 1 AS i_bids,
    ROW_NUMBER() OVER (PARTITION BY grp ORDER BY ratio NULLS LAST) - 1 AS i_ratio,
    COUNT(*) OVER (PARTITION BY grp) AS n
  FROM per_bidder
), positions AS (
  SELECT
    grp,
    MAX(n) AS n,
    MAX(CASE WHEN i_bids = FLOOR((
      n - 1
    ) * 75 / 100.0) THEN valid_bids END) AS p_lo,
    MAX(CASE WHEN i_bids = FLOOR((
      n - 1
    ) * 75 / 100.0) + 1 THEN valid_bids END) AS p_hi,
    MAX((
      n - 1
    ) * 75 / 100.0 - FLOOR((
      n - 1
    ) * 75 / 100.0)) AS p_w,
    MAX(CASE WHEN i_ratio = FLOOR((
      n - 1
    ) * 0.25) THEN ratio END) AS q1_lo,
    MAX(CASE WHEN i_ratio = FLOOR((
      n - 1
    ) * 0.25) + 1 THEN ratio END) AS q1_hi,
    MAX((
      n - 1
    ) * 0.25 - FLOOR((
      n - 1
    ) * 0.25)) AS q1_w,
    MAX(CASE WHEN i_ratio = FLOOR((
      n - 1
    ) * 0.75) THEN ratio END) AS q3_lo,
    MAX(CASE WHEN i_ratio = FLOOR((
      n - 1
    ) * 0.75) + 1 THEN ratio END) AS q3_hi,
    MAX((
      n - 1
    ) * 0.75 - FLOOR((
      n - 1
    ) * 0.75)) AS q3_w
  FROM ranked
  GROUP BY
    grp
), fences AS (
  SELECT
    grp,
    p_lo + p_w * (
      COALESCE(p_hi, p_lo) - p_lo
    ) AS top_bids,
    q1_lo + q1_w * (
      COALESCE(q1_hi, q1_lo) - q1_lo
    ) AS q1,
    q3_lo + q3_w * (
      COALESCE(q3_hi, q3_lo) - q3_lo
    ) AS q3
  FROM positions
), flagged AS (
  SELECT
    p.grp,
    p.bidder_uscc,
    p.bidder_name,
    p.valid_bids,
    p.wins,
    p.ratio,
    f.top_bids,
    f.q1,
    CASE WHEN -1 >= 0 THEN -1 ELSE f.q1 - 1.5 * (
      f.q3 - f.q1
    ) END AS fence
  FROM per_bidder AS p
  JOIN fences AS f
    ON f.grp = p.grp
)
SELECT
  CAST(bidder_uscc AS STRING) AS __subject_id,
  CAST(bidder_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CAST(NULL AS STRING) AS __division_code,
  valid_bids,
  wins,
  win_pct,
  top_bids,
  fence_pct,
  CAST(valid_bids AS STRING) AS __text_0,
  CAST(top_bids AS STRING) AS __text_1,
  CAST(wins AS STRING) AS __text_2,
  CAST(win_pct AS STRING) AS __text_3,
  CAST(fence_pct AS STRING) AS __text_4
FROM (
  SELECT
    bidder_uscc,
    bidder_name,
    valid_bids,
    wins,
    CAST(ROUND(100 * ratio, 2) AS DECIMAL(18, 2)) AS win_pct,
    CAST(ROUND(top_bids, 2) AS DECIMAL(18, 2)) AS top_bids,
    CAST(ROUND(100 * fence, 2) AS DECIMAL(18, 2)) AS fence_pct,
    grp AS period
  FROM flagged
  WHERE
    valid_bids >= top_bids AND ratio <= fence AND (
      -1 >= 0 OR ratio < q1
    )
) AS m
