SELECT
  CAST(plate_no AS TEXT) AS __subject_id,
  CAST(plate_no AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN is_serious THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(NULL AS TEXT) AS __division_code,
  CAST(org_uscc AS TEXT) AS __route_0,
  trip_no,
  org_uscc,
  start_time,
  end_time,
  destination,
  destination_type,
  purpose,
  mileage,
  reason,
  CAST(plate_no AS TEXT) AS __text_0,
  CAST(start_time AS TEXT) AS __text_1
FROM (
  WITH t AS (
    SELECT
      trip_no,
      plate_no,
      org_uscc,
      start_time,
      end_time,
      destination,
      destination_type,
      purpose,
      mileage,
      CAST(CAST(start_time AS DATE) AS TEXT) AS day_text,
      EXTRACT(HOUR FROM start_time) AS start_hour,
      DATE_DIFF('DAY', CAST('1970-01-05' AS DATE), CAST(start_time AS DATE)) /* 1970-01-05 was a Monday: 0 = Monday ... 6 = Sunday, the same on every engine */ % 7 AS weekday
    FROM official_car_trips
    WHERE
      NOT start_time IS NULL
      AND NOT plate_no IS NULL
      AND (
        NOT TRUE
        OR purpose IS NULL
        OR NOT REGEXP_MATCHES(purpose, '应急|防汛|抢险|救灾|值班|急救|疫情|火灾|事故处置')
      )
  ), flagged AS (
    SELECT
      trip_no,
      plate_no,
      org_uscc,
      start_time,
      end_time,
      destination,
      destination_type,
      purpose,
      mileage,
      day_text,
      start_hour /* night is when the car leaves: a day trip returning late is not a night trip */ >= 22
      OR start_hour < 6 AS is_night,
      STRPOS(
        ',' || '2023-01-01,2023-01-02,2023-01-21,2023-01-22,2023-01-23,2023-01-24,2023-01-25,2023-01-26,2023-01-27,2023-04-05,2023-04-29,2023-04-30,2023-05-01,2023-05-02,2023-05-03,2023-06-22,2023-06-23,2023-06-24,2023-09-29,2023-09-30,2023-10-01,2023-10-02,2023-10-03,2023-10-04,2023-10-05,2023-10-06,2023-12-30,2023-12-31,2024-01-01,2024-02-10,2024-02-11,2024-02-12,2024-02-13,2024-02-14,2024-02-15,2024-02-16,2024-02-17,2024-04-04,2024-04-05,2024-04-06,2024-05-01,2024-05-02,2024-05-03,2024-05-04,2024-05-05,2024-06-08,2024-06-09,2024-06-10,2024-09-15,2024-09-16,2024-09-17,2024-10-01,2024-10-02,2024-10-03,2024-10-04,2024-10-05,2024-10-06,2024-10-07,2025-01-01,2025-01-28,2025-01-29,2025-01-30,2025-01-31,2025-02-01,2025-02-02,2025-02-03,2025-02-04,2025-04-04,2025-04-05,2025-04-06,2025-05-01,2025-05-02,2025-05-03,2025-05-04,2025-05-05,2025-05-31,2025-06-01,2025-06-02,2025-10-01,2025-10-02,2025-10-03,2025-10-04,2025-10-05,2025-10-06,2025-10-07,2025-10-08,2026-01-01,2026-01-02,2026-01-03,2026-02-15,2026-02-16,2026-02-17,2026-02-18,2026-02-19,2026-02-20,2026-02-21,2026-02-22,2026-02-23,2026-04-04,2026-04-05,2026-04-06,2026-05-01,2026-05-02,2026-05-03,2026-05-04,2026-05-05,2026-06-19,2026-06-20,2026-06-21,2026-09-25,2026-09-26,2026-09-27,2026-10-01,2026-10-02,2026-10-03,2026-10-04,2026-10-05,2026-10-06,2026-10-07' || ',',
        ',' || day_text || ','
      ) > 0 AS is_holiday,
      weekday >= 5
      AND STRPOS(
        ',' || '2023-01-28,2023-01-29,2023-04-23,2023-05-06,2023-06-25,2023-10-07,2023-10-08,2024-02-04,2024-02-18,2024-04-07,2024-04-28,2024-05-11,2024-09-14,2024-09-29,2024-10-12,2025-01-26,2025-02-08,2025-04-27,2025-09-28,2025-10-11,2026-01-04,2026-02-14,2026-02-28,2026-05-09,2026-09-20,2026-10-10' || ',',
        ',' || day_text || ','
      ) = 0 AS is_weekend,
      NOT destination_type IS NULL
      AND STRPOS(
        ',' || 'scenic,entertainment,旅游景区,风景名胜区,景区,旅游景点' || ',',
        ',' || destination_type || ','
      ) > 0 AS is_scenic,
      NOT destination_type IS NULL
      AND STRPOS(',' || 'residential' || ',', ',' || destination_type || ',') > 0 AS is_residential
    FROM t
  )
  SELECT
    trip_no,
    plate_no,
    org_uscc,
    start_time,
    end_time,
    destination,
    destination_type,
    purpose,
    mileage,
    day_text AS period,
    is_scenic
    OR (
      is_residential AND (
        is_night OR is_holiday OR is_weekend
      )
    ) AS is_serious,
    CASE
      WHEN is_scenic
      THEN '目的地为' || destination_type
      WHEN is_residential AND is_night
      THEN '夜间开往住宅区'
      WHEN is_residential
      THEN '节假日开往住宅区'
      WHEN is_night
      THEN '夜间出车'
      WHEN is_holiday
      THEN '法定节假日出车'
      ELSE '周末出车'
    END AS reason
  FROM flagged
  WHERE
    is_night OR is_holiday OR is_weekend OR is_scenic
) AS m
