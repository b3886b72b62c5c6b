SELECT
  CAST(tender_no AS TEXT) AS __subject_id,
  CAST(project_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN same_bidders >= 2 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(winning_price AS DECIMAL(18, 2)) AS __amount,
  CAST(NULL AS TEXT) AS __division_code,
  buyer_name,
  winning_price,
  same_bidders,
  gap,
  reason
FROM (
  WITH priced AS (
    SELECT
      b.tender_no,
      b.bidder_uscc,
      b.bid_price,
      t.winner_uscc,
      t.winning_price
    FROM bids AS b
    JOIN tenders AS t
      ON t.tender_no = b.tender_no
    WHERE
      NOT b.bid_price IS NULL
  ), same_price AS (
    SELECT
      tender_no,
      MAX(n) AS same_bidders
    FROM (
      SELECT
        tender_no,
        bid_price,
        COUNT(DISTINCT bidder_uscc) AS n
      FROM priced
      GROUP BY
        tender_no,
        bid_price
    ) AS g
    WHERE
      n >= 2
    GROUP BY
      tender_no
  ), nearest AS (
    SELECT
      tender_no,
      MIN(ABS(bid_price - winning_price)) AS gap
    FROM priced
    WHERE
      NOT winner_uscc IS NULL AND bidder_uscc <> winner_uscc AND winning_price > 0
    GROUP BY
      tender_no
  )
  SELECT
    t.tender_no,
    t.project_name,
    t.buyer_name,
    t.winning_price,
    SUBSTRING(CAST(COALESCE(t.award_date, t.announce_date) AS TEXT), 1, 7) AS period,
    COALESCE(s.same_bidders, 0) AS same_bidders,
    n.gap,
    CASE
      WHEN NOT s.same_bidders IS NULL
      THEN '不同投标人报价完全相同'
      ELSE '次近报价与中标价仅差' || CAST(n.gap AS TEXT) || '元'
    END AS reason
  FROM tenders AS t
  LEFT JOIN same_price AS s
    ON s.tender_no = t.tender_no
  LEFT JOIN nearest AS n
    ON n.tender_no = t.tender_no
  WHERE
    NOT s.same_bidders IS NULL
    OR (
      NOT n.gap IS NULL AND n.gap <= t.winning_price * 0.002
    )
) AS m
