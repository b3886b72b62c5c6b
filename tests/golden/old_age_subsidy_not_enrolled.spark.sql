WITH ref AS (
  SELECT
    MAX(pay_date) AS ref_date
  FROM subsidy_payments
  WHERE
    subsidy_type = '高龄津贴'
), eligible AS (
  SELECT
    r.id_no,
    r.name,
    r.division_code,
    r.birth_date,
    f.ref_date,
    CAST(EXTRACT(YEAR FROM f.ref_date) - EXTRACT(YEAR FROM r.birth_date) - CASE
      WHEN EXTRACT(MONTH FROM f.ref_date) * 100 + EXTRACT(DAY FROM f.ref_date) < EXTRACT(MONTH FROM r.birth_date) * 100 + EXTRACT(DAY FROM r.birth_date)
      THEN 1
      ELSE 0
    END AS INT) AS age
  FROM household_registry AS r
  CROSS JOIN ref AS f
  WHERE
    r.status = 'active'
    AND r.registry_death_date IS NULL
    AND NOT r.birth_date IS NULL
    AND NOT f.ref_date IS NULL
    AND /* reached the age at least grace_months before the reference date */ DATEDIFF(MONTH, r.birth_date, f.ref_date) >= 80 * 12 + 3
)
SELECT
  CAST(id_no AS STRING) AS __subject_id,
  CAST(name AS STRING) AS __subject_name,
  CAST(period AS STRING) AS __period,
  CASE WHEN age >= 90 THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(NULL AS DECIMAL(18, 2)) AS __amount,
  CAST(division_code AS STRING) AS __division_code,
  birth_date,
  age,
  ref_date
FROM (
  SELECT
    e.id_no,
    e.name,
    e.division_code,
    e.birth_date,
    e.age,
    e.ref_date,
    SUBSTRING(CAST(e.ref_date AS STRING), 1, 7) AS period
  FROM eligible AS e
  WHERE
    NOT EXISTS(
      SELECT
        1
      FROM deaths AS d
      WHERE
        d.id_no = e.id_no
    )
    AND NOT EXISTS(
      SELECT
        1
      FROM subsidy_payments AS s
      WHERE
        s.id_no = e.id_no
        AND s.subsidy_type = '高龄津贴'
        AND DATEDIFF(MONTH, s.pay_date, e.ref_date) < 3
    )
) AS m
