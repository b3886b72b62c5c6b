WITH per_school AS (
  SELECT
    school_uscc,
    MIN(school_name) AS school_name,
    SUBSTRING(CAST(purchase_date AS STRING), 1, 7) AS period,
    SUM(amount) AS amount,
    MAX(students) AS students,
    CAST(SUM(amount) / NULLIF(MAX(students), 0) AS DECIMAL(18, 2)) AS per_student
  FROM canteen_purchases
  WHERE
    NOT purchase_date IS NULL AND NOT amount IS NULL
  GROUP BY
    school_uscc,
    SUBSTRING(CAST(purchase_date AS STRING), 1, 7)
  HAVING
    MAX(students) > 0
), ranked AS (
  SELECT
    period,
    per_student,
    ROW_NUMBER() OVER (PARTITION BY period ORDER BY per_student NULLS LAST) AS rn,
    COUNT(*) OVER (PARTITION BY period) AS n
  FROM per_school
), med AS (
  SELECT
    period,
    AVG(per_student) AS median_value,
    MAX(n) AS peers
  FROM ranked
  WHERE
    rn = FLOOR((
      n + 1
    ) / 2.0) OR rn = CEIL((
      n + 1
    ) / 2.0)
  GROUP BY
    period
), deviations AS (
  SELECT
    s.period,
    ABS(s.per_student - m.median_value) AS dev,
    ROW_NUMBER() OVER (PARTITION BY s.period ORDER BY ABS(s.per_student - m.median_value) NULLS LAST) AS rn,
    COUNT(*) OVER (PARTITION BY s.period) AS n
  FROM per_school AS s
  JOIN med AS m
    ON m.period = s.period
), mad AS (
  SELECT
    period,
    AVG(dev) AS mad
  FROM deviations
  WHERE
    rn = FLOOR((
      n + 1
    ) / 2.0) OR rn = CEIL((
      n + 1
    ) / 2.0)
  GROUP BY
    period
)
SELECT
  CAST(school_uscc AS STRING) AS __subject_id,
  CAST(school_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN per_student > peer_median * 1.5 * 2 THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  amount,
  students,
  per_student,
  peer_median,
  peers,
  robust_z,
  CAST(period AS STRING) AS __text_0,
  CAST(per_student AS STRING) AS __text_1,
  CAST(peers AS STRING) AS __text_2,
  CAST(peer_median AS STRING) AS __text_3,
  CAST(robust_z AS STRING) AS __text_4
FROM (
  SELECT
    s.school_uscc,
    s.school_name,
    s.period,
    s.amount,
    s.students,
    s.per_student,
    CAST(m.median_value AS DECIMAL(18, 2)) AS peer_median,
    m.peers,
    CAST(CASE WHEN d.mad > 0 THEN 0.6745 * (
      s.per_student - m.median_value
    ) / d.mad END AS DECIMAL(18, 1)) AS robust_z
  FROM per_school AS s
  JOIN med AS m
    ON m.period = s.period
  JOIN mad AS d
    ON d.period = s.period
  WHERE
    m.peers >= 5
    AND s.per_student > m.median_value * 1.5
    AND (
      d.mad = 0 OR 0.6745 * (
        s.per_student - m.median_value
      ) / d.mad > 3.5
    )
) AS m
