SELECT
  CAST(complaint_no AS TEXT) AS __subject_id,
  CAST(target_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CAST(division_code AS TEXT) AS __division_code,
  received_at,
  category,
  original_no,
  copies_of,
  similarity,
  reply_head,
  CAST(similarity AS TEXT) AS __text_0,
  CAST(reply_head AS TEXT) AS __text_1
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
  ), nums AS (
    /* positions 1..1000 (texts are compared on their first 1000 characters) */
    SELECT
      a.d * 100 + b.d * 10 + c.d + 1 AS i
    FROM digits AS a
    CROSS JOIN digits AS b
    CROSS JOIN digits AS c
  ), docs AS (
    SELECT
      complaint_no,
      received_at,
      TRIM(reply) AS reply,
      COALESCE(TRIM(content), '') AS content,
      target_name,
      category,
      division_code
    FROM complaints
    WHERE
      NOT reply IS NULL AND LENGTH(TRIM(reply)) >= 10
  ), shingles AS (
    SELECT DISTINCT
      d.complaint_no,
      SUBSTRING(d.reply, n.i, 2) AS g
    FROM docs AS d
    JOIN nums AS n
      ON n.i <= LENGTH(d.reply) - 1
  ), sizes AS (
    SELECT
      complaint_no,
      COUNT(*) AS size
    FROM shingles
    GROUP BY
      complaint_no
  ), freq AS (
    SELECT
      g,
      COUNT(*) AS df
    FROM shingles
    GROUP BY
      g
  ), ordered AS (
    SELECT
      s.complaint_no,
      s.g,
      z.size,
      ROW_NUMBER() OVER (PARTITION BY s.complaint_no ORDER BY f.df, s.g) AS pos
    FROM shingles AS s
    JOIN freq AS f
      ON f.g = s.g
    JOIN sizes AS z
      ON z.complaint_no = s.complaint_no
  ), prefixes AS (
    SELECT
      complaint_no,
      g,
      size
    FROM ordered
    WHERE
      pos <= size - CEIL(0.9 * size) + 1
  ), candidates AS (
    SELECT DISTINCT
      a.complaint_no AS a_no,
      b.complaint_no AS b_no,
      a.size AS a_size,
      b.size AS b_size
    FROM prefixes AS a
    JOIN prefixes AS b
      ON a.g = b.g AND a.complaint_no < b.complaint_no
    WHERE
      LEAST(a.size, b.size) >= 0.9 * GREATEST(a.size, b.size)
  ), reply_sim AS (
    SELECT
      c.a_no,
      c.b_no,
      COUNT(*) * 1.0 / (
        MAX(c.a_size) + MAX(c.b_size) - COUNT(*)
      ) AS similarity
    FROM candidates AS c
    JOIN shingles AS sa
      ON sa.complaint_no = c.a_no
    JOIN shingles AS sb
      ON sb.complaint_no = c.b_no AND sb.g = sa.g
    GROUP BY
      c.a_no,
      c.b_no
    HAVING
      COUNT(*) * 1.0 / (
        MAX(c.a_size) + MAX(c.b_size) - COUNT(*)
      ) >= 0.9
  ), involved AS (
    SELECT
      a_no AS complaint_no
    FROM reply_sim
    UNION
    SELECT
      b_no
    FROM reply_sim
  ), content_shingles AS (
    SELECT DISTINCT
      d.complaint_no,
      SUBSTRING(d.content, n.i, 2) AS g
    FROM docs AS d
    JOIN involved AS v
      ON v.complaint_no = d.complaint_no
    JOIN nums AS n
      ON n.i <= LENGTH(d.content) - 1
  ), content_sizes AS (
    SELECT
      complaint_no,
      COUNT(*) AS size
    FROM content_shingles
    GROUP BY
      complaint_no
  ), content_shared AS (
    SELECT
      r.a_no,
      r.b_no,
      COUNT(*) AS shared
    FROM reply_sim AS r
    JOIN content_shingles AS ca
      ON ca.complaint_no = r.a_no
    JOIN content_shingles AS cb
      ON cb.complaint_no = r.b_no AND cb.g = ca.g
    GROUP BY
      r.a_no,
      r.b_no
  ), pairs AS (
    SELECT
      r.a_no,
      r.b_no,
      r.similarity,
      COALESCE(
        cs.shared * 1.0 / NULLIF(COALESCE(za.size, 0) + COALESCE(zb.size, 0) - cs.shared, 0),
        0
      ) AS content_similarity
    FROM reply_sim AS r
    LEFT JOIN content_shared AS cs
      ON cs.a_no = r.a_no AND cs.b_no = r.b_no
    LEFT JOIN content_sizes AS za
      ON za.complaint_no = r.a_no
    LEFT JOIN content_sizes AS zb
      ON zb.complaint_no = r.b_no
  ), flagged AS (
    /* the later complaint of each pair is the copy */
    SELECT
      CASE WHEN da.received_at > db.received_at THEN p.a_no ELSE p.b_no END AS complaint_no,
      CASE WHEN da.received_at > db.received_at THEN p.b_no ELSE p.a_no END AS original_no,
      p.similarity
    FROM pairs AS p
    JOIN docs AS da
      ON da.complaint_no = p.a_no
    JOIN docs AS db
      ON db.complaint_no = p.b_no
    WHERE
      p.content_similarity < 0.5
  )
  SELECT
    d.complaint_no,
    d.received_at,
    d.target_name,
    d.category,
    d.division_code,
    LEFT(d.reply, 40) AS reply_head,
    MIN(f.original_no) AS original_no,
    COUNT(*) AS copies_of,
    CAST(MAX(f.similarity) AS DECIMAL(18, 2)) AS similarity,
    SUBSTRING(CAST(d.received_at AS TEXT), 1, 7) AS period
  FROM flagged AS f
  JOIN docs AS d
    ON d.complaint_no = f.complaint_no
  GROUP BY
    d.complaint_no,
    d.received_at,
    d.target_name,
    d.category,
    d.division_code,
    d.reply
) AS m
