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
  /* MAD measures how far the shape is off; the chi-square statistic how unlikely that is */
  /* for n payments: MAD alone flags most honest small ledgers (sampling noise ~ 1/sqrt(n)) */
  SELECT
    t.division_code,
    t.period,
    t.n,
    t.amount,
    AVG(ABS(COALESCE(o.k, 0) * 1.0 / t.n - b.expected)) AS mad,
    SUM(
      (
        COALESCE(o.k, 0) - t.n * b.expected
      ) * (
        COALESCE(o.k, 0) - t.n * b.expected
      ) / (
        t.n * b.expected
      )
    ) AS chi2
  FROM totals AS t
  CROSS JOIN benford AS b
  LEFT JOIN observed AS o
    ON o.division_code = t.division_code AND o.period = t.period AND o.digit = b.digit
  GROUP BY
    t.division_code,
    t.period,
    t.n,
    t.amount
), critical AS (
  /* upper quantiles of the chi-square distribution with 8 degrees of freedom */
  SELECT
    CASE
      WHEN '0.001' = '0.05'
      THEN 15.507
      WHEN '0.001' = '0.01'
      THEN 20.090
      WHEN '0.001' = '0.005'
      THEN 21.955
      ELSE 26.124
    END AS chi2_critical
)
SELECT
  CAST(division_code AS STRING) AS __subject_id,
  CAST(NULL AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
  n,
  mad,
  chi2,
  CAST(period AS STRING) AS __text_0,
  CAST(n AS STRING) AS __text_1,
  CAST(mad AS STRING) AS __text_2,
  CAST(chi2 AS STRING) AS __text_3
FROM (
  SELECT
    d.division_code,
    d.period,
    d.n,
    d.amount,
    CAST(d.mad AS DECIMAL(18, 4)) AS mad,
    CAST(d.chi2 AS DECIMAL(18, 2)) AS chi2
  FROM deviation AS d
  CROSS JOIN critical AS c
  WHERE
    d.mad > 0.015 AND d.chi2 > c.chi2_critical
) AS m
