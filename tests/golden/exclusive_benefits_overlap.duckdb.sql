SELECT
  CAST(id_no AS TEXT) AS __subject_id,
  CAST(name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CAST(CAST(amount AS DECIMAL(18, 2)) AS TEXT) AS __amount,
  CAST(division_code AS TEXT) AS __division_code,
  reason,
  period,
  last_period,
  months,
  CAST(amount AS TEXT) AS amount,
  CAST(months AS TEXT) AS __text_0
FROM (
  WITH assistance AS (
    SELECT
      id_no,
      MIN(name) AS name,
      period,
      MIN(division_code) AS division_code,
      SUM(amount) AS amount,
      COUNT(DISTINCT subsidy_code) AS kinds
    FROM subsidy_payments
    WHERE
      subsidy_code IN ('dibao', 'extreme_poverty')
      AND NOT id_no IS NULL
      AND NOT period IS NULL
    GROUP BY
      id_no,
      period
  ), pensions AS (
    SELECT
      id_no,
      name,
      period,
      division_code,
      amount,
      CASE
        WHEN REGEXP_MATCHES(pension_type, '机关|事业')
        THEN '机关事业单位基本养老金'
        WHEN REGEXP_MATCHES(pension_type, '城乡居民|居民|新农保|城居保|新型农村')
        THEN '城乡居民基本养老金'
        WHEN REGEXP_MATCHES(pension_type, '企业|职工')
        THEN '企业职工基本养老金'
      END AS scheme
    FROM pension_payments
    WHERE
      NOT pension_type IS NULL
      AND NOT REGEXP_MATCHES(pension_type, '遗属|抚恤|丧葬|高龄|补助金|一次性')
    UNION ALL
    SELECT
      id_no,
      name,
      period,
      division_code,
      amount,
      '城乡居民基本养老金' AS scheme
    FROM subsidy_payments
    WHERE
      subsidy_code = 'resident_pension'
  ), two_pensions AS (
    SELECT
      id_no,
      MIN(name) AS name,
      period,
      MIN(division_code) AS division_code,
      SUM(amount) AS amount,
      MIN(scheme) AS first_scheme,
      MAX(scheme) AS second_scheme
    FROM pensions
    WHERE
      NOT scheme IS NULL AND NOT id_no IS NULL AND NOT period IS NULL
    GROUP BY
      id_no,
      period
    HAVING
      COUNT(DISTINCT scheme) >= 2
  ), months AS (
    SELECT
      id_no,
      name,
      period,
      division_code,
      amount,
      '同时领取最低生活保障金和特困人员救助供养金' AS reason,
      1 AS rule
    FROM assistance
    WHERE
      kinds = 2
    UNION ALL
    SELECT
      id_no,
      name,
      period,
      division_code,
      amount,
      '同时领取' || first_scheme || '和' || second_scheme AS reason,
      2 AS rule
    FROM two_pensions
  )
  SELECT
    id_no,
    MIN(name) AS name,
    MIN(period) AS period,
    MAX(period) AS last_period,
    MIN(division_code) AS division_code,
    rule,
    MIN(reason) AS reason,
    COUNT(*) AS months,
    SUM(amount) AS amount
  FROM months
  GROUP BY
    id_no,
    rule
  HAVING
    COUNT(*) >= 1
) AS m
