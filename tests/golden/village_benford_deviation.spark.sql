WITH benford AS (
  SELECT
    '1' AS digit,
    0.30103 AS expected
  UNION ALL
  SELECT
    '2',
    0.17609
  UNION ALL
  SELECT
    '3',
    0.12494
  UNION ALL
  SELECT
    '4',
    0.09691
  UNION ALL
  SELECT
    '5',
    0.07918
  UNION ALL
  SELECT
    '6',
    0.06695
  UNION ALL
  SELECT
    '7',
    0.05799
  UNION ALL
  SELECT
    '8',
    0.05115
  UNION ALL
  SELECT
    '9',
    0.04576
), entries AS (
  SELECT
    division_code,
    SUBSTRING(CAST(entry_date AS STRING), 1, 4) AS period,
    LEFT(CAST(CAST(FLOOR(amount) AS BIGINT) AS STRING), 1) AS digit,
    amount
  FROM village_ledgers
  WHERE
    NOT entry_date IS NULL AND amount >= 10
), totals AS (
  SELECT
    division_code,
    period,
    COUNT(*) AS n,
    SUM(amount) AS amount
  FROM entries
  GROUP BY
    division_code,
    period
  HAVING
    COUNT(*) >= 50
), observed AS (
  SELECT
    division_code,
    period,
    digit,
    COUNT(*) AS k
  FROM entries
  GROUP BY
    division_code,
    period,
    digit
), deviation AS (
  SELECT
    t.division_code,
    t.period,
    t.n,
    t.amount,
    AVG(ABS(COALESCE(o.k, 0) * 1.0 / t.n - b.expected)) AS mad
  FROM totals AS t
  CROSS JOIN benford AS b
  LEFT JOIN observed AS o
    ON o.division_code = t.division_code AND o.period = t.period AND o.digit = b.digit
  GROUP BY
    t.division_code,
    t.period,
    t.n,
    t.amount
)
SELECT
  CAST(division_code AS STRING) AS __subject_id,
  CAST(NULL AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
  n,
  mad,
  CAST(period AS STRING) AS __text_0,
  CAST(n AS STRING) AS __text_1,
  CAST(mad AS STRING) AS __text_2
FROM (
  SELECT
    division_code,
    period,
    n,
    amount,
    CAST(mad AS DECIMAL(18, 4)) AS mad
  FROM deviation
  WHERE
    mad > 0.015
) AS m
