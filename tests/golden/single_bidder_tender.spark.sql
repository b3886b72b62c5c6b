SELECT
  CAST(tender_no AS STRING) AS __subject_id,
  CAST(project_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  'orange' AS __severity,
  CAST(winning_price AS DECIMAL(18, 2)) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  buyer_name,
  method,
  bidders,
  budget,
  winning_price,
  award_date
FROM (
  SELECT
    t.tender_no,
    t.project_name,
    t.buyer_name,
    t.method,
    t.budget,
    t.winning_price,
    t.award_date,
    COUNT(DISTINCT b.bidder_uscc) AS bidders,
    SUBSTRING(CAST(t.award_date AS STRING), 1, 7) AS period
  FROM tenders AS t
  JOIN bids AS b
    ON b.tender_no = t.tender_no
  WHERE
    NOT t.winner_uscc IS NULL
    AND (
      t.method IS NULL
      OR LOCATE(',' || t.method || ',', ',' || '单一来源,单一来源采购,直接委托,single_source' || ',') = 0
    )
  GROUP BY
    t.tender_no,
    t.project_name,
    t.buyer_name,
    t.method,
    t.budget,
    t.winning_price,
    t.award_date
  HAVING
    COUNT(DISTINCT b.bidder_uscc) <= 1
) AS m
