SELECT
  CAST(tender_no AS TEXT) AS __subject_id,
  CAST(project_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CAST(CAST(budget AS DECIMAL(18, 2)) AS TEXT) AS __amount,
  CAST(NULL AS TEXT) AS __division_code,
  buyer_name,
  bidders,
  kind,
  origin,
  bidder_a,
  bidder_b,
  CAST(bidders AS TEXT) AS __text_0
FROM (
  WITH origins AS (
    SELECT
      tender_no,
      bidder_uscc,
      bidder_name,
      '制作机器码' AS kind,
      file_machine_id AS origin
    FROM bids
    WHERE
      NOT file_machine_id IS NULL AND TRIM(file_machine_id) <> ''
    UNION ALL
    SELECT
      tender_no,
      bidder_uscc,
      bidder_name,
      '文件创建人' AS kind,
      file_creator AS origin
    FROM bids
    WHERE
      NOT file_creator IS NULL AND TRIM(file_creator) <> ''
  ), learned_stop AS (
    SELECT
      kind,
      origin
    FROM origins
    GROUP BY
      kind,
      origin
    HAVING
      COUNT(DISTINCT bidder_uscc) >= 6
  ), usable AS (
    SELECT
      o.tender_no,
      o.bidder_uscc,
      o.bidder_name,
      o.kind,
      o.origin
    FROM origins AS o
    LEFT JOIN learned_stop AS l
      ON l.kind = o.kind AND l.origin = o.origin
    WHERE
      l.origin IS NULL
      AND STRPOS(
        ',' || LOWER(
          'administrator,admin,user,owner,author,微软用户,微软中国,用户,windows 用户,windows user,wps,00-00-00-00-00-00,000000000000'
        ) || ',',
        ',' || LOWER(TRIM(o.origin)) || ','
      ) = 0
  ), shared AS (
    SELECT
      tender_no,
      kind,
      origin,
      COUNT(DISTINCT bidder_uscc) AS bidders,
      MIN(bidder_name) AS bidder_a,
      MAX(bidder_name) AS bidder_b
    FROM usable
    GROUP BY
      tender_no,
      kind,
      origin
    HAVING
      COUNT(DISTINCT bidder_uscc) >= 2
  )
  SELECT
    t.tender_no,
    t.project_name,
    t.buyer_name,
    t.budget,
    SUBSTRING(CAST(t.announce_date AS TEXT), 1, 7) AS period,
    MAX(s.bidders) AS bidders,
    MIN(s.kind) AS kind,
    MIN(s.origin) AS origin,
    MIN(s.bidder_a) AS bidder_a,
    MAX(s.bidder_b) AS bidder_b
  FROM shared AS s
  JOIN tenders AS t
    ON t.tender_no = s.tender_no
  GROUP BY
    t.tender_no,
    t.project_name,
    t.buyer_name,
    t.budget,
    t.announce_date
) AS m
