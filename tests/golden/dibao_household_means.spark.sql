WITH support AS (
  SELECT
    m.id_no,
    m.name,
    h.case_no,
    h.division_code,
    h.start_date,
    h.end_date,
    SUBSTRING(CAST(h.start_date AS STRING), 1, 7) AS from_month,
    COALESCE(SUBSTRING(CAST(h.end_date AS STRING), 1, 7), '9999-12') AS to_month
  FROM dibao_households AS h
  JOIN dibao_members AS m
    ON m.case_no = h.case_no
  WHERE
    NOT h.start_date IS NULL AND NOT m.id_no IS NULL
), homes AS (
  /* housing held during the support (registered before it ended) */
  SELECT
    s.id_no,
    s.case_no,
    COUNT(*) AS homes,
    MIN(
      CASE
        WHEN e.property_type = 'commercial' AND e.register_date >= s.start_date
        THEN e.register_date
      END
    ) AS bought,
    MAX(e.register_date) AS last_registered
  FROM support AS s
  JOIN real_estate AS e
    ON e.owner_id_no = s.id_no
  WHERE
    e.register_date IS NULL
    OR e.register_date <= COALESCE(s.end_date, CAST('9999-12-31' AS DATE))
  GROUP BY
    s.id_no,
    s.case_no
), signals AS (
  SELECT
    s.id_no,
    s.case_no,
    SUBSTRING(
      CAST(COALESCE(hm.bought, GREATEST(s.start_date, COALESCE(hm.last_registered, s.start_date))) AS STRING),
      1,
      7
    ) AS period,
    CASE
      WHEN NOT hm.bought IS NULL
      THEN '保障期间登记取得商品房（' || CAST(hm.bought AS STRING) || '）'
      ELSE '名下住房' || CAST(hm.homes AS STRING) || '套'
    END AS reason
  FROM support AS s
  JOIN homes AS hm
    ON hm.id_no = s.id_no AND hm.case_no = s.case_no
  WHERE
    NOT hm.bought IS NULL OR hm.homes >= 2
  UNION ALL
  SELECT
    s.id_no,
    s.case_no,
    MIN(i.period) AS period,
    '保障期间以职工身份缴纳' || MIN(i.insurance_type) || CAST(COUNT(DISTINCT i.period) AS STRING) || '个月（' || MIN(COALESCE(i.employer_name, '个人')) || '，缴费基数' || CAST(MAX(i.contribution_base) AS STRING) || '元）' AS reason
  FROM support AS s
  JOIN social_insurance AS i
    ON i.id_no = s.id_no
  WHERE
    i.period BETWEEN s.from_month AND s.to_month
    AND COALESCE(i.insurance_type, '') || ' ' || COALESCE(i.contributor_type, '') RLIKE '职工|机关事业|失业|工伤'
    AND NOT COALESCE(i.insurance_type, '') || ' ' || COALESCE(i.contributor_type, '') RLIKE '城乡居民|居民养老|新农保|城居保|灵活就业|个体'
    AND COALESCE(i.contribution_base, 0) >= 3000
  GROUP BY
    s.id_no,
    s.case_no
  HAVING
    COUNT(DISTINCT i.period) >= 3
  UNION ALL
  SELECT
    s.id_no,
    s.case_no,
    MIN(f.period) AS period,
    '保障期间缴存住房公积金' || CAST(COUNT(DISTINCT f.period) AS STRING) || '个月（' || MIN(COALESCE(f.employer_name, '单位不详')) || '）' AS reason
  FROM support AS s
  JOIN provident_fund AS f
    ON f.id_no = s.id_no
  WHERE
    f.period BETWEEN s.from_month AND s.to_month AND COALESCE(f.amount, 0) > 0
  GROUP BY
    s.id_no,
    s.case_no
  HAVING
    COUNT(DISTINCT f.period) >= 3
  UNION ALL
  SELECT
    s.id_no,
    s.case_no,
    MIN(t.period) AS period,
    '保障期间缴纳个人所得税' || CAST(SUM(t.tax_paid) AS STRING) || '元（收入' || CAST(SUM(t.income) AS STRING) || '元）' AS reason
  FROM support AS s
  JOIN tax_payments AS t
    ON t.id_no = s.id_no
  WHERE
    t.period BETWEEN s.from_month AND s.to_month
  GROUP BY
    s.id_no,
    s.case_no
  HAVING
    SUM(COALESCE(t.tax_paid, 0)) >= 0.01
)
SELECT
  CAST(id_no AS STRING) AS __subject_id,
  CAST(name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN signals >= 2 THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(division_code AS STRING) AS __division_code,
  case_no,
  CAST(dibao_start AS STRING) AS dibao_start,
  reason,
  signals,
  CAST(signals AS STRING) AS __text_0
FROM (
  SELECT
    s.id_no,
    MIN(s.name) AS name,
    s.case_no,
    MIN(s.division_code) AS division_code,
    MIN(s.start_date) AS dibao_start,
    MIN(g.period) AS period,
    MIN(g.reason) AS reason,
    COUNT(*) AS signals
  FROM signals AS g
  JOIN support AS s
    ON s.id_no = g.id_no AND s.case_no = g.case_no
  GROUP BY
    s.id_no,
    s.case_no
) AS m
