-- Per resident with a household: own status, education, income household and events.
SELECT d.*,
       s.SECM IN ('11', '12', '13', '14', '15') AS works,
       s.SECM AS secm,
       e.education_level,
       i.INHEHALGR, i.INHBESTINKH, i.INHARMSOC, i.INHUAF, i.INHUAFTYP,
       age_on(m.mother_birth, m.first_child_birth) AS mother_age_first_child,
       v.* EXCLUDE (RINPERSOONS, RINPERSOON)
FROM persons_on_date AS d
LEFT JOIN status_on_date AS s USING (RINPERSOONS, RINPERSOON)
LEFT JOIN education AS e USING (RINPERSOONS, RINPERSOON)
LEFT JOIN income AS i USING (RINPERSOONS, RINPERSOON)
LEFT JOIN mothers AS m USING (RINPERSOONSMa, RINPERSOONMa)
LEFT JOIN events AS v USING (RINPERSOONS, RINPERSOON)
WHERE d.household_id IS NOT NULL
