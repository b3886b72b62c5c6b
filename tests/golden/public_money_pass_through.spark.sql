WITH transfers AS (
  SELECT
    account_no AS src,
    counterparty_account AS dst,
    CAST(txn_time AS DATE) AS txn_date,
    txn_time,
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
  /* public money paid to a person: subsidies, and village collective payments by transfer */
  SELECT
    payment_no,
    id_no,
    name,
    subsidy_type AS paid_as,
    period,
    pay_date,
    amount,
    division_code
  FROM subsidy_payments
  WHERE
    NOT account_no IS NULL
    AND NOT id_no IS NULL
    AND NOT pay_date IS NULL
    AND amount >= 1000
    AND amount > 0
  UNION ALL
  SELECT
    division_code || '/' || voucher_no AS payment_no,
    payee_id_no AS id_no,
    MIN(payee_name) AS name,
    COALESCE(MIN(purpose), '村集体支出') AS paid_as,
    DATE_FORMAT(MIN(entry_date), 'yyyy-MM') AS period,
    MIN(entry_date) AS pay_date,
    SUM(amount) AS amount,
    division_code
  FROM village_ledgers
  WHERE
    NOT payee_id_no IS NULL AND NOT entry_date IS NULL AND pay_method = 'transfer'
  GROUP BY
    division_code,
    voucher_no,
    payee_id_no
  HAVING
    SUM(amount) >= 1000
), paid_into AS (
  /* the account a subsidy was paid to; for a village payment, every account the payee holds */
  SELECT
    payment_no,
    id_no,
    account_no
  FROM subsidy_payments
  WHERE
    NOT account_no IS NULL AND NOT id_no IS NULL AND NOT pay_date IS NULL
  UNION ALL
  SELECT
    v.division_code || '/' || v.voucher_no AS payment_no,
    v.payee_id_no AS id_no,
    h.account AS account_no
  FROM village_ledgers AS v
  JOIN holders AS h
    ON h.id_no = v.payee_id_no
  WHERE
    NOT v.entry_date IS NULL AND v.pay_method = 'transfer'
  GROUP BY
    v.division_code,
    v.voucher_no,
    v.payee_id_no,
    h.account
), sent AS (
  SELECT
    p.payment_no,
    p.id_no,
    t.dst,
    t.amount,
    t.txn_time
  FROM paid AS p
  JOIN paid_into AS a
    ON a.payment_no = p.payment_no AND a.id_no = p.id_no
  JOIN transfers AS t
    ON t.src = a.account_no
    AND DATEDIFF(DAY, p.pay_date, t.txn_date) BETWEEN 0 AND 2
    AND t.amount >= p.amount * 0.2
  LEFT JOIN holders AS h
    ON h.account = t.dst
  LEFT JOIN relatives AS k
    ON k.id_no = p.id_no AND k.relative_id_no = h.id_no AND k.degree <= 2
  WHERE
    k.id_no IS NULL AND (
      h.id_no IS NULL OR h.id_no <> p.id_no
    )
), per_payment AS (
  SELECT
    payment_no,
    id_no,
    dst,
    amount,
    txn_time,
    SUM(amount) OVER (PARTITION BY payment_no, id_no) AS sent_total,
    COUNT(*) OVER (PARTITION BY payment_no, id_no) AS transfers,
    MAX(txn_time) OVER (PARTITION BY payment_no, id_no) AS last_time,
    ROW_NUMBER() OVER (
      PARTITION BY payment_no, id_no
      ORDER BY amount DESC, txn_time NULLS LAST, dst NULLS LAST
    ) AS rn
  FROM sent
), receivers AS (
  SELECT
    payment_no,
    id_no,
    COUNT(DISTINCT dst) AS receivers
  FROM sent
  GROUP BY
    payment_no,
    id_no
)
SELECT
  CAST(id_no AS STRING) AS __subject_id,
  CAST(name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN sent_total >= 10000 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(CAST(sent_total AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
  payment_no,
  paid_as,
  CAST(pay_date AS STRING) AS pay_date,
  amount,
  sent_total,
  sent_share,
  transfers,
  receivers,
  last_time,
  main_receiver,
  CAST(amount AS STRING) AS __text_0,
  CAST(last_time AS STRING) AS __text_1,
  CAST(transfers AS STRING) AS __text_2,
  CAST(sent_total AS STRING) AS __text_3,
  CAST(sent_share AS STRING) AS __text_4
FROM (
  SELECT
    p.id_no,
    p.name,
    p.period,
    p.payment_no,
    p.paid_as,
    p.pay_date,
    p.amount,
    p.division_code,
    CAST(s.sent_total AS DECIMAL(18, 2)) AS sent_total,
    CAST(ROUND(s.sent_total / p.amount, 2) AS DECIMAL(6, 2)) AS sent_share,
    s.transfers,
    r.receivers,
    s.last_time,
    s.dst AS main_receiver
  FROM per_payment AS s
  JOIN paid AS p
    ON p.payment_no = s.payment_no AND p.id_no = s.id_no
  JOIN receivers AS r
    ON r.payment_no = s.payment_no AND r.id_no = s.id_no
  WHERE
    s.rn = 1 AND s.sent_total >= p.amount * 0.9
) AS m
