SELECT
  CAST(division_code AS STRING) AS __subject_id,
  CAST(NULL AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  'yellow' AS __severity,
  CAST(round_amount AS DECIMAL(18, 2)) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
  entries,
  round_entries,
  round_pct,
  round_amount,
  period
FROM (
  SELECT
    division_code,
    SUBSTRING(CAST(entry_date AS STRING), 1, 4) AS period,
    COUNT(*) AS entries,
    SUM(CASE WHEN amount >= 1000 AND amount % 1000 = 0 THEN 1 ELSE 0 END) AS round_entries,
    CAST(100.0 * SUM(CASE WHEN amount >= 1000 AND amount % 1000 = 0 THEN 1 ELSE 0 END) / COUNT(*) AS DECIMAL(18, 1)) AS round_pct,
    SUM(CASE WHEN amount >= 1000 AND amount % 1000 = 0 THEN amount ELSE 0 END) AS round_amount
  FROM village_ledgers
  WHERE
    NOT entry_date IS NULL AND NOT amount IS NULL AND amount > 0
  GROUP BY
    division_code,
    SUBSTRING(CAST(entry_date AS STRING), 1, 4)
  HAVING
    COUNT(*) >= 10
    AND SUM(CASE WHEN amount >= 1000 AND amount % 1000 = 0 THEN 1 ELSE 0 END) >= 0.5 * COUNT(*)
) AS m
