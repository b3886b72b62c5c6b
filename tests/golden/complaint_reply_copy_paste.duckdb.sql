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
  WITH docs AS (
    SELECT
      ROW_NUMBER() OVER (ORDER BY complaint_no) AS doc,
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
  ), grams AS (
    /* the set of character bigrams of each reply (its first 1000 characters) */
    SELECT DISTINCT
      d.doc,
      SUBSTRING(d.reply, s.i, 2) AS g
    FROM docs AS d
    CROSS JOIN UNNEST(GENERATE_SERIES(1, LEAST(LENGTH(d.reply), 1000) - 1)) AS s(i)
  ), gram_hashes AS (
    /* one MD5 per distinct bigram: h (60 bits) names it, x = h mod p (p = 2^31 - 1, a prime) */
    SELECT
      g,
      CAST('0x' || SUBSTRING(MD5(CAST(g AS TEXT)), 1, 15) AS BIGINT) AS h,
      CAST('0x' || SUBSTRING(MD5(CAST(g AS TEXT)), 1, 15) AS BIGINT) % 2147483647 AS x
    FROM (
      SELECT DISTINCT
        g
      FROM grams
    ) AS u
  ), shingles AS (
    SELECT
      gr.doc,
      gh.h,
      gh.x
    FROM grams AS gr
    JOIN gram_hashes AS gh
      ON gh.g = gr.g
  ), sizes AS (
    SELECT
      doc,
      COUNT(*) AS size
    FROM shingles
    GROUP BY
      doc
  ), hash_functions AS (
    /* 120 hash functions h_k(x) = (a_k * x + b_k) mod p, the same on every engine */
    SELECT
      k,
      CAST('0x' || SUBSTRING(MD5(CAST('minhash-a-' || CAST(k AS TEXT) AS TEXT)), 1, 15) AS BIGINT) % 2147483646 + 1 AS a,
      CAST('0x' || SUBSTRING(MD5(CAST('minhash-b-' || CAST(k AS TEXT) AS TEXT)), 1, 15) AS BIGINT) % 2147483647 AS b
    FROM UNNEST(RANGE(0, 120)) AS f(k)
  ), signatures AS (
    /* MinHash: per reply and hash function, the smallest hash of its bigrams */
    SELECT
      s.doc,
      f.k,
      MAX(f.a) AS a,
      MIN((
        f.a * s.x + f.b
      ) % 2147483647) AS m
    FROM shingles AS s
    CROSS JOIN hash_functions AS f
    GROUP BY
      s.doc,
      f.k
  ), band_rows AS (
    /* LSH: bands of r hash functions; two replies are candidates when one band agrees in full. */
    /* r is the largest that still makes a pair at the threshold a candidate with probability */
    /* 1 - (1 - t^r)^floor(120 / r) >= 0.9999 */
    SELECT
      CASE
        WHEN 0.9 >= 0.959
        THEN 12
        WHEN 0.9 >= 0.955
        THEN 11
        WHEN 0.9 >= 0.940
        THEN 10
        WHEN 0.9 >= 0.928
        THEN 9
        WHEN 0.9 >= 0.908
        THEN 8
        WHEN 0.9 >= 0.883
        THEN 7
        WHEN 0.9 >= 0.847
        THEN 6
        WHEN 0.9 >= 0.796
        THEN 5
        WHEN 0.9 >= 0.717
        THEN 4
        WHEN 0.9 >= 0.591
        THEN 3
        ELSE 2
      END AS r
  ), bands AS (
    SELECT
      sg.doc,
      CAST(FLOOR(sg.k / br.r) AS BIGINT) AS band,
      SUM((
        sg.m * sg.a
      ) % 2147483647) AS band_key
    FROM signatures AS sg
    CROSS JOIN band_rows AS br
    WHERE
      sg.k < FLOOR(120 / br.r) * br.r
    GROUP BY
      sg.doc,
      CAST(FLOOR(sg.k / br.r) AS BIGINT)
  ), candidates AS (
    SELECT DISTINCT
      a.doc AS a_doc,
      b.doc AS b_doc
    FROM bands AS a
    JOIN bands AS b
      ON b.band = a.band AND b.band_key = a.band_key AND a.doc < b.doc
  ), shared AS (
    /* the exact number of bigrams each candidate pair shares: each bigram of a looked up in b */
    /* (a LEFT JOIN, so that no engine joins all bigrams with all bigrams first) */
    SELECT
      c.a_doc,
      c.b_doc,
      COUNT(sb.h) AS shared
    FROM candidates AS c
    JOIN shingles AS sa
      ON sa.doc = c.a_doc
    LEFT JOIN shingles AS sb
      ON sb.doc = c.b_doc AND sb.h = sa.h
    GROUP BY
      c.a_doc,
      c.b_doc
  ), reply_sim AS (
    /* exact Jaccard similarity */
    SELECT
      s.a_doc,
      s.b_doc,
      s.shared * 1.0 / (
        za.size + zb.size - s.shared
      ) AS similarity
    FROM shared AS s
    JOIN sizes AS za
      ON za.doc = s.a_doc
    JOIN sizes AS zb
      ON zb.doc = s.b_doc
    WHERE
      s.shared * 1.0 / (
        za.size + zb.size - s.shared
      ) >= 0.9
  ), involved AS (
    SELECT
      a_doc AS doc
    FROM reply_sim
    UNION
    SELECT
      b_doc
    FROM reply_sim
  ), content_shingles AS (
    SELECT DISTINCT
      d.doc,
      SUBSTRING(d.content, s.i, 2) AS g
    FROM docs AS d
    JOIN involved AS v
      ON v.doc = d.doc
    CROSS JOIN UNNEST(GENERATE_SERIES(1, LEAST(LENGTH(d.content), 1000) - 1)) AS s(i)
  ), content_sizes AS (
    SELECT
      doc,
      COUNT(*) AS size
    FROM content_shingles
    GROUP BY
      doc
  ), content_shared AS (
    SELECT
      r.a_doc,
      r.b_doc,
      COUNT(*) AS shared
    FROM reply_sim AS r
    JOIN content_shingles AS ca
      ON ca.doc = r.a_doc
    JOIN content_shingles AS cb
      ON cb.doc = r.b_doc AND cb.g = ca.g
    GROUP BY
      r.a_doc,
      r.b_doc
  ), pairs AS (
    SELECT
      r.a_doc,
      r.b_doc,
      r.similarity,
      COALESCE(
        cs.shared * 1.0 / NULLIF(COALESCE(za.size, 0) + COALESCE(zb.size, 0) - cs.shared, 0),
        0
      ) AS content_similarity
    FROM reply_sim AS r
    LEFT JOIN content_shared AS cs
      ON cs.a_doc = r.a_doc AND cs.b_doc = r.b_doc
    LEFT JOIN content_sizes AS za
      ON za.doc = r.a_doc
    LEFT JOIN content_sizes AS zb
      ON zb.doc = r.b_doc
  ), flagged AS (
    /* the later complaint of each pair is the copy */
    SELECT
      CASE
        WHEN da.received_at > db.received_at
        THEN da.complaint_no
        ELSE db.complaint_no
      END AS complaint_no,
      CASE
        WHEN da.received_at > db.received_at
        THEN db.complaint_no
        ELSE da.complaint_no
      END AS original_no,
      p.similarity
    FROM pairs AS p
    JOIN docs AS da
      ON da.doc = p.a_doc
    JOIN docs AS db
      ON db.doc = p.b_doc
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
