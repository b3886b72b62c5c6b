SELECT
  CAST(tender_no AS TEXT) AS __subject_id,
  CAST(project_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN link_kinds >= 2 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(CAST(budget AS DECIMAL(18, 2)) AS TEXT) AS __amount,
  CAST(NULL AS TEXT) AS __division_code,
  buyer_name,
  bidders,
  link_kinds,
  kind,
  CAST(bidders AS TEXT) AS __text_0,
  CAST(link_kinds AS TEXT) AS __text_1
FROM (
  WITH links AS (
    /* legal representatives and shareholders are one set of people per company */
    SELECT
      b.tender_no,
      b.bidder_uscc,
      '法定代表人或股东' AS kind,
      c.legal_rep_id_no AS link_key
    FROM bids AS b
    JOIN companies AS c
      ON c.uscc = b.bidder_uscc
    WHERE
      NOT c.legal_rep_id_no IS NULL
    UNION ALL
    SELECT
      b.tender_no,
      b.bidder_uscc,
      '法定代表人或股东' AS kind,
      s.shareholder_id_no AS link_key
    FROM bids AS b
    JOIN shareholders AS s
      ON s.uscc = b.bidder_uscc
    WHERE
      NOT s.shareholder_id_no IS NULL
    UNION ALL
    SELECT
      tender_no,
      bidder_uscc,
      '联系电话' AS kind,
      contact_phone AS link_key
    FROM bids
    WHERE
      NOT contact_phone IS NULL AND TRIM(contact_phone) <> ''
    UNION ALL
    SELECT
      tender_no,
      bidder_uscc,
      '地址' AS kind,
      address AS link_key
    FROM bids
    WHERE
      NOT address IS NULL AND TRIM(address) <> ''
  ), shared AS (
    SELECT
      tender_no,
      kind,
      link_key,
      COUNT(DISTINCT bidder_uscc) AS bidders
    FROM links
    GROUP BY
      tender_no,
      kind,
      link_key
    HAVING
      COUNT(DISTINCT bidder_uscc) >= 2
  )
  SELECT
    t.tender_no,
    t.project_name,
    t.buyer_name,
    t.budget,
    SUBSTRING(CAST(t.announce_date AS TEXT), 1, 7) AS period,
    MAX(sh.bidders) AS bidders,
    COUNT(DISTINCT sh.kind) AS link_kinds,
    MIN(sh.kind) AS kind
  FROM shared AS sh
  JOIN tenders AS t
    ON t.tender_no = sh.tender_no
  GROUP BY
    t.tender_no,
    t.project_name,
    t.buyer_name,
    t.budget,
    t.announce_date
) AS m
