SELECT
  CAST(tender_no AS TEXT) AS __subject_id,
  CAST(project_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CAST(CAST(winning_price AS DECIMAL(18, 2)) AS TEXT) AS __amount,
  CAST(NULL AS TEXT) AS __division_code,
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
    CAST(b.submitted_at AS TEXT) AS submitted,
    COALESCE(CAST(t.deadline_at AS TEXT), CAST(t.deadline_date AS TEXT)) AS deadline,
    SUBSTRING(CAST(t.announce_date AS TEXT), 1, 7) AS period
  FROM tenders AS t
  JOIN bids AS b
    ON b.tender_no = t.tender_no AND b.bidder_uscc = t.winner_uscc
  WHERE
    NOT t.announce_date IS NULL
    AND NOT b.submitted_at IS NULL
    AND COALESCE(b.disqualified, FALSE) = FALSE
    AND (
      DATE_DIFF('SECOND', t.deadline_at, b.submitted_at) > 0 * 60
      OR (
        t.deadline_at IS NULL AND CAST(b.submitted_at AS DATE) > t.deadline_date
      )
    )
) AS m
