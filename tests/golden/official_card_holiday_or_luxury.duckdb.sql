SELECT
  CAST(txn_no AS TEXT) AS __subject_id,
  CAST(NULL AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN luxury THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS TEXT) AS __amount,
  CAST(NULL AS TEXT) AS __division_code,
  CAST(org_uscc AS TEXT) AS __route_0,
  card_type,
  org_name,
  holder_name,
  plate_no,
  txn_time,
  merchant,
  CAST(amount AS TEXT) AS amount,
  reason,
  CAST(txn_time AS TEXT) AS __text_0
FROM (
  WITH t AS (
    SELECT
      txn_no,
      card_type,
      org_uscc,
      org_name,
      holder_name,
      plate_no,
      txn_time,
      merchant,
      merchant_category,
      amount,
      NULLIF(TRIM(purpose), '') AS purpose,
      CAST(txn_time AS DATE) AS txn_day,
      CAST(CAST(txn_time AS DATE) AS TEXT) AS day_text,
      DATE_DIFF('DAY', CAST('1970-01-05' AS DATE), CAST(txn_time AS DATE)) /* 1970-01-05 was a Monday: 0 = Monday ... 6 = Sunday, the same on every engine */ % 7 AS weekday,
      REGEXP_MATCHES(COALESCE(card_type, ''), '加油|油卡|ETC|etc|通行') AS vehicle_card
    FROM official_card_transactions
    WHERE
      NOT txn_time IS NULL
  ), days AS (
    SELECT
      t.*,
      STRPOS(
        ',' || '2023-01-01,2023-01-02,2023-01-21,2023-01-22,2023-01-23,2023-01-24,2023-01-25,2023-01-26,2023-01-27,2023-04-05,2023-04-29,2023-04-30,2023-05-01,2023-05-02,2023-05-03,2023-06-22,2023-06-23,2023-06-24,2023-09-29,2023-09-30,2023-10-01,2023-10-02,2023-10-03,2023-10-04,2023-10-05,2023-10-06,2023-12-30,2023-12-31,2024-01-01,2024-02-10,2024-02-11,2024-02-12,2024-02-13,2024-02-14,2024-02-15,2024-02-16,2024-02-17,2024-04-04,2024-04-05,2024-04-06,2024-05-01,2024-05-02,2024-05-03,2024-05-04,2024-05-05,2024-06-08,2024-06-09,2024-06-10,2024-09-15,2024-09-16,2024-09-17,2024-10-01,2024-10-02,2024-10-03,2024-10-04,2024-10-05,2024-10-06,2024-10-07,2025-01-01,2025-01-28,2025-01-29,2025-01-30,2025-01-31,2025-02-01,2025-02-02,2025-02-03,2025-02-04,2025-04-04,2025-04-05,2025-04-06,2025-05-01,2025-05-02,2025-05-03,2025-05-04,2025-05-05,2025-05-31,2025-06-01,2025-06-02,2025-10-01,2025-10-02,2025-10-03,2025-10-04,2025-10-05,2025-10-06,2025-10-07,2025-10-08,2026-01-01,2026-01-02,2026-01-03,2026-02-15,2026-02-16,2026-02-17,2026-02-18,2026-02-19,2026-02-20,2026-02-21,2026-02-22,2026-02-23,2026-04-04,2026-04-05,2026-04-06,2026-05-01,2026-05-02,2026-05-03,2026-05-04,2026-05-05,2026-06-19,2026-06-20,2026-06-21,2026-09-25,2026-09-26,2026-09-27,2026-10-01,2026-10-02,2026-10-03,2026-10-04,2026-10-05,2026-10-06,2026-10-07' || ',',
        ',' || day_text || ','
      ) > 0
      OR (
        weekday >= 5
        AND STRPOS(
          ',' || '2023-01-28,2023-01-29,2023-04-23,2023-05-06,2023-06-25,2023-10-07,2023-10-08,2024-02-04,2024-02-18,2024-04-07,2024-04-28,2024-05-11,2024-09-14,2024-09-29,2024-10-12,2025-01-26,2025-02-08,2025-04-27,2025-09-28,2025-10-11,2026-01-04,2026-02-14,2026-02-28,2026-05-09,2026-09-20,2026-10-10' || ',',
          ',' || day_text || ','
        ) = 0
      ) AS off_day,
      REGEXP_MATCHES(
        COALESCE(merchant, '') || ' ' || COALESCE(merchant_category, ''),
        '高档会所|私人会所|会所|高尔夫|夜总会|KTV|歌厅|洗浴|足浴|桑拿|SPA|水疗|度假村|风景名胜|景区|奢侈品|珠宝|名表|茶楼'
      ) AS luxury
    FROM t
  ), trips AS (
    SELECT DISTINCT
      plate_no,
      CAST(start_time AS DATE) AS trip_day
    FROM official_car_trips
    WHERE
      NOT start_time IS NULL AND NOT plate_no IS NULL
  ), flagged AS (
    SELECT
      d.*,
      tr.plate_no IS NULL AS no_trip
    FROM days AS d
    LEFT JOIN trips AS tr
      ON tr.plate_no = d.plate_no AND tr.trip_day = d.txn_day
  )
  SELECT
    txn_no,
    card_type,
    org_uscc,
    org_name,
    holder_name,
    plate_no,
    txn_time,
    merchant,
    amount,
    luxury,
    SUBSTRING(day_text, 1, 7) AS period,
    CASE
      WHEN luxury
      THEN '在' || COALESCE(merchant_category, merchant) || '类场所消费'
      WHEN vehicle_card
      THEN '节假日使用且当天无出车登记'
      ELSE '节假日在' || COALESCE(merchant_category, '餐饮购物') || '消费且无报销事由'
    END AS reason
  FROM flagged
  WHERE
    luxury
    OR (
      off_day AND vehicle_card AND no_trip
    )
    OR (
      off_day
      AND NOT vehicle_card
      AND purpose IS NULL
      AND REGEXP_MATCHES(
        COALESCE(merchant, '') || ' ' || COALESCE(merchant_category, ''),
        '餐饮|饭店|酒楼|酒店|食府|商场|超市|购物|百货|烟酒'
      )
    )
) AS m
