WITH leaders AS (
  SELECT
    p.id_no,
    p.name,
    p.org_uscc,
    p.org_name,
    p.position,
    p.start_date,
    p.end_date,
    CASE
      WHEN p.division_code IS NULL
      THEN SUBSTRING(p.org_uscc, 3, 6)
      WHEN SUBSTRING(p.division_code, 7, 6) = '000000'
      THEN SUBSTRING(p.division_code, 1, 6)
      WHEN SUBSTRING(p.division_code, 10, 3) = '000'
      THEN SUBSTRING(p.division_code, 1, 9)
      ELSE p.division_code
    END AS jurisdiction /* the body's division; without one, the county of the body's credit code (characters */ /* 3-8 of a USCC are the registering authority's division code) */
  FROM public_payroll AS p
  WHERE
    NOT p.position IS NULL
    AND p.position RLIKE '书记|局长|主任|镇长|乡长|县长|院长|校长|所长|站长|部长|主席|领导|主任科员|负责人'
    AND NOT COALESCE(p.staff_type, '') RLIKE '村干部|村（社区）干部|村组干部|社区工作者|公益性岗位|公益岗|合同制|劳动合同|劳务派遣|临聘|编外|临时|聘用'
    AND NOT p.start_date IS NULL
), roles AS (
  SELECT
    legal_rep_id_no AS id_no,
    uscc,
    '法定代表人' AS role
  FROM companies
  UNION ALL
  SELECT
    shareholder_id_no AS id_no,
    uscc,
    '股东' AS role
  FROM shareholders
  WHERE
    COALESCE(share_ratio, 1) >= 0 AND COALESCE(share_ratio, 1) > 0
), kin_business AS (
  SELECT
    l.id_no,
    l.name,
    l.org_name,
    l.position,
    c.uscc,
    c.name AS company_name,
    MIN(
      CASE k.relation
        WHEN 'spouse'
        THEN '配偶'
        WHEN 'child'
        THEN '子女'
        WHEN 'child_in_law'
        THEN '子女的配偶'
        ELSE '亲属'
      END
    ) AS who,
    MIN(r.role) AS role,
    SUBSTRING(
      CAST(GREATEST(l.start_date, COALESCE(c.established_date, l.start_date)) AS STRING),
      1,
      7
    ) AS period
  FROM leaders AS l
  JOIN relatives AS k
    ON k.id_no = l.id_no
    AND LOCATE(',' || k.relation || ',', ',' || 'spouse,child,child_in_law' || ',') > 0
  JOIN roles AS r
    ON r.id_no = k.relative_id_no
  JOIN companies AS c
    ON c.uscc = r.uscc
  /* the company's division; without one, the county of its credit code (a township leader's */
  /* jurisdiction is never matched by a county alone) */
  WHERE
    NOT l.jurisdiction IS NULL
    AND LENGTH(l.jurisdiction) >= 6
    AND SUBSTRING(COALESCE(c.division_code, SUBSTRING(c.uscc, 3, 6)), 1, LENGTH(l.jurisdiction)) = l.jurisdiction
    AND (
      l.end_date IS NULL
      OR c.established_date IS NULL
      OR c.established_date <= l.end_date
    )
    AND (
      c.cancelled_date IS NULL OR c.cancelled_date >= l.start_date
    )
  GROUP BY
    l.id_no,
    l.name,
    l.org_name,
    l.position,
    l.start_date,
    c.uscc,
    c.name,
    c.established_date
), related AS (
  /* companies that won a contract from the leader's former body */
  SELECT DISTINCT
    buyer_uscc,
    winner_uscc
  FROM tenders
  WHERE
    NOT winner_uscc IS NULL
), exit_roles AS (
  SELECT
    r.id_no,
    r.uscc,
    r.role,
    c.established_date AS role_date
  FROM roles AS r
  JOIN companies AS c
    ON c.uscc = r.uscc
  UNION ALL
  SELECT
    id_no,
    employer_uscc AS uscc,
    '参保职工' AS role,
    TRY_CAST(MIN(period) || '-01' AS DATE) AS role_date
  FROM social_insurance
  WHERE
    NOT employer_uscc IS NULL
  GROUP BY
    id_no,
    employer_uscc
), post_exit AS (
  SELECT
    l.id_no,
    l.name,
    l.org_name,
    l.position,
    x.uscc,
    MIN(c.name) AS company_name,
    MIN(x.role) AS role,
    MIN(x.role_date) AS role_date,
    MIN(l.end_date) AS end_date
  FROM leaders AS l
  JOIN exit_roles AS x
    ON x.id_no = l.id_no
  JOIN related AS t
    ON t.buyer_uscc = l.org_uscc AND t.winner_uscc = x.uscc
  LEFT JOIN companies AS c
    ON c.uscc = x.uscc
  WHERE
    NOT l.end_date IS NULL
    AND NOT x.role_date IS NULL
    AND x.role_date >= l.end_date
    AND (
      YEAR(x.role_date) * 12 + MONTH(x.role_date)
    ) - (
      YEAR(l.end_date) * 12 + MONTH(l.end_date)
    ) < 36
  GROUP BY
    l.id_no,
    l.name,
    l.org_name,
    l.position,
    x.uscc
)
SELECT
  CAST(id_no AS STRING) AS __subject_id,
  CAST(name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CAST(NULL AS STRING) AS __division_code,
  org_name,
  position,
  company_name,
  role,
  reason,
  CAST(org_name AS STRING) AS __text_0,
  CAST(position AS STRING) AS __text_1,
  CAST(reason AS STRING) AS __text_2
FROM (
  SELECT
    id_no,
    name,
    org_name,
    position,
    uscc,
    company_name,
    role,
    period,
    1 AS rule,
    '其' || who || '在其管辖地区为' || company_name || '的' || role AS reason
  FROM kin_business
  UNION ALL
  SELECT
    id_no,
    name,
    org_name,
    position,
    uscc,
    company_name,
    role,
    SUBSTRING(CAST(role_date AS STRING), 1, 7) AS period,
    2 AS rule,
    CAST(end_date AS STRING) || '离职后，于' || CAST(role_date AS STRING) || '成为曾承接原单位项目的' || COALESCE(company_name, uscc) || '的' || role AS reason
  FROM post_exit
) AS m
