SELECT
  CAST(tender_no AS STRING) AS __subject_id,
  CAST(project_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CAST(CAST(winning_price AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(NULL AS STRING) AS __division_code,
  buyer_name,
  bidder_name,
  submitted,
  deadline
FROM (
  SELECT
    t.tender_no,
    t.project_name,
    t.buyer_name,
    t.winning_price,
    b.bidder_name,
    CAST(b.submitted_at AS STRING) AS submitted,
    COALESCE(CAST(t.deadline_at AS STRING), CAST(t.deadline_date AS STRING)) AS deadline,
    SUBSTRING(CAST(t.announce_date AS STRING), 1, 7) AS period
  FROM tenders AS t
  JOIN bids AS b
    ON b.tender_no = t.tender_no AND b.bidder_uscc = t.winner_uscc
  WHERE
    NOT t.announce_date IS NULL
    AND NOT b.submitted_at IS NULL
    AND COALESCE(b.disqualified, FALSE) = FALSE
    AND (
      DATEDIFF(SECOND, t.deadline_at, b.submitted_at) > 0 * 60
      OR (
        t.deadline_at IS NULL AND CAST(b.submitted_at AS DATE) > t.deadline_date
      )
    )
) AS m
