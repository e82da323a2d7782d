-- Per resident with a household: own status, education, income household and events.
-- The narrow tables are joined to each other first (`own`: events has one row per resident,
-- as persons_on_date) and the wide persons_on_date once: on a national store each join of
-- the wide table spilled all of it to disk again (26.3 M residents on 2 cores, DuckDB at
-- 2 GiB: five joins of persons_on_date 127 s, this 81 s).
WITH own AS (
    SELECT v.RINPERSOONS, v.RINPERSOON,
           s.SECM IN ('11', '12', '13', '14', '15') AS works,
           s.SECM AS secm,
           e.education_level,
           i.INHEHALGR, i.INHBESTINKH, i.INHARMSOC, i.INHUAF, i.INHUAFTYP,
           v.* EXCLUDE (RINPERSOONS, RINPERSOON)
    FROM events AS v
    LEFT JOIN status_on_date AS s USING (RINPERSOONS, RINPERSOON)
    LEFT JOIN education AS e USING (RINPERSOONS, RINPERSOON)
    LEFT JOIN income AS i USING (RINPERSOONS, RINPERSOON)
)
SELECT d.*,
       o.works, o.secm, o.education_level,
       o.INHEHALGR, o.INHBESTINKH, o.INHARMSOC, o.INHUAF, o.INHUAFTYP,
       age_on(m.mother_birth, m.first_child_birth) AS mother_age_first_child,
       o.* EXCLUDE (RINPERSOONS, RINPERSOON, works, secm, education_level,
                    INHEHALGR, INHBESTINKH, INHARMSOC, INHUAF, INHUAFTYP)
FROM persons_on_date AS d
LEFT JOIN own AS o USING (RINPERSOONS, RINPERSOON)
LEFT JOIN mothers AS m USING (RINPERSOONSMa, RINPERSOONMa)
WHERE d.household_id IS NOT NULL
