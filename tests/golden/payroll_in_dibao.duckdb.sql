SELECT
  CAST(id_no AS TEXT) AS __subject_id,
  CAST(name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CAST(division_code AS TEXT) AS __division_code,
  case_no,
  org_name,
  position,
  CAST(job_start AS TEXT) AS job_start,
  CAST(dibao_start AS TEXT) AS dibao_start,
  CAST(overlap_start AS TEXT) AS overlap_start
FROM (
  SELECT
    m.id_no,
    m.name,
    h.case_no,
    h.division_code,
    h.start_date AS dibao_start,
    p.org_name,
    p.position,
    p.start_date AS job_start,
    GREATEST(h.start_date, p.start_date) AS overlap_start,
    STRFTIME(GREATEST(h.start_date, p.start_date), '%Y-%m') AS period
  FROM dibao_households AS h
  JOIN dibao_members AS m
    ON m.case_no = h.case_no
  JOIN public_payroll AS p
    ON p.id_no = m.id_no
    AND /* only the state-funded: not village cadres, public-welfare posts, contract staff */ NOT REGEXP_MATCHES(
      COALESCE(p.staff_type, ''),
      '村干部|村（社区）干部|村组干部|社区工作者|公益性岗位|公益岗|合同制|劳动合同|劳务派遣|临聘|编外|临时|聘用'
    )
  /* the two periods overlap by at least :min_overlap_days days (an open end: still running) */
  WHERE
    LEAST(
      COALESCE(h.end_date, CAST('9999-12-31' AS DATE)),
      COALESCE(p.end_date, CAST('9999-12-31' AS DATE))
    ) >= GREATEST(h.start_date, p.start_date) + (
      1 - 1
    )
) AS m
