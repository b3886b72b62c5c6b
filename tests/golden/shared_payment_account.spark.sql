WITH paid AS (
  SELECT
    p.account_no,
    p.period,
    p.id_no,
    p.amount,
    p.division_code,
    COALESCE(r.household_no, 'ID:' || p.id_no) AS household
  FROM subsidy_payments AS p
  LEFT JOIN household_registry AS r
    ON r.id_no = p.id_no
  WHERE
    NOT p.account_no IS NULL AND NOT p.id_no IS NULL
)
SELECT
  CAST(account_no AS STRING) AS __subject_id,
  CAST(NULL AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN households >= 3 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
  recipients,
  households,
  CAST(amount AS STRING) AS amount,
  CAST(period AS STRING) AS __text_0,
  CAST(households AS STRING) AS __text_1,
  CAST(recipients AS STRING) AS __text_2
FROM (
  SELECT
    account_no,
    period,
    MIN(division_code) AS division_code,
    COUNT(DISTINCT id_no) AS recipients,
    COUNT(DISTINCT household) AS households,
    SUM(amount) AS amount
  FROM paid
  GROUP BY
    account_no,
    period
  HAVING
    COUNT(DISTINCT id_no) >= 3 AND COUNT(DISTINCT household) >= 2
) AS m
