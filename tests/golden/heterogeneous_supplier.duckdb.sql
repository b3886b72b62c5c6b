SELECT
  CAST(supplier_uscc AS TEXT) AS __subject_id,
  CAST(supplier_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CAST(NULL AS TEXT) AS __division_code,
  variety,
  tenders,
  fence,
  CAST(tenders AS TEXT) AS __text_0,
  CAST(variety AS TEXT) AS __text_1,
  CAST(fence AS TEXT) AS __text_2
FROM (
  WITH sole AS (
    SELECT
      tender_no,
      award_id,
      MIN(supplier_uscc) AS supplier_uscc,
      MIN(supplier_name) AS supplier_name
    FROM awards
    WHERE
      award_status = 'active'
    GROUP BY
      tender_no,
      award_id
    HAVING
      COUNT(DISTINCT supplier_uscc) = 1
  ), varieties AS (
    SELECT
      s.supplier_uscc,
      MIN(s.supplier_name) AS supplier_name,
      COUNT(DISTINCT LEFT(i.classification_id, 2)) AS variety,
      COUNT(DISTINCT s.tender_no) AS tenders
    FROM sole AS s
    JOIN items AS i
      ON i.tender_no = s.tender_no AND i.stage = 'award' AND i.parent_id = s.award_id
    WHERE
      NOT i.classification_id IS NULL
    GROUP BY
      s.supplier_uscc
  ), ranked AS (
    SELECT
      variety,
      ROW_NUMBER() OVER (ORDER BY variety) - 1 AS i,
      COUNT(*) OVER () AS n
    FROM varieties
  ), quartiles AS (
    SELECT
      MAX(CASE WHEN i = FLOOR((
        n - 1
      ) * 0.25) THEN variety END) AS q1_lo,
      MAX(CASE WHEN i = FLOOR((
        n - 1
      ) * 0.25) + 1 THEN variety END) AS q1_hi,
      MAX((
        n - 1
      ) * 0.25 - FLOOR((
        n - 1
      ) * 0.25)) AS q1_w,
      MAX(CASE WHEN i = FLOOR((
        n - 1
      ) * 0.75) THEN variety END) AS q3_lo,
      MAX(CASE WHEN i = FLOOR((
        n - 1
      ) * 0.75) + 1 THEN variety END) AS q3_hi,
      MAX((
        n - 1
      ) * 0.75 - FLOOR((
        n - 1
      ) * 0.75)) AS q3_w
    FROM ranked
  ), fences AS (
    SELECT
      q1_lo + q1_w * (
        COALESCE(q1_hi, q1_lo) - q1_lo
      ) AS q1,
      q3_lo + q3_w * (
        COALESCE(q3_hi, q3_lo) - q3_lo
      ) AS q3
    FROM quartiles
  ), flagged AS (
    SELECT
      v.supplier_uscc,
      v.supplier_name,
      v.variety,
      v.tenders,
      f.q3,
      CASE WHEN -1 >= 0 THEN -1 ELSE f.q3 + 1.5 * (
        f.q3 - f.q1
      ) END AS fence
    FROM varieties AS v
    CROSS JOIN fences AS f
  )
  SELECT
    supplier_uscc,
    supplier_name,
    variety,
    tenders,
    CAST(ROUND(fence, 2) AS DECIMAL(18, 2)) AS fence,
    'all' AS period
  FROM flagged
  WHERE
    variety >= fence AND (
      -1 >= 0 OR variety > q3
    )
) AS m
