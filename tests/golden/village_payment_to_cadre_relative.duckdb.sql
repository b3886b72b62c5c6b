SELECT
  CAST(id_no AS TEXT) AS __subject_id,
  CAST(name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  'orange' AS __severity,
  CAST(amount AS DECIMAL(18, 2)) AS __amount,
  CAST(division_code AS TEXT) AS __division_code,
  position,
  payee_name,
  payee_relation,
  vouchers,
  amount,
  purpose,
  period
FROM (
  WITH cadres AS (
    SELECT
      p.id_no,
      p.name,
      p.position,
      p.start_date,
      p.end_date,
      s.household_no,
      s.division_code
    FROM public_payroll AS p
    JOIN household_registry AS s
      ON s.id_no = p.id_no
    WHERE
      REGEXP_MATCHES(
        COALESCE(p.org_name, '') || ' ' || COALESCE(p.position, ''),
        '村民委员会|村委会|居委会|村党支部|村党总支|社区|村支书|村主任|村委委员|村会计|村文书|报账员'
      )
  )
  SELECT
    c.id_no,
    c.name,
    c.position,
    l.division_code,
    SUBSTRING(CAST(l.entry_date AS TEXT), 1, 7) AS period,
    MIN(l.payee_name) AS payee_name,
    MIN(k.relation_to_head) AS payee_relation,
    COUNT(*) AS vouchers,
    SUM(l.amount) AS amount,
    MIN(l.purpose) AS purpose
  FROM village_ledgers AS l
  JOIN household_registry AS k
    ON k.id_no = l.payee_id_no
  JOIN cadres AS c
    ON c.household_no = k.household_no
    AND c.id_no <> k.id_no
    AND c.division_code = l.division_code
  WHERE
    (
      c.start_date IS NULL OR l.entry_date >= c.start_date
    )
    AND (
      c.end_date IS NULL OR l.entry_date <= c.end_date
    )
  GROUP BY
    c.id_no,
    c.name,
    c.position,
    l.division_code,
    SUBSTRING(CAST(l.entry_date AS TEXT), 1, 7)
  HAVING
    SUM(l.amount) >= 0
) AS m
