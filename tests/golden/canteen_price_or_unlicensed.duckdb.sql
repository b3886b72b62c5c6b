SELECT
  CAST(purchase_no AS TEXT) AS __subject_id,
  CAST(item AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN unlicensed THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS TEXT) AS __amount,
  CAST(NULL AS TEXT) AS __division_code,
  CAST(school_uscc AS TEXT) AS __route_0,
  school_name,
  CAST(purchase_date AS TEXT) AS purchase_date,
  supplier_name,
  item,
  price,
  market_price,
  amount,
  reason,
  CAST(amount AS TEXT) AS __text_0
FROM (
  WITH purchases AS (
    SELECT
      purchase_no,
      school_uscc,
      school_name,
      purchase_date,
      supplier_uscc,
      supplier_name,
      item,
      category,
      unit,
      amount,
      quantity,
      CAST(COALESCE(unit_price, CASE WHEN quantity > 0 THEN amount / quantity END) AS DECIMAL(18, 2)) AS price
    FROM canteen_purchases
    WHERE
      NOT purchase_date IS NULL
  ), market AS (
    SELECT
      p.purchase_no,
      CAST(AVG(m.unit_price) AS DECIMAL(18, 2)) AS market_price
    FROM purchases AS p
    JOIN market_prices AS m
      ON m.item = p.item
      AND COALESCE(m.unit, '') = COALESCE(p.unit, '')
      AND ABS(DATE_DIFF('DAY', m.price_date, p.purchase_date)) <= 15
    GROUP BY
      p.purchase_no
  ), licensed AS (
    SELECT DISTINCT
      p.purchase_no
    FROM purchases AS p
    JOIN food_licences AS f
      ON f.holder_uscc = p.supplier_uscc
    WHERE
      (
        f.issue_date IS NULL OR f.issue_date <= p.purchase_date
      )
      AND (
        f.valid_until IS NULL OR f.valid_until >= p.purchase_date
      )
      AND (
        f.status_date IS NULL
        OR f.status_date > p.purchase_date
        OR NOT REGEXP_MATCHES(COALESCE(f.status, ''), '注销|吊销|撤销|cancel|revok')
      )
  )
  SELECT
    p.purchase_no,
    p.school_uscc,
    p.school_name,
    p.purchase_date,
    p.supplier_uscc,
    p.supplier_name,
    p.item,
    p.amount,
    p.price AS price,
    mk.market_price AS market_price,
    SUBSTRING(CAST(p.purchase_date AS TEXT), 1, 7) AS period,
    l.purchase_no IS NULL
    AND NOT p.supplier_uscc IS NULL
    AND NOT REGEXP_MATCHES(COALESCE(p.category, '') || ' ' || COALESCE(p.item, ''), '蔬菜|水果|鲜蛋|禽蛋|食用农产品|生鲜') AS unlicensed,
    CASE
      WHEN l.purchase_no IS NULL
      AND NOT p.supplier_uscc IS NULL
      AND NOT REGEXP_MATCHES(COALESCE(p.category, '') || ' ' || COALESCE(p.item, ''), '蔬菜|水果|鲜蛋|禽蛋|食用农产品|生鲜')
      THEN '供应商' || COALESCE(p.supplier_name, p.supplier_uscc) || '在采购日没有有效的食品经营许可'
      ELSE '单价' || CAST(p.price AS TEXT) || '元高于同期市场均价' || CAST(mk.market_price AS TEXT) || '元'
    END AS reason
  FROM purchases AS p
  LEFT JOIN market AS mk
    ON mk.purchase_no = p.purchase_no
  LEFT JOIN licensed AS l
    ON l.purchase_no = p.purchase_no
  WHERE
    (
      l.purchase_no IS NULL
      AND NOT p.supplier_uscc IS NULL
      AND NOT REGEXP_MATCHES(COALESCE(p.category, '') || ' ' || COALESCE(p.item, ''), '蔬菜|水果|鲜蛋|禽蛋|食用农产品|生鲜')
    )
    OR (
      mk.market_price > 0 AND p.price > mk.market_price * (
        1 + 0.3
      )
    )
) AS m
