WITH small AS (
  SELECT
    tender_no,
    buyer_uscc,
    buyer_name,
    winner_uscc,
    award_date,
    winning_price
  FROM tenders
  WHERE
    NOT winner_uscc IS NULL
    AND NOT award_date IS NULL
    AND NOT winning_price IS NULL
    AND winning_price < 1000000
), windows AS (
  SELECT
    a.buyer_uscc,
    a.buyer_name,
    a.winner_uscc,
    a.award_date AS window_start,
    COUNT(*) AS contracts,
    SUM(b.winning_price) AS total
  FROM small AS a
  JOIN small AS b
    ON b.buyer_uscc = a.buyer_uscc
    AND b.winner_uscc = a.winner_uscc
    AND DATEDIFF(DAY, a.award_date, b.award_date) BETWEEN 0 AND 90
  GROUP BY
    a.tender_no,
    a.buyer_uscc,
    a.buyer_name,
    a.winner_uscc,
    a.award_date
  HAVING
    COUNT(*) >= 2 AND SUM(b.winning_price) >= 1000000
), first_window AS (
  SELECT
    buyer_uscc,
    buyer_name,
    winner_uscc,
    window_start,
    contracts,
    total,
    ROW_NUMBER() OVER (PARTITION BY buyer_uscc, winner_uscc ORDER BY window_start NULLS LAST) AS k
  FROM windows
)
SELECT
  CAST(buyer_uscc AS STRING) AS __subject_id,
  CAST(buyer_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN total >= 1000000 * 2 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(CAST(total AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  winner_uscc,
  CAST(window_start AS STRING) AS window_start,
  contracts,
  CAST(total AS STRING) AS total,
  CAST(contracts AS STRING) AS __text_0
FROM (
  SELECT
    buyer_uscc,
    buyer_name,
    winner_uscc,
    window_start,
    contracts,
    total,
    SUBSTRING(CAST(window_start AS STRING), 1, 7) AS period
  FROM first_window
  WHERE
    k = 1
) AS m
