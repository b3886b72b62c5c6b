WITH b AS (
  SELECT
    b.tender_no,
    b.bidder_uscc,
    b.bid_price,
    COALESCE(CAST(b.disqualified AS STRING) IN ('true', '是', '1', 'Y'), FALSE) AS dq,
    t.winner_uscc,
    ROW_NUMBER() OVER (
      PARTITION BY b.tender_no
      ORDER BY b.bid_price NULLS LAST, b.bidder_uscc NULLS LAST
    ) AS price_rank
  FROM bids AS b
  JOIN tenders AS t
    ON t.tender_no = b.tender_no
  WHERE
    NOT t.winner_uscc IS NULL
), per_tender AS (
  SELECT
    tender_no,
    COUNT(DISTINCT bidder_uscc) AS bidders,
    SUM(CASE WHEN dq AND bidder_uscc <> winner_uscc THEN 1 ELSE 0 END) AS others_dq,
    SUM(CASE WHEN bidder_uscc <> winner_uscc THEN 1 ELSE 0 END) AS others,
    MAX(CASE WHEN price_rank = 1 AND dq THEN 1 ELSE 0 END) AS lowest_dq
  FROM b
  GROUP BY
    tender_no
)
SELECT
  CAST(tender_no AS STRING) AS __subject_id,
  CAST(project_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN others_dq = bidders - 1 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(CAST(winning_price AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  buyer_name,
  bidders,
  others_dq,
  reason,
  CAST(bidders AS STRING) AS __text_0,
  CAST(others_dq AS STRING) AS __text_1
FROM (
  SELECT
    t.tender_no,
    t.project_name,
    t.buyer_name,
    t.winning_price,
    p.bidders,
    p.others_dq,
    SUBSTRING(CAST(t.announce_date AS STRING), 1, 7) AS period,
    CASE
      WHEN p.others_dq = p.others AND p.bidders >= 3
      THEN '除中标人外其余投标全部被否决'
      ELSE '最低价投标被否决'
    END AS reason
  FROM per_tender AS p
  JOIN tenders AS t
    ON t.tender_no = p.tender_no
  WHERE
    p.lowest_dq = 1
    OR (
      p.bidders >= 3 AND p.others > 0 AND p.others_dq = p.others
    )
) AS m
