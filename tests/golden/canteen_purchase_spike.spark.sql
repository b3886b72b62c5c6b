WITH monthly AS (
  SELECT
    school_uscc,
    MIN(school_name) AS school_name,
    SUBSTRING(CAST(purchase_date AS STRING), 1, 7) AS period,
    SUM(amount) AS amount
  FROM canteen_purchases
  WHERE
    NOT purchase_date IS NULL AND NOT amount IS NULL
  GROUP BY
    school_uscc,
    SUBSTRING(CAST(purchase_date AS STRING), 1, 7)
), tagged AS (
  SELECT
    school_uscc,
    school_name,
    period,
    amount,
    LOCATE(',' || SUBSTRING(period, 6, 2) || ',', ',' || '01,06,07,12' || ',') > 0 AS term_end
  FROM monthly
), ranked AS (
  SELECT
    school_uscc,
    amount,
    ROW_NUMBER() OVER (PARTITION BY school_uscc ORDER BY amount NULLS LAST) AS rn,
    COUNT(*) OVER (PARTITION BY school_uscc) AS n
  FROM tagged
  WHERE
    NOT term_end
), baseline AS (
  SELECT
    school_uscc,
    AVG(amount) AS median_amount,
    MAX(n) AS months
  FROM ranked
  WHERE
    rn = FLOOR((
      n + 1
    ) / 2.0) OR rn = CEIL((
      n + 1
    ) / 2.0)
  GROUP BY
    school_uscc
)
SELECT
  CAST(school_uscc AS STRING) AS __subject_id,
  CAST(school_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN ratio >= 2.5 * 2 THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(amount AS DECIMAL(18, 2)) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  amount,
  median_amount,
  ratio,
  period
FROM (
  SELECT
    t.school_uscc,
    t.school_name,
    t.period,
    t.amount,
    CAST(b.median_amount AS DECIMAL(18, 2)) AS median_amount,
    CAST(t.amount / b.median_amount AS DECIMAL(18, 1)) AS ratio
  FROM tagged AS t
  JOIN baseline AS b
    ON b.school_uscc = t.school_uscc
  WHERE
    t.term_end
    AND b.months >= 3
    AND b.median_amount > 0
    AND t.amount > b.median_amount * 2.5
) AS m
