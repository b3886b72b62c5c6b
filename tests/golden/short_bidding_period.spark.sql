SELECT
  CAST(tender_no AS STRING) AS __subject_id,
  CAST(project_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN days < 20 / 2 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(budget AS DECIMAL(18, 2)) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  buyer_name,
  method,
  announce_date,
  deadline_date,
  days,
  min_days
FROM (
  SELECT
    tender_no,
    project_name,
    buyer_name,
    method,
    budget,
    announce_date,
    deadline_date,
    DATEDIFF(DAY, announce_date, deadline_date) AS days,
    20 AS min_days,
    SUBSTRING(CAST(announce_date AS STRING), 1, 7) AS period
  FROM tenders
  WHERE
    NOT announce_date IS NULL
    AND NOT deadline_date IS NULL
    AND DATEDIFF(DAY, announce_date, deadline_date) < 20
    AND (
      method IS NULL
      OR LOCATE(
        ',' || method || ',',
        ',' || '公开招标,邀请招标,open,invited,open_tender,invited_tender' || ','
      ) > 0
    )
) AS m
