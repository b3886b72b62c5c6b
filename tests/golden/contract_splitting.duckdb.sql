SELECT
  CAST(buyer_uscc AS TEXT) AS __subject_id,
  CAST(buyer_name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN total >= limit_amount * 2 THEN 'red' ELSE 'orange' END AS __severity,
  CAST(CAST(total AS DECIMAL(18, 2)) AS TEXT) AS __amount,
  CAST(NULL AS TEXT) AS __division_code,
  winner_uscc,
  CAST(window_start AS TEXT) AS window_start,
  contracts,
  CAST(total AS TEXT) AS total,
  limit_amount,
  reason
FROM (
  WITH awarded AS (
    SELECT
      tender_no,
      buyer_uscc,
      buyer_name,
      winner_uscc,
      award_date,
      winning_price,
      method,
      category,
      CASE category
        WHEN 'works'
        THEN 4000000
        WHEN 'goods'
        THEN 2000000
        WHEN 'services'
        THEN 1000000
        ELSE 1000000
      END AS limit_amount
    FROM tenders
    WHERE
      NOT award_date IS NULL AND NOT winning_price IS NULL AND NOT buyer_uscc IS NULL
  ), small AS (
    SELECT
      tender_no,
      buyer_uscc,
      buyer_name,
      winner_uscc,
      award_date,
      winning_price,
      limit_amount
    FROM awarded
    WHERE
      NOT winner_uscc IS NULL
      AND winning_price < limit_amount
      AND /* a contract put out to tender (open or invited) evades no tendering */ NOT COALESCE(method, '') IN ('open', 'invited')
  ), windows AS (
    SELECT
      a.buyer_uscc,
      a.buyer_name,
      a.winner_uscc,
      a.award_date AS window_start,
      a.limit_amount,
      COUNT(*) AS contracts,
      SUM(b.winning_price) AS total
    FROM small AS a
    JOIN small AS b
      ON b.buyer_uscc = a.buyer_uscc
      AND b.winner_uscc = a.winner_uscc
      AND b.limit_amount = a.limit_amount
      AND DATE_DIFF('DAY', a.award_date, b.award_date) BETWEEN 0 AND 90
    GROUP BY
      a.tender_no,
      a.buyer_uscc,
      a.buyer_name,
      a.winner_uscc,
      a.award_date,
      a.limit_amount
    HAVING
      COUNT(*) >= 2 AND SUM(b.winning_price) >= a.limit_amount
  ), first_window AS (
    SELECT
      buyer_uscc,
      buyer_name,
      winner_uscc,
      window_start,
      contracts,
      total,
      limit_amount,
      ROW_NUMBER() OVER (PARTITION BY buyer_uscc, winner_uscc, limit_amount ORDER BY window_start) AS k
    FROM windows
  ), procurement_year AS (
    SELECT
      buyer_uscc,
      MIN(buyer_name) AS buyer_name,
      category,
      YEAR(award_date) AS fiscal_year,
      MIN(award_date) AS window_start,
      COUNT(*) AS contracts,
      SUM(winning_price) AS total
    FROM awarded
    WHERE
      method <> 'open' AND NOT category IS NULL AND winning_price < 2000000
    GROUP BY
      buyer_uscc,
      category,
      YEAR(award_date)
    HAVING
      COUNT(*) >= 2 AND SUM(winning_price) > 2000000
  ), found AS (
    SELECT
      buyer_uscc,
      buyer_name,
      winner_uscc,
      window_start,
      contracts,
      total,
      limit_amount,
      1 AS rule,
      '自' || CAST(window_start AS TEXT) || '起的短期内向同一单位（' || winner_uscc || '）授予' || CAST(contracts AS TEXT) || '个低于招标限额的合同，合计' || CAST(total AS TEXT) || '元' AS reason
    FROM first_window
    WHERE
      k = 1
    UNION ALL
    SELECT
      buyer_uscc,
      buyer_name,
      CAST(NULL AS TEXT) AS winner_uscc,
      window_start,
      contracts,
      total,
      2000000 AS limit_amount,
      2 AS rule,
      '在' || CAST(fiscal_year AS TEXT) || '年度以公开招标以外方式' || CAST(contracts AS TEXT) || '次采购同类' || CASE category
        WHEN 'goods'
        THEN '货物'
        WHEN 'services'
        THEN '服务'
        WHEN 'works'
        THEN '工程'
        ELSE '项目'
      END || '，累计' || CAST(total AS TEXT) || '元，超过公开招标数额标准' AS reason
    FROM procurement_year
  ), ranked AS (
    SELECT
      buyer_uscc,
      buyer_name,
      winner_uscc,
      window_start,
      contracts,
      total,
      limit_amount,
      reason,
      SUBSTRING(CAST(window_start AS TEXT), 1, 7) AS period,
      ROW_NUMBER() OVER (
        PARTITION BY buyer_uscc, SUBSTRING(CAST(window_start AS TEXT), 1, 7)
        ORDER BY rule, total DESC
      ) AS pick
    FROM found
  )
  SELECT
    buyer_uscc,
    buyer_name,
    winner_uscc,
    window_start,
    contracts,
    total,
    limit_amount,
    reason,
    period
  FROM ranked
  WHERE
    pick = 1
) AS m
