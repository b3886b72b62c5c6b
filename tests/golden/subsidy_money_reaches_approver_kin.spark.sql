WITH transfers AS (
  SELECT
    txn_id,
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
), start AS (
  SELECT
    payment_no,
    approver_id_no,
    approver_name,
    period,
    pay_date,
    amount,
    account_no,
    subsidy_type,
    name AS recipient_name,
    division_code
  FROM subsidy_payments
  WHERE
    NOT account_no IS NULL AND NOT approver_id_no IS NULL AND NOT pay_date IS NULL
), hop1 AS (
  SELECT
    s.payment_no,
    t.dst AS account,
    t.txn_time AS at_time,
    1 AS hops,
    CAST(t.txn_date AS STRING) || ' ' || CAST(t.amount AS STRING) || '元→' || t.dst AS path
  FROM start AS s
  JOIN transfers AS t
    ON t.src = s.account_no
  WHERE
    DATEDIFF(DAY, s.pay_date, t.txn_date) BETWEEN 0 AND 30
    AND t.amount >= s.amount * 0.5
), hop2 AS (
  SELECT
    h.payment_no,
    t.dst AS account,
    t.txn_time AS at_time,
    2 AS hops,
    h.path || '；' || CAST(t.txn_date AS STRING) || ' ' || CAST(t.amount AS STRING) || '元→' || t.dst AS path
  FROM hop1 AS h
  JOIN start AS s
    ON s.payment_no = h.payment_no
  JOIN transfers AS t
    ON t.src = h.account AND t.txn_time > h.at_time
  WHERE
    3 >= 2
    AND DATEDIFF(DAY, s.pay_date, t.txn_date) <= 30
    AND t.amount >= s.amount * 0.5
    AND t.dst <> s.account_no
), hop3 AS (
  SELECT
    h.payment_no,
    t.dst AS account,
    t.txn_time AS at_time,
    3 AS hops,
    h.path || '；' || CAST(t.txn_date AS STRING) || ' ' || CAST(t.amount AS STRING) || '元→' || t.dst AS path
  FROM hop2 AS h
  JOIN start AS s
    ON s.payment_no = h.payment_no
  JOIN transfers AS t
    ON t.src = h.account AND t.txn_time > h.at_time
  WHERE
    3 >= 3
    AND DATEDIFF(DAY, s.pay_date, t.txn_date) <= 30
    AND t.amount >= s.amount * 0.5
    AND t.dst <> s.account_no
), reached AS (
  SELECT
    *
  FROM hop1
  UNION ALL
  SELECT
    *
  FROM hop2
  UNION ALL
  SELECT
    *
  FROM hop3
), to_kin AS (
  SELECT
    r.payment_no,
    r.hops,
    r.path,
    h.id_no AS holder_id_no,
    CASE WHEN h.id_no = s.approver_id_no THEN '本人' ELSE MIN(k.relation) END AS relation
  FROM reached AS r
  JOIN start AS s
    ON s.payment_no = r.payment_no
  JOIN holders AS h
    ON h.account = r.account
  LEFT JOIN relatives AS k
    ON k.id_no = s.approver_id_no AND k.relative_id_no = h.id_no AND k.degree <= 3
  WHERE
    h.id_no = s.approver_id_no OR NOT k.id_no IS NULL
  GROUP BY
    r.payment_no,
    r.hops,
    r.path,
    h.id_no,
    s.approver_id_no
)
SELECT
  CAST(approver_id_no AS STRING) AS __subject_id,
  CAST(approver_name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN hops = 1 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
  payment_no,
  subsidy_type,
  recipient_name,
  CAST(amount AS STRING) AS amount,
  hops,
  path,
  reached,
  CAST(hops AS STRING) AS __text_0
FROM (
  SELECT
    s.approver_id_no,
    s.approver_name,
    s.period,
    s.payment_no,
    s.subsidy_type,
    s.recipient_name,
    s.amount,
    s.division_code,
    tk.hops,
    tk.path,
    CASE tk.relation
      WHEN '本人'
      THEN '审批人本人'
      WHEN 'spouse'
      THEN '审批人的配偶'
      WHEN 'parent'
      THEN '审批人的父母'
      WHEN 'child'
      THEN '审批人的子女'
      WHEN 'sibling'
      THEN '审批人的兄弟姐妹'
      ELSE '审批人的亲属'
    END AS reached
  FROM to_kin AS tk
  JOIN start AS s
    ON s.payment_no = tk.payment_no
  WHERE
    tk.hops = (
      SELECT
        MIN(x.hops)
      FROM to_kin AS x
      WHERE
        x.payment_no = tk.payment_no
    )
) AS m
