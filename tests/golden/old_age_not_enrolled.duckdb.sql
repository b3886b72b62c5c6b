SELECT
  CAST(id_no AS TEXT) AS __subject_id,
  CAST(name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN age >= 90 THEN 'orange' ELSE 'yellow' END AS __severity,
  CAST(division_code AS TEXT) AS __division_code,
  CAST(birth_date AS TEXT) AS birth_date,
  age,
  CAST(age AS TEXT) AS __text_0,
  CAST(period AS TEXT) AS __text_1
FROM (
  WITH ref AS (
    /* the allowance's own last period, as a month index (year * 12 + month - 1): other */
    /* subsidies paid monthly run ahead of an allowance paid by the quarter */
    SELECT
      MAX(period) AS ref_period,
      MAX(
        CAST(SUBSTRING(period, 1, 4) AS INT) * 12 + CAST(SUBSTRING(period, 6, 2) AS INT) - 1
      ) AS ref_idx
    FROM subsidy_payments
    WHERE
      NOT period IS NULL AND subsidy_code = 'old_age_allowance'
  ), dead AS (
    SELECT
      id_no
    FROM deaths
    WHERE
      NOT death_date IS NULL
    UNION
    SELECT
      id_no
    FROM household_registry
    WHERE
      NOT registry_death_date IS NULL
  ), recent AS (
    SELECT DISTINCT
      s.id_no
    FROM subsidy_payments AS s
    CROSS JOIN ref AS f
    WHERE
      s.subsidy_code = 'old_age_allowance'
      AND CAST(SUBSTRING(s.period, 1, 4) AS INT) * 12 + CAST(SUBSTRING(s.period, 6, 2) AS INT) - 1 > f.ref_idx - 3
  ), eligible AS (
    SELECT
      r.id_no,
      r.name,
      r.division_code,
      r.birth_date,
      f.ref_period,
      (
        CAST(EXTRACT(YEAR FROM r.birth_date) AS INT) + 80
      ) /* month index of the day the person reaches min_age, and the due month */ * 12 + CAST(EXTRACT(MONTH FROM r.birth_date) AS INT) - 1 AS birthday_idx,
      CAST(EXTRACT(DAY FROM r.birth_date) AS INT) AS birth_day,
      f.ref_idx - 3 + 1 AS due_idx,
      CAST(EXTRACT(YEAR FROM r.birth_date) AS INT) AS birth_year
    FROM household_registry AS r
    CROSS JOIN ref AS f
    WHERE
      STRPOS(',' || 'active' || ',', ',' || r.status || ',') > 0
      AND NOT r.birth_date IS NULL
  )
  SELECT
    e.id_no,
    e.name,
    e.division_code,
    e.birth_date,
    e.ref_period AS period,
    CAST(FLOOR(e.due_idx / 12) AS INT) - e.birth_year AS age
  FROM eligible AS e
  /* the min_age birthday falls on or before the first day of the due month */
  WHERE
    (
      e.birthday_idx < e.due_idx
      OR (
        e.birthday_idx = e.due_idx AND e.birth_day = 1
      )
    )
    AND NOT EXISTS(
      SELECT
        1
      FROM dead AS d
      WHERE
        d.id_no = e.id_no
    )
    AND NOT EXISTS(
      SELECT
        1
      FROM recent AS p
      WHERE
        p.id_no = e.id_no
    )
) AS m
