SELECT
  CAST(id_no AS TEXT) AS __subject_id,
  CAST(name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN winning_price >= 1000000 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(CAST(winning_price AS DECIMAL(18, 2)) AS TEXT) AS __amount,
  CAST(NULL AS TEXT) AS __division_code,
  org_name,
  position,
  tender_no,
  project_name,
  company_name,
  relative_name,
  relation,
  role,
  CAST(winning_price AS TEXT) AS winning_price,
  CAST(award_date AS TEXT) AS award_date
FROM (
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
  ), owners AS (
    SELECT
      uscc,
      legal_rep_id_no AS id_no,
      legal_rep_name AS name,
      '法定代表人' AS role
    FROM companies
    UNION ALL
    SELECT
      uscc,
      shareholder_id_no AS id_no,
      shareholder_name AS name,
      '股东' AS role
    FROM shareholders
  )
  SELECT
    p.id_no,
    p.name,
    p.org_name,
    p.position,
    t.tender_no,
    t.project_name,
    t.award_date,
    t.winning_price,
    c.name AS company_name,
    MIN(o.name) AS relative_name,
    MIN(kr.relation_zh) AS relation,
    MIN(o.role) AS role,
    SUBSTRING(CAST(t.award_date AS TEXT), 1, 7) AS period
  FROM tenders AS t
  JOIN owners AS o
    ON o.uscc = t.winner_uscc
  JOIN companies AS c
    ON c.uscc = t.winner_uscc
  JOIN kin AS kr
    ON kr.relative_id_no = o.id_no
  JOIN public_payroll AS p
    ON p.id_no = kr.id_no AND p.org_uscc = t.buyer_uscc
  WHERE
    t.award_date >= p.start_date
    AND (
      p.end_date IS NULL OR t.award_date <= p.end_date
    )
  GROUP BY
    p.id_no,
    p.name,
    p.org_name,
    p.position,
    t.tender_no,
    t.project_name,
    t.award_date,
    t.winning_price,
    c.name,
    o.id_no
) AS m
