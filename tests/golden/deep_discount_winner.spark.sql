SELECT
  CAST(tender_no AS STRING) AS __subject_id,
  CAST(project_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  'yellow' AS __severity,
  CAST(budget AS DECIMAL(18, 2)) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  buyer_name,
  budget,
  winning_price,
  discount_pct
FROM (
  SELECT
    tender_no,
    project_name,
    buyer_name,
    budget,
    winning_price,
    ROUND(100 * (
      1 - winning_price / budget
    ), 1) AS discount_pct,
    SUBSTRING(CAST(COALESCE(award_date, announce_date) AS STRING), 1, 7) AS period
  FROM tenders
  WHERE
    budget > 0
    AND NOT winning_price IS NULL
    AND winning_price > 0
    AND winning_price < budget * (
      1 - 0.3
    )
) AS m
