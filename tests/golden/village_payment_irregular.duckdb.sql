SELECT
  CAST(voucher_no AS TEXT) AS __subject_id,
  CAST(NULL AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN to_relative THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS TEXT) AS __amount,
  CAST(division_code AS TEXT) AS __division_code,
  CAST(entry_date AS TEXT) AS entry_date,
  payee_name,
  CAST(amount AS TEXT) AS amount,
  purpose,
  decision_no,
  cadre_name,
  reason
FROM (
  WITH cadres AS (
    SELECT
      p.id_no,
      p.name,
      p.position,
      s.household_no,
      s.division_code
    FROM public_payroll AS p
    JOIN household_registry AS s
      ON s.id_no = p.id_no
    WHERE
      NOT p.position IS NULL
      AND REGEXP_MATCHES(p.position, '(村|社区|居委会|居民委员会|党支部|党总支).*(书记|主任)|村支书|一肩挑|村干部|两委')
  ), to_relative AS (
    SELECT
      l.voucher_no,
      MIN(c.name) AS cadre_name,
      MIN(c.position) AS cadre_position
    FROM village_ledgers AS l
    JOIN household_registry AS k
      ON k.id_no = l.payee_id_no
    JOIN cadres AS c
      ON c.household_no = k.household_no
      AND c.id_no <> k.id_no
      AND c.division_code = l.division_code
    GROUP BY
      l.voucher_no
  )
  SELECT
    l.voucher_no,
    l.division_code,
    l.entry_date,
    l.payee_name,
    l.amount,
    l.purpose,
    l.decision_no,
    r.cadre_name,
    SUBSTRING(CAST(l.entry_date AS TEXT), 1, 7) AS period,
    NOT r.voucher_no IS NULL AS to_relative,
    CASE
      WHEN NOT r.voucher_no IS NULL
      THEN '收款人是村干部' || r.cadre_name || '（' || r.cadre_position || '）的同户亲属'
      ELSE '金额达到民主决策标准但无决策记录'
    END AS reason
  FROM village_ledgers AS l
  LEFT JOIN to_relative AS r
    ON r.voucher_no = l.voucher_no
  WHERE
    NOT l.entry_date IS NULL
    AND (
      NOT r.voucher_no IS NULL
      OR (
        l.amount >= 5000 AND (
          l.decision_no IS NULL OR TRIM(l.decision_no) = ''
        )
      )
    )
) AS m
