SELECT
  CAST(approver_id_no AS TEXT) AS __subject_id,
  CAST(approver_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN closest = 1 OR returned_share >= 0.8 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(CAST(returned_total AS DECIMAL(18, 2)) AS TEXT) AS __amount,
  CAST(division_code AS TEXT) AS __division_code,
  payment_no,
  subsidy_type,
  recipient_name,
  amount,
  CAST(pay_date AS TEXT) AS pay_date,
  returned_total,
  returned_share,
  CAST(first_date AS TEXT) AS first_date,
  received_by,
  CAST(amount AS TEXT) AS __text_0,
  CAST(returned_total AS TEXT) AS __text_1,
  CAST(returned_share AS TEXT) AS __text_2
FROM (
  WITH transfers AS (
    SELECT
      account_no AS src,
      counterparty_account AS dst,
      CAST(txn_time AS DATE) AS txn_date,
      ABS(amount) AS amount
    FROM bank_transactions
    WHERE
      NOT counterparty_account IS NULL AND direction = 'out'
  ), holders AS (
    /* who holds an account: its own statement, or the counterparty ID on another's */
    SELECT
      account,
      MIN(id_no) AS id_no
    FROM (
      SELECT
        account_no AS account,
        holder_id_no AS id_no
      FROM bank_transactions
      UNION ALL
      SELECT
        counterparty_account AS account,
        counterparty_id_no AS id_no
      FROM bank_transactions
    ) AS h
    WHERE
      NOT account IS NULL AND NOT id_no IS NULL
    GROUP BY
      account
  ), start AS (
    SELECT
      payment_no,
      id_no,
      name,
      approver_id_no,
      approver_name,
      period,
      pay_date,
      amount,
      account_no,
      subsidy_type,
      division_code
    FROM subsidy_payments
    WHERE
      NOT account_no IS NULL
      AND NOT approver_id_no IS NULL
      AND NOT pay_date IS NULL
      AND amount > 0
  ), payer_side AS (
    /* the approver, and whoever was in post in a unit that employed the approver that day */
    SELECT
      payment_no,
      official_id_no,
      MIN(rank_no) AS rank_no,
      MIN(official_name) AS official_name
    FROM (
      SELECT
        s.payment_no,
        s.approver_id_no AS official_id_no,
        1 AS rank_no,
        s.approver_name AS official_name
      FROM start AS s
      UNION ALL
      SELECT
        s.payment_no,
        c.id_no AS official_id_no,
        2 AS rank_no,
        c.name AS official_name
      FROM start AS s
      JOIN public_payroll AS a
        ON a.id_no = s.approver_id_no
        AND a.start_date <= s.pay_date
        AND (
          a.end_date IS NULL OR a.end_date >= s.pay_date
        )
      JOIN public_payroll AS c
        ON c.org_uscc = a.org_uscc
        AND c.start_date <= s.pay_date
        AND (
          c.end_date IS NULL OR c.end_date >= s.pay_date
        )
    ) AS p
    GROUP BY
      payment_no,
      official_id_no
  ), returned AS (
    SELECT
      s.payment_no,
      p.official_id_no,
      p.official_name,
      p.rank_no,
      SUM(t.amount) AS moved,
      MIN(t.txn_date) AS first_date
    FROM start AS s
    JOIN transfers AS t
      ON t.src = s.account_no
      AND DATE_DIFF('DAY', s.pay_date, t.txn_date) BETWEEN 0 AND 30
    JOIN holders AS h
      ON h.account = t.dst
    JOIN payer_side AS p
      ON p.payment_no = s.payment_no AND p.official_id_no = h.id_no
    LEFT JOIN relatives AS k
      ON k.id_no = s.id_no AND k.relative_id_no = h.id_no AND k.degree <= 2
    WHERE
      k.id_no IS NULL AND (
        s.id_no IS NULL OR h.id_no <> s.id_no
      )
    GROUP BY
      s.payment_no,
      p.official_id_no,
      p.official_name,
      p.rank_no
  ), per_payment AS (
    SELECT
      payment_no,
      official_name,
      rank_no,
      moved,
      first_date,
      SUM(moved) OVER (PARTITION BY payment_no) AS returned_total,
      MIN(rank_no) OVER (PARTITION BY payment_no) AS closest,
      ROW_NUMBER() OVER (PARTITION BY payment_no ORDER BY rank_no, moved DESC, official_id_no) AS rn
    FROM returned
  )
  SELECT
    s.approver_id_no,
    s.approver_name,
    s.period,
    s.payment_no,
    s.subsidy_type,
    s.name AS recipient_name,
    s.amount,
    s.pay_date,
    s.division_code,
    r.returned_total,
    CAST(ROUND(r.returned_total / s.amount, 2) AS DECIMAL(6, 2)) AS returned_share,
    r.first_date,
    CASE WHEN r.rank_no = 1 THEN '审批人本人' ELSE '审批人同单位人员' || r.official_name END AS received_by,
    r.closest
  FROM per_payment AS r
  JOIN start AS s
    ON s.payment_no = r.payment_no
  WHERE
    r.rn = 1 AND r.returned_total >= s.amount * 0.3
) AS m
