WITH digits AS (
  SELECT
    0 AS d
  UNION ALL
  SELECT
    1
  UNION ALL
  SELECT
    2
  UNION ALL
  SELECT
    3
  UNION ALL
  SELECT
    4
  UNION ALL
  SELECT
    5
  UNION ALL
  SELECT
    6
  UNION ALL
  SELECT
    7
  UNION ALL
  SELECT
    8
  UNION ALL
  SELECT
    9
), bounds AS (
  SELECT
    DATE_TRUNC('MONTH', MIN(purchase_date)) AS data_start,
    MAX(purchase_date) AS data_end,
    CAST(EXTRACT(YEAR FROM MIN(purchase_date)) AS INT) AS y0,
    CAST(EXTRACT(YEAR FROM MAX(purchase_date)) AS INT) AS y1
  FROM canteen_purchases
  WHERE
    NOT purchase_date IS NULL
), years AS (
  SELECT
    b.y0 - 1 + t.d * 10 + u.d AS y
  FROM bounds AS b
  CROSS JOIN digits AS t
  CROSS JOIN digits AS u
  WHERE
    t.d * 10 + u.d <= b.y1 - b.y0 + 1
), terms AS (
  /* the two terms of each school year; only terms that start inside the data period count */
  SELECT
    term_start,
    term_end
  FROM (
    SELECT
      CAST(CAST(y AS STRING) || '-' || SUBSTRING('03-01/07-10', 1, 5) AS DATE) AS term_start,
      CAST(CAST(y AS STRING) || '-' || SUBSTRING('03-01/07-10', 7, 5) AS DATE) AS term_end
    FROM years
    UNION ALL
    SELECT
      CAST(CAST(y AS STRING) || '-' || SUBSTRING('09-01/01-15', 1, 5) AS DATE) AS term_start,
      CAST(CAST(y + 1 AS STRING) || '-' || SUBSTRING('09-01/01-15', 7, 5) AS DATE) AS term_end
    FROM years
  ) AS x
  CROSS JOIN bounds AS b
  WHERE
    x.term_start >= b.data_start AND x.term_start <= b.data_end
), ends AS (
  SELECT
    term_start,
    term_end,
    term_end AS end_day
  FROM terms
  UNION ALL
  SELECT
    term_start,
    term_end,
    CAST(CAST(EXTRACT(YEAR FROM term_start) AS INT) AS STRING) || '-12-31' AS end_text
  FROM terms
), end_days AS (
  SELECT
    term_start,
    term_end,
    CAST(end_day AS DATE) AS end_day
  FROM ends
), per_school AS (
  SELECT
    e.term_start,
    e.term_end,
    e.end_day,
    p.school_uscc,
    MIN(p.school_name) AS school_name,
    SUM(p.amount) AS term_total,
    SUM(
      CASE
        WHEN DATEDIFF(DAY, p.purchase_date, e.end_day) BETWEEN 0 AND 15 - 1
        THEN p.amount
        ELSE 0
      END
    ) AS window_amount
  FROM end_days AS e
  JOIN canteen_purchases AS p
    ON p.purchase_date >= e.term_start AND p.purchase_date <= e.term_end
  WHERE
    e.end_day >= e.term_start AND e.end_day <= e.term_end
  GROUP BY
    e.term_start,
    e.term_end,
    e.end_day,
    p.school_uscc
)
SELECT
  CAST(school_uscc AS STRING) AS __subject_id,
  CAST(school_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN window_amount >= mean_window * 2.5 * 2 THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(CAST(window_amount AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  CAST(term_start AS STRING) AS term_start,
  CAST(term_end AS STRING) AS term_end,
  CAST(end_day AS STRING) AS end_day,
  window_amount,
  mean_window,
  CAST(window_amount AS STRING) AS __text_0,
  CAST(mean_window AS STRING) AS __text_1
FROM (
  SELECT
    school_uscc,
    school_name,
    term_start,
    term_end,
    end_day,
    window_amount,
    CAST(ROUND(term_total * 15 / (
      DATEDIFF(DAY, term_start, term_end) + 1.0
    ), 0) AS BIGINT) AS mean_window, /* whole yuan: a mean shown to the cent could round differently on the two engines */
    SUBSTRING(CAST(end_day AS STRING), 1, 7) AS period
  FROM per_school
  WHERE
    term_total > 0
    AND window_amount >= 2.5 * term_total / (
      (
        DATEDIFF(DAY, term_start, term_end) + 1
      ) / (
        15 * 1.0
      )
    )
) AS m
