SELECT
  CAST(contract_no AS TEXT) AS __subject_id,
  CAST(asset_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN to_cadre THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(CAST(shortfall AS DECIMAL(18, 2)) AS TEXT) AS __amount,
  CAST(division_code AS TEXT) AS __division_code,
  asset_name,
  lessee_name,
  CAST(annual_rent AS TEXT) AS annual_rent,
  CAST(reference_rent AS TEXT) AS reference_rent,
  CAST(sign_date AS TEXT) AS sign_date,
  reason
FROM (
  WITH cadres AS (
    SELECT
      p.id_no,
      p.name,
      p.position,
      s.division_code,
      p.start_date,
      p.end_date
    FROM public_payroll AS p
    JOIN household_registry AS s
      ON s.id_no = p.id_no
    WHERE
      NOT p.position IS NULL
      AND REGEXP_MATCHES(p.position, '(村|社区|居委会|居民委员会|党支部|党总支).*(书记|主任|委员|会计|文书)|村支书|一肩挑|村干部|两委|村民小组长')
  ), linked AS (
    SELECT
      l.contract_no,
      MIN(c.name) AS cadre_name,
      MIN(c.position) AS cadre_position,
      MIN(
        CASE
          WHEN l.lessee_id_no = c.id_no
          THEN '本人'
          ELSE CASE k.relation
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
            ELSE '亲属'
          END
        END
      ) AS relation_zh
    FROM collective_asset_leases AS l
    JOIN cadres AS c
      ON c.division_code = l.division_code
      AND (
        c.end_date IS NULL OR c.end_date >= l.sign_date
      )
      AND (
        c.start_date IS NULL OR c.start_date <= l.sign_date
      )
    LEFT JOIN relatives AS k
      ON k.id_no = c.id_no AND k.relative_id_no = l.lessee_id_no AND k.degree <= 2
    WHERE
      NOT l.lessee_id_no IS NULL
      AND (
        l.lessee_id_no = c.id_no OR NOT k.relative_id_no IS NULL
      )
    GROUP BY
      l.contract_no
  ), leases AS (
    SELECT
      l.contract_no,
      l.division_code,
      l.asset_name,
      l.lessee_name,
      l.annual_rent,
      l.reference_rent,
      l.sign_date,
      l.transfer_method,
      l.decision_no,
      NOT l.transfer_method IS NULL
      AND REGEXP_MATCHES(l.transfer_method, '公开|竞价|拍卖|招标|挂牌|产权交易') AS is_open,
      NOT NULLIF(TRIM(l.decision_no), '') IS NULL AS has_decision,
      r.cadre_name,
      r.cadre_position,
      r.relation_zh
    FROM collective_asset_leases AS l
    LEFT JOIN linked AS r
      ON r.contract_no = l.contract_no
    WHERE
      NOT l.sign_date IS NULL
  )
  SELECT
    contract_no,
    division_code,
    asset_name,
    lessee_name,
    annual_rent,
    reference_rent,
    sign_date,
    SUBSTRING(CAST(sign_date AS TEXT), 1, 7) AS period,
    NOT cadre_name IS NULL AND NOT is_open AND NOT has_decision AS to_cadre,
    COALESCE(reference_rent - annual_rent, 0) AS shortfall,
    CASE
      WHEN NOT cadre_name IS NULL AND NOT is_open AND NOT has_decision
      THEN '承租人是村干部' || cadre_name || '（' || cadre_position || '）' || CASE WHEN relation_zh = '本人' THEN '本人' ELSE '的亲属（' || relation_zh || '）' END || '，未公开交易且无民主决策记录'
      ELSE '年租金' || CAST(annual_rent AS TEXT) || '元，低于评估（指导）租金' || CAST(reference_rent AS TEXT) || '元，且未公开交易'
    END AS reason
  FROM leases
  WHERE
    (
      NOT cadre_name IS NULL AND NOT is_open AND NOT has_decision
    )
    OR (
      NOT is_open
      AND NOT reference_rent IS NULL
      AND reference_rent > 0
      AND annual_rent < reference_rent * (
        1 - 0.3
      )
    )
) AS m
