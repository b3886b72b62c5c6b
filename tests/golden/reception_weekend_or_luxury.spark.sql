WITH r AS (
  SELECT
    reception_no,
    org_uscc,
    reception_date,
    venue,
    venue_type,
    guests,
    total_cost,
    NULLIF(TRIM(approval_no), '') AS approval_no,
    CAST(reception_date AS STRING) AS day_text,
    DATEDIFF(DAY, CAST('1970-01-05' AS DATE), reception_date) /* 1970-01-05 was a Monday: 0 = Monday ... 6 = Sunday, the same on every engine */ % 7 AS weekday
  FROM official_receptions
  WHERE
    NOT reception_date IS NULL
), flagged AS (
  SELECT
    reception_no,
    org_uscc,
    reception_date,
    venue,
    venue_type,
    guests,
    total_cost,
    day_text,
    LOCATE(
      ',' || day_text || ',',
      ',' || '2023-01-01,2023-01-02,2023-01-21,2023-01-22,2023-01-23,2023-01-24,2023-01-25,2023-01-26,2023-01-27,2023-04-05,2023-04-29,2023-04-30,2023-05-01,2023-05-02,2023-05-03,2023-06-22,2023-06-23,2023-06-24,2023-09-29,2023-09-30,2023-10-01,2023-10-02,2023-10-03,2023-10-04,2023-10-05,2023-10-06,2023-12-30,2023-12-31,2024-01-01,2024-02-10,2024-02-11,2024-02-12,2024-02-13,2024-02-14,2024-02-15,2024-02-16,2024-02-17,2024-04-04,2024-04-05,2024-04-06,2024-05-01,2024-05-02,2024-05-03,2024-05-04,2024-05-05,2024-06-08,2024-06-09,2024-06-10,2024-09-15,2024-09-16,2024-09-17,2024-10-01,2024-10-02,2024-10-03,2024-10-04,2024-10-05,2024-10-06,2024-10-07,2025-01-01,2025-01-28,2025-01-29,2025-01-30,2025-01-31,2025-02-01,2025-02-02,2025-02-03,2025-02-04,2025-04-04,2025-04-05,2025-04-06,2025-05-01,2025-05-02,2025-05-03,2025-05-04,2025-05-05,2025-05-31,2025-06-01,2025-06-02,2025-10-01,2025-10-02,2025-10-03,2025-10-04,2025-10-05,2025-10-06,2025-10-07,2025-10-08,2026-01-01,2026-01-02,2026-01-03,2026-02-15,2026-02-16,2026-02-17,2026-02-18,2026-02-19,2026-02-20,2026-02-21,2026-02-22,2026-02-23,2026-04-04,2026-04-05,2026-04-06,2026-05-01,2026-05-02,2026-05-03,2026-05-04,2026-05-05,2026-06-19,2026-06-20,2026-06-21,2026-09-25,2026-09-26,2026-09-27,2026-10-01,2026-10-02,2026-10-03,2026-10-04,2026-10-05,2026-10-06,2026-10-07' || ','
    ) > 0 AS is_holiday,
    weekday >= 5
    AND LOCATE(
      ',' || day_text || ',',
      ',' || '2023-01-28,2023-01-29,2023-04-23,2023-05-06,2023-06-25,2023-10-07,2023-10-08,2024-02-04,2024-02-18,2024-04-07,2024-04-28,2024-05-11,2024-09-14,2024-09-29,2024-10-12,2025-01-26,2025-02-08,2025-04-27,2025-09-28,2025-10-11,2026-01-04,2026-02-14,2026-02-28,2026-05-09,2026-09-20,2026-10-10' || ','
    ) = 0 AS is_weekend,
    NOT venue_type IS NULL
    AND LOCATE(
      ',' || venue_type || ',',
      ',' || '旅游景区,风景名胜区,景区,高档会所,私人会所,会所,度假村,scenic,entertainment' || ','
    ) > 0 AS is_luxury,
    approval_no IS NULL AS no_approval,
    COALESCE(LOCATE(',' || venue_type || ',', ',' || 'canteen,hotel' || ','), 0) = 0 AS unapproved_venue
  FROM r
)
SELECT
  CAST(reception_no AS STRING) AS __subject_id,
  CAST(NULL AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN is_luxury THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(CAST(total_cost AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  CAST(org_uscc AS STRING) AS __route_0,
  org_uscc,
  CAST(reception_date AS STRING) AS reception_date,
  venue,
  venue_type,
  guests,
  CAST(total_cost AS STRING) AS total_cost,
  reason
FROM (
  SELECT
    reception_no,
    org_uscc,
    reception_date,
    venue,
    venue_type,
    guests,
    total_cost,
    SUBSTRING(day_text, 1, 7) AS period,
    is_luxury,
    CASE
      WHEN is_luxury
      THEN '接待场所为' || venue_type
      ELSE CASE WHEN is_holiday THEN '法定节假日' ELSE '周末' END || CASE WHEN no_approval THEN '接待且无公函/审批单' ELSE '在非定点场所接待' END
    END AS reason
  FROM flagged
  WHERE
    is_luxury
    OR (
      (
        is_holiday OR is_weekend
      ) AND (
        no_approval OR unapproved_venue
      )
    )
) AS m
