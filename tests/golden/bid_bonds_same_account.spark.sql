WITH paid AS (
  SELECT
    tender_no,
    bidder_uscc,
    bidder_name,
    bond_payer_name,
    REGEXP_REPLACE(bond_account, '[\\s-]', '') AS account
  FROM bids
  WHERE
    NOT bond_account IS NULL AND TRIM(bond_account) <> ''
), shared AS (
  SELECT
    tender_no,
    account,
    COUNT(DISTINCT bidder_uscc) AS bidders,
    MIN(bidder_name) AS bidder_a,
    MAX(bidder_name) AS bidder_b,
    MIN(bond_payer_name) AS payer
  FROM paid
  GROUP BY
    tender_no,
    account
  HAVING
    COUNT(DISTINCT bidder_uscc) >= 2
), per_tender AS (
  SELECT
    tender_no,
    MAX(bidders) AS bidders,
    COUNT(*) AS accounts,
    MIN(bidder_a) AS bidder_a,
    MAX(bidder_b) AS bidder_b,
    MIN(payer) AS payer,
    MIN(SUBSTRING(account, LENGTH(account) - 3, 4)) AS account_tail
  FROM shared
  GROUP BY
    tender_no
)
SELECT
  CAST(tender_no AS STRING) AS __subject_id,
  CAST(project_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CAST(CAST(budget AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  buyer_name,
  bidders,
  accounts,
  bidder_a,
  bidder_b,
  payer,
  account_tail,
  CAST(bidders AS STRING) AS __text_0
FROM (
  SELECT
    t.tender_no,
    t.project_name,
    t.buyer_name,
    t.budget,
    SUBSTRING(CAST(t.announce_date AS STRING), 1, 7) AS period,
    p.bidders,
    p.accounts,
    p.bidder_a,
    p.bidder_b,
    COALESCE(p.payer, '（户名不详）') AS payer,
    p.account_tail
  FROM per_tender AS p
  JOIN tenders AS t
    ON t.tender_no = p.tender_no
  WHERE
    NOT t.announce_date IS NULL
) AS m
