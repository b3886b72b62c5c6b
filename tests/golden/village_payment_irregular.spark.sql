WITH kin AS (
  /* close relatives up to :kin_degree, across households (one row per pair) */
  SELECT
    k.id_no,
    k.relative_id_no,
    MIN(k.degree) AS degree,
    MIN(
      CASE k.relation
        WHEN 'spouse'
        THEN '配偶'
        WHEN 'parent'
        THEN '父母'
        WHEN 'child'
        THEN '子女'
        WHEN 'sibling'
        THEN '兄弟姐妹'
        WHEN 'grandparent'
        THEN '祖父母'
        WHEN 'grandchild'
        THEN '孙子女'
        WHEN 'child_in_law'
        THEN '子女的配偶'
        WHEN 'parent_in_law'
        THEN '配偶的父母'
        WHEN 'sibling_in_law'
        THEN '兄弟姐妹的配偶或配偶的兄弟姐妹'
        WHEN 'uncle_aunt'
        THEN '父母的兄弟姐妹'
        WHEN 'nephew_niece'
        THEN '兄弟姐妹的子女'
        ELSE '亲属'
      END
    ) AS relation_zh
  FROM relatives AS k
  WHERE
    k.degree <= 3
  GROUP BY
    k.id_no,
    k.relative_id_no
), cadres AS (
  SELECT
    p.id_no,
    p.name,
    p.position,
    s.division_code
  FROM public_payroll AS p
  JOIN household_registry AS s
    ON s.id_no = p.id_no
  WHERE
    NOT p.position IS NULL
    AND p.position RLIKE '(村|社区|居委会|居民委员会|党支部|党总支).*(书记|主任)|村支书|一肩挑|村干部|两委'
), to_relative AS (
  SELECT
    l.voucher_no,
    MIN(c.name) AS cadre_name,
    MIN(c.position) AS cadre_position,
    MIN(kr.relation_zh) AS relation_zh
  FROM village_ledgers AS l
  JOIN kin AS kr
    ON kr.relative_id_no = l.payee_id_no
  JOIN cadres AS c
    ON c.id_no = kr.id_no AND c.division_code = l.division_code
  GROUP BY
    l.voucher_no
)
SELECT
  CAST(voucher_no AS STRING) AS __subject_id,
  CAST(NULL AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN to_relative THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS STRING) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
  CAST(entry_date AS STRING) AS entry_date,
  payee_name,
  CAST(amount AS STRING) AS amount,
  purpose,
  decision_no,
  cadre_name,
  reason
FROM (
  SELECT
    l.voucher_no,
    l.division_code,
    l.entry_date,
    l.payee_name,
    l.amount,
    l.purpose,
    l.decision_no,
    r.cadre_name,
    SUBSTRING(CAST(l.entry_date AS STRING), 1, 7) AS period,
    NOT r.voucher_no IS NULL AS to_relative,
    CASE
      WHEN NOT r.voucher_no IS NULL
      THEN '收款人是村干部' || r.cadre_name || '（' || r.cadre_position || '）的亲属（' || r.relation_zh || '）'
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
