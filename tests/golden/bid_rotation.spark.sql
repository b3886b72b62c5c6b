WITH losses AS (
  SELECT
    b.bidder_uscc,
    b.bidder_name,
    t.winner_uscc,
    t.tender_no,
    t.announce_date,
    ROW_NUMBER() OVER (
      PARTITION BY b.bidder_uscc, t.winner_uscc
      ORDER BY t.announce_date NULLS LAST, t.tender_no NULLS LAST
    ) AS n
  FROM bids AS b
  JOIN tenders AS t
    ON t.tender_no = b.tender_no
  WHERE
    NOT t.winner_uscc IS NULL
    AND NOT t.announce_date IS NULL
    AND b.bidder_uscc <> t.winner_uscc
), totals AS (
  SELECT
    bidder_uscc,
    winner_uscc,
    COUNT(*) AS total_losses
  FROM losses
  GROUP BY
    bidder_uscc,
    winner_uscc
)
SELECT
  CAST(bidder_uscc AS STRING) AS __subject_id,
  CAST(bidder_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CAST(NULL AS STRING) AS __division_code,
  winner_uscc,
  total_losses,
  CAST(announce_date AS STRING) AS announce_date,
  CAST(total_losses AS STRING) AS __text_0
FROM (
  SELECT
    l.bidder_uscc,
    l.bidder_name,
    l.winner_uscc,
    l.announce_date,
    tl.total_losses,
    SUBSTRING(CAST(l.announce_date AS STRING), 1, 7) AS period
  FROM losses AS l
  JOIN totals AS tl
    ON tl.bidder_uscc = l.bidder_uscc AND tl.winner_uscc = l.winner_uscc
  WHERE
    l.n = 3
) AS m
