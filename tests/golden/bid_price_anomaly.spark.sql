WITH same_price AS (
  SELECT
    tender_no,
    MAX(n) AS same_bids
  FROM (
    SELECT
      tender_no,
      bid_price,
      COUNT(*) AS n
    FROM bids
    WHERE
      NOT bid_price IS NULL
    GROUP BY
      tender_no,
      bid_price
  ) AS g
  WHERE
    n >= 2
  GROUP BY
    tender_no
), next_above AS (
  SELECT
    b.tender_no,
    MIN(b.bid_price) - MIN(t.winning_price) AS gap
  FROM bids AS b
  JOIN tenders AS t
    ON t.tender_no = b.tender_no
  WHERE
    b.bid_price > t.winning_price
  GROUP BY
    b.tender_no
), flagged AS (
  SELECT
    t.tender_no,
    t.project_name,
    t.buyer_name,
    t.budget,
    t.winning_price,
    t.announce_date,
    s.same_bids,
    n.gap,
    NOT s.same_bids IS NULL AS equal_prices,
    NOT n.gap IS NULL AND t.winning_price > 0 AND n.gap < t.winning_price * 0.001 AS too_close,
    t.budget > 0 AND t.winning_price < t.budget * 0.7 AS too_low
  FROM tenders AS t
  LEFT JOIN same_price AS s
    ON s.tender_no = t.tender_no
  LEFT JOIN next_above AS n
    ON n.tender_no = t.tender_no
  WHERE
    NOT t.announce_date IS NULL
)
SELECT
  CAST(tender_no AS STRING) AS __subject_id,
  CAST(project_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN equal_prices THEN 'red' ELSE 'orange' END AS __severity,
  CAST(CAST(winning_price AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  buyer_name,
  CAST(budget AS STRING) AS budget,
  CAST(winning_price AS STRING) AS winning_price,
  same_bids,
  CAST(gap AS STRING) AS gap,
  reason
FROM (
  SELECT
    tender_no,
    project_name,
    buyer_name,
    budget,
    winning_price,
    same_bids,
    gap,
    equal_prices,
    SUBSTRING(CAST(announce_date AS STRING), 1, 7) AS period,
    CASE
      WHEN equal_prices
      THEN '不同投标人报价完全相同'
      WHEN too_close
      THEN '次高报价与中标价仅差' || CAST(gap AS STRING) || '元'
      ELSE '中标价' || CAST(winning_price AS STRING) || '元远低于预算' || CAST(budget AS STRING) || '元'
    END AS reason
  FROM flagged
  WHERE
    equal_prices OR too_close OR too_low
) AS m
