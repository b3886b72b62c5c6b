WITH counts AS (
  SELECT
    tender_no,
    COUNT(*) AS bids
  FROM bids
  GROUP BY
    tender_no
)
SELECT
  CAST(tender_no AS STRING) AS __subject_id,
  CAST(project_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CAST(CAST(budget AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  buyer_name,
  method,
  bids,
  CAST(announce_date AS STRING) AS announce_date,
  CAST(deadline_date AS STRING) AS deadline_date,
  days,
  reason
FROM (
  SELECT
    t.tender_no,
    t.project_name,
    t.buyer_name,
    t.method,
    t.budget,
    t.announce_date,
    t.deadline_date,
    COALESCE(c.bids, 0) AS bids,
    DATEDIFF(DAY, t.announce_date, t.deadline_date) AS days,
    SUBSTRING(CAST(t.announce_date AS STRING), 1, 7) AS period,
    CASE
      WHEN COALESCE(c.bids, 0) BETWEEN 1 AND 2
      THEN '仅' || CAST(c.bids AS STRING) || '家投标（不足三家应重新招标）'
      ELSE '投标期限仅' || CAST(DATEDIFF(DAY, t.announce_date, t.deadline_date) AS STRING) || '天'
    END AS reason
  FROM tenders AS t
  LEFT JOIN counts AS c
    ON c.tender_no = t.tender_no
  WHERE
    LOCATE(',' || t.method || ',', ',' || 'open,公开招标' || ',') > 0
    AND NOT t.announce_date IS NULL
    AND (
      COALESCE(c.bids, 0) BETWEEN 1 AND 2
      OR DATEDIFF(DAY, t.announce_date, t.deadline_date) < 20
    )
) AS m
