SELECT
  CAST(school_uscc AS TEXT) AS __subject_id,
  CAST(school_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN spend_outlier THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS TEXT) AS __amount,
  CAST(NULL AS TEXT) AS __division_code,
  CAST(term_start AS TEXT) AS term_start,
  CAST(term_end AS TEXT) AS term_end,
  amount,
  students,
  per_student,
  median_spend,
  premium_pct,
  median_premium_pct,
  schools,
  CAST(per_student AS TEXT) AS __text_0,
  CAST(schools AS TEXT) AS __text_1,
  CAST(median_spend AS TEXT) AS __text_2,
  CAST(premium_pct AS TEXT) AS __text_3,
  CAST(median_premium_pct AS TEXT) AS __text_4
FROM (
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
        CAST(CAST(y AS TEXT) || '-' || SUBSTRING('03-01/07-10', 1, 5) AS DATE) AS term_start,
        CAST(CAST(y AS TEXT) || '-' || SUBSTRING('03-01/07-10', 7, 5) AS DATE) AS term_end
      FROM years
      UNION ALL
      SELECT
        CAST(CAST(y AS TEXT) || '-' || SUBSTRING('09-01/01-15', 1, 5) AS DATE) AS term_start,
        CAST(CAST(y + 1 AS TEXT) || '-' || SUBSTRING('09-01/01-15', 7, 5) AS DATE) AS term_end
      FROM years
    ) AS x
    CROSS JOIN bounds AS b
    WHERE
      x.term_start >= b.data_start AND x.term_start <= b.data_end
  ), per_school AS (
    SELECT
      t.term_start,
      t.term_end,
      p.school_uscc,
      MIN(p.school_name) AS school_name,
      SUM(p.amount) AS amount,
      MAX(p.students) AS students,
      SUM(
        CASE
          WHEN CAST(p.premium AS TEXT) IN ('true', '是', '1', 'Y')
          THEN p.amount
          ELSE 0
        END
      ) AS premium_amount
    FROM terms AS t
    JOIN canteen_purchases AS p
      ON p.purchase_date >= t.term_start AND p.purchase_date <= t.term_end
    GROUP BY
      t.term_start,
      t.term_end,
      p.school_uscc
    HAVING
      SUM(p.amount) > 0 AND MAX(p.students) > 0
  ), measured AS (
    SELECT
      term_start,
      term_end,
      school_uscc,
      school_name,
      amount,
      students,
      premium_amount,
      amount / students AS per_student,
      premium_amount / amount AS share
    FROM per_school
  ), spend_ranked AS (
    SELECT
      term_start,
      per_student,
      ROW_NUMBER() OVER (PARTITION BY term_start ORDER BY per_student) AS rn,
      COUNT(*) OVER (PARTITION BY term_start) AS n
    FROM measured
  ), share_ranked AS (
    SELECT
      term_start,
      share,
      ROW_NUMBER() OVER (PARTITION BY term_start ORDER BY share) AS rn,
      COUNT(*) OVER (PARTITION BY term_start) AS n
    FROM measured
  ), medians AS (
    SELECT
      s.term_start,
      s.median_spend,
      h.median_share,
      s.schools
    FROM (
      SELECT
        term_start,
        AVG(per_student) AS median_spend,
        MAX(n) AS schools
      FROM spend_ranked
      WHERE
        rn = FLOOR((
          n + 1
        ) / 2.0) OR rn = CEIL((
          n + 1
        ) / 2.0)
      GROUP BY
        term_start
    ) AS s
    JOIN (
      SELECT
        term_start,
        AVG(share) AS median_share
      FROM share_ranked
      WHERE
        rn = FLOOR((
          n + 1
        ) / 2.0) OR rn = CEIL((
          n + 1
        ) / 2.0)
      GROUP BY
        term_start
    ) AS h
      ON h.term_start = s.term_start
  )
  SELECT
    m.school_uscc,
    m.school_name,
    m.term_start,
    m.term_end,
    m.amount,
    m.students,
    m.premium_amount,
    d.schools,
    CAST(m.per_student AS DECIMAL(18, 2)) AS per_student,
    CAST(d.median_spend AS DECIMAL(18, 2)) AS median_spend,
    CAST(100 * m.share AS DECIMAL(18, 1)) AS premium_pct,
    CAST(100 * d.median_share AS DECIMAL(18, 1)) AS median_premium_pct,
    m.per_student > 1.5 * d.median_spend AS spend_outlier,
    SUBSTRING(CAST(m.term_end AS TEXT), 1, 7) AS period
  FROM measured AS m
  JOIN medians AS d
    ON d.term_start = m.term_start
  WHERE
    m.per_student > 1.5 * d.median_spend
    OR (
      m.share > 0.15 AND m.share > 3 * d.median_share
    )
) AS m
