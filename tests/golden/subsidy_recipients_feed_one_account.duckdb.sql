SELECT
  CAST(account_no AS TEXT) AS __subject_id,
  CAST(holder_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN recipients >= 10 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(CAST(received AS DECIMAL(18, 2)) AS TEXT) AS __amount,
  CAST(division_code AS TEXT) AS __division_code,
  account_no,
  holder_name,
  holder_id_no,
  recipients,
  payments,
  received,
  subsidies,
  CAST(first_date AS TEXT) AS first_date,
  CAST(last_date AS TEXT) AS last_date,
  CAST(period AS TEXT) AS __text_0,
  CAST(recipients AS TEXT) AS __text_1,
  CAST(received AS TEXT) AS __text_2,
  CAST(subsidies AS TEXT) AS __text_3
FROM (
  WITH transfers AS (
    SELECT
      account_no AS src,
      counterparty_account AS dst,
      counterparty_name AS dst_name,
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
  ), paid AS (
    SELECT
      payment_no,
      id_no,
      period,
      pay_date,
      amount,
      account_no,
      division_code
    FROM subsidy_payments
    WHERE
      NOT account_no IS NULL
      AND NOT id_no IS NULL
      AND NOT pay_date IS NULL
      AND amount > 0
  ), fed AS (
    SELECT
      t.dst,
      t.dst_name,
      h.id_no AS holder_id_no,
      p.period,
      p.id_no AS recipient_id_no,
      p.payment_no,
      p.amount AS paid_amount,
      t.amount AS moved,
      t.txn_date,
      p.division_code
    FROM paid AS p
    JOIN transfers AS t
      ON t.src = p.account_no
      AND DATE_DIFF('DAY', p.pay_date, t.txn_date) BETWEEN 0 AND 10
      AND t.amount >= p.amount * 0.5
    LEFT JOIN holders AS h
      ON h.account = t.dst
    LEFT JOIN relatives AS k
      ON k.id_no = p.id_no AND k.relative_id_no = h.id_no AND k.degree <= 2
    WHERE
      k.id_no IS NULL AND (
        h.id_no IS NULL OR h.id_no <> p.id_no
      )
  ), per_payment AS (
    /* one row per payment and receiving account: a subsidy is counted once however it was split */
    SELECT
      dst,
      holder_id_no,
      period,
      recipient_id_no,
      payment_no,
      paid_amount,
      division_code,
      MIN(dst_name) AS dst_name,
      SUM(moved) AS moved,
      MIN(txn_date) AS first_date,
      MAX(txn_date) AS last_date
    FROM fed
    GROUP BY
      dst,
      holder_id_no,
      period,
      recipient_id_no,
      payment_no,
      paid_amount,
      division_code
  )
  SELECT
    dst AS account_no,
    MIN(dst_name) AS holder_name,
    holder_id_no,
    period,
    COUNT(DISTINCT recipient_id_no) AS recipients,
    COUNT(*) AS payments,
    CAST(SUM(moved) AS DECIMAL(18, 2)) AS received,
    CAST(SUM(paid_amount) AS DECIMAL(18, 2)) AS subsidies,
    MIN(first_date) AS first_date,
    MAX(last_date) AS last_date,
    MIN(division_code) AS division_code
  FROM per_payment
  GROUP BY
    dst,
    holder_id_no,
    period
  HAVING
    COUNT(DISTINCT recipient_id_no) >= 5
) AS m
