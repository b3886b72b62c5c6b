SELECT
  CAST(tender_no AS STRING) AS __subject_id,
  CAST(project_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN age_days < 0 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(CAST(winning_price AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  buyer_name,
  winner_name,
  CAST(established_date AS STRING) AS established_date,
  CAST(announce_date AS STRING) AS announce_date,
  age_days,
  CAST(age_days AS STRING) AS __text_0
FROM (
  SELECT
    t.tender_no,
    t.project_name,
    t.buyer_name,
    t.winning_price,
    t.announce_date,
    c.name AS winner_name,
    c.established_date,
    DATEDIFF(DAY, c.established_date, t.announce_date) AS age_days,
    SUBSTRING(CAST(t.announce_date AS STRING), 1, 7) AS period
  FROM tenders AS t
  JOIN companies AS c
    ON c.uscc = t.winner_uscc
  WHERE
    NOT t.announce_date IS NULL
    AND NOT c.established_date IS NULL
    AND DATEDIFF(DAY, c.established_date, t.announce_date) < 180
) AS m
