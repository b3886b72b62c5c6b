WITH r AS (
  SELECT
    reception_no,
    org_uscc,
    reception_date,
    venue,
    guests,
    staff,
    total_cost,
    approval_no,
    CAST(total_cost / NULLIF(guests + COALESCE(staff, 0), 0) AS DECIMAL(18, 2)) AS per_head
  FROM official_receptions
  WHERE
    NOT guests IS NULL AND guests > 0
)
SELECT
  CAST(reception_no AS STRING) AS __subject_id,
  CAST(NULL AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN per_head > 120 * 2 OR approval_no IS NULL THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(CAST(total_cost AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  CAST(org_uscc AS STRING) AS __route_0,
  org_uscc,
  CAST(reception_date AS STRING) AS reception_date,
  venue,
  guests,
  staff,
  total_cost,
  per_head,
  approval_no,
  reason,
  CAST(guests AS STRING) AS __text_0,
  CAST(staff AS STRING) AS __text_1,
  CAST(total_cost AS STRING) AS __text_2
FROM (
  SELECT
    reception_no,
    org_uscc,
    reception_date,
    venue,
    guests,
    staff,
    total_cost,
    approval_no,
    per_head,
    SUBSTRING(CAST(reception_date AS STRING), 1, 7) AS period,
    CASE
      WHEN approval_no IS NULL OR TRIM(approval_no) = ''
      THEN '无公函（审批单）'
      WHEN per_head > 120
      THEN '人均' || CAST(per_head AS STRING) || '元，超过标准'
      ELSE '陪餐' || CAST(staff AS STRING) || '人，超过规定'
    END AS reason
  FROM r
  WHERE
    approval_no IS NULL
    OR TRIM(approval_no) = ''
    OR per_head > 120
    OR (
      FALSE
      AND COALESCE(staff, 0) > CASE WHEN guests <= 10 THEN 3 ELSE guests / 3.0 END
    )
) AS m
