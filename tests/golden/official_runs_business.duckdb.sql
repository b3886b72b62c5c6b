SELECT
  CAST(id_no AS TEXT) AS __subject_id,
  CAST(name AS TEXT) AS __subject_name,
  CAST(period AS TEXT) AS __period,
  CASE WHEN role = '法定代表人' THEN 'red' ELSE 'orange' END AS __severity,
  CAST(NULL AS TEXT) AS __division_code,
  org_name,
  position,
  CAST(job_start AS TEXT) AS job_start,
  uscc,
  company_name,
  role,
  CAST(established_date AS TEXT) AS established_date
FROM (
  WITH roles AS (
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
  ), found AS (
    SELECT
      p.id_no,
      p.name,
      p.org_name,
      p.position,
      p.start_date AS job_start,
      c.uscc,
      c.name AS company_name,
      c.established_date,
      MIN(r.role) AS role
    FROM public_payroll AS p
    JOIN roles AS r
      ON r.id_no = p.id_no
    JOIN companies AS c
      ON c.uscc = r.uscc
    /* the company's life [established, cancelled] overlaps the employment [start, end] */
    WHERE
      NOT REGEXP_MATCHES(
        COALESCE(p.staff_type, ''),
        '村干部|村（社区）干部|村组干部|社区工作者|公益性岗位|公益岗|合同制|劳动合同|劳务派遣|临聘|编外|临时|聘用'
      )
      AND (
        p.end_date IS NULL
        OR c.established_date IS NULL
        OR c.established_date <= p.end_date
      )
      AND (
        c.cancelled_date IS NULL OR c.cancelled_date >= p.start_date
      )
    GROUP BY
      p.id_no,
      p.name,
      p.org_name,
      p.position,
      p.start_date,
      c.uscc,
      c.name,
      c.established_date
  )
  SELECT
    id_no,
    name,
    org_name,
    position,
    job_start,
    uscc,
    company_name,
    established_date,
    role,
    SUBSTRING(CAST(GREATEST(job_start, COALESCE(established_date, job_start)) AS TEXT), 1, 7) AS period
  FROM found
) AS m
