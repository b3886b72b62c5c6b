WITH valid AS (
  SELECT
    tender_no,
    bidder_uscc,
    bid_price
  FROM bids
  WHERE
    NOT bid_price IS NULL AND COALESCE(disqualified, FALSE) = FALSE
), per_tender AS (
  SELECT
    t.tender_no,
    t.project_name,
    t.buyer_name,
    t.method,
    t.category,
    t.announce_date,
    MIN(CASE WHEN v.bidder_uscc = t.winner_uscc THEN v.bid_price END) AS winning_bid,
    MIN(CASE WHEN v.bidder_uscc <> t.winner_uscc THEN v.bid_price END) AS second_bid,
    MIN(v.bid_price) AS lowest_bid
  FROM tenders AS t
  JOIN valid AS v
    ON v.tender_no = t.tender_no
  WHERE
    NOT t.winner_uscc IS NULL AND NOT t.announce_date IS NULL
  GROUP BY
    t.tender_no,
    t.project_name,
    t.buyer_name,
    t.method,
    t.category,
    t.announce_date
), gaps AS (
  SELECT
    tender_no,
    project_name,
    buyer_name,
    announce_date,
    winning_bid,
    second_bid,
    CAST(second_bid - winning_bid AS DOUBLE) / CAST(winning_bid AS DOUBLE) AS difference,
    CASE
      WHEN 'all' = 'method'
      THEN COALESCE(method, '')
      WHEN 'all' = 'category'
      THEN COALESCE(category, '')
      WHEN 'all' = 'year'
      THEN CAST(YEAR(announce_date) AS STRING)
      WHEN 'all' = 'method_category_year'
      THEN COALESCE(method, '') || '|' || COALESCE(category, '') || '|' || CAST(YEAR(announce_date) AS STRING)
      ELSE 'all'
    END AS grp
  FROM per_tender
  WHERE
    winning_bid > 0 AND NOT second_bid IS NULL AND winning_bid <= lowest_bid
), ranked AS (
  SELECT
    grp,
    difference,
    ROW_NUMBER() OVER (PARTITION BY grp ORDER BY difference NULLS LAST) - 1 AS i,
    COUNT(*) OVER (PARTITION BY grp) AS n
  FROM gaps
), quartiles AS (
  SELECT
    grp,
    MAX(CASE WHEN i = FLOOR((
      n - 1
    ) * 0.25) THEN difference END) AS q1_lo,
    MAX(CASE WHEN i = FLOOR((
      n - 1
    ) * 0.25) + 1 THEN difference END) AS q1_hi,
    MAX((
      n - 1
    ) * 0.25 - FLOOR((
      n - 1
    ) * 0.25)) AS q1_w,
    MAX(CASE WHEN i = FLOOR((
      n - 1
    ) * 0.75) THEN difference END) AS q3_lo,
    MAX(CASE WHEN i = FLOOR((
      n - 1
    ) * 0.75) + 1 THEN difference END) AS q3_hi,
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
    q1_lo + q1_w * (
      COALESCE(q1_hi, q1_lo) - q1_lo
    ) AS q1,
    q3_lo + q3_w * (
      COALESCE(q3_hi, q3_lo) - q3_lo
    ) AS q3
  FROM quartiles
), flagged AS (
  SELECT
    g.tender_no,
    g.project_name,
    g.buyer_name,
    g.announce_date,
    g.winning_bid,
    g.second_bid,
    g.difference,
    f.q1,
    f.q3,
    CASE WHEN -1 >= 0 THEN -1 ELSE f.q1 - 1.5 * (
      f.q3 - f.q1
    ) END AS fence
  FROM gaps AS g
  JOIN fences AS f
    ON f.grp = g.grp
)
SELECT
  CAST(tender_no AS STRING) AS __subject_id,
  CAST(project_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CAST(CAST(winning_bid AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  buyer_name,
  winning_bid,
  second_bid,
  difference_pct,
  fence_pct,
  CAST(winning_bid AS STRING) AS __text_0,
  CAST(second_bid AS STRING) AS __text_1,
  CAST(difference_pct AS STRING) AS __text_2,
  CAST(fence_pct AS STRING) AS __text_3
FROM (
  SELECT
    tender_no,
    project_name,
    buyer_name,
    winning_bid,
    second_bid,
    CAST(ROUND(100 * difference, 2) AS DECIMAL(18, 2)) AS difference_pct,
    CAST(ROUND(100 * fence, 2) AS DECIMAL(18, 2)) AS fence_pct,
    SUBSTRING(CAST(announce_date AS STRING), 1, 7) AS period
  FROM flagged
  WHERE
    difference <= fence
    AND /* beyond the quartile too: a middle half of one value puts the fence on it */ (
      -1 >= 0 OR difference < q1
    )
) AS m
