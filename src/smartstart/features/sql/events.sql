-- Per resident: youth care, protection, Halt, early school leaving, debt restructuring and Wmo
-- in the 12 months before the peildatum (or on it), and the outcome after it.
WITH care AS (
    SELECT RINPERSOONS, RINPERSOON,
           bool_or(JGDHGELDIGHEIDBEGINDATUM < $peildatum
                   AND coalesce(JGDHGELDIGHEIDEINDDATUM, DATE '2050-12-31') >= $year_before)
               AS youth_care_12m,
           bool_or(JGDHHULPVORM IN ('11', '12', '13', '14')
                   AND JGDHGELDIGHEIDBEGINDATUM < $peildatum
                   AND coalesce(JGDHGELDIGHEIDEINDDATUM, DATE '2050-12-31') >= $year_before)
               AS residential_care_12m,
           min(CASE WHEN JGDHHULPVORM IN ('11', '12', '13', '14')
                     AND JGDHGELDIGHEIDBEGINDATUM >= $peildatum
                     AND JGDHGELDIGHEIDBEGINDATUM < $outcome_end
                    THEN JGDHGELDIGHEIDBEGINDATUM END) AS placement_start
    FROM {jgdhulp} SEMI JOIN residents USING (RINPERSOONS, RINPERSOON)
    GROUP BY ALL
), protection AS (
    SELECT RINPERSOONS, RINPERSOON,
           bool_or(JGDBGELDIGHEIDBEGINDATUM < $peildatum
                   AND coalesce(JGDBGELDIGHEIDEINDDATUM, DATE '2050-12-31') >= $year_before)
               AS protection_12m,
           min(CASE WHEN JGDBMAATREGEL = '1' AND JGDBGELDIGHEIDBEGINDATUM >= $peildatum
                     AND JGDBGELDIGHEIDBEGINDATUM < $outcome_end
                    THEN JGDBGELDIGHEIDBEGINDATUM END) AS ots_start
    FROM {jgdbescherm} SEMI JOIN residents USING (RINPERSOONS, RINPERSOON)
    GROUP BY ALL
), halt AS (
    SELECT DISTINCT RINPERSOONS, RINPERSOON, TRUE AS halt_12m
    FROM {halt} SEMI JOIN residents USING (RINPERSOONS, RINPERSOON)
    WHERE HALTDATUMVERWIJZING < $peildatum AND HALTDATUMVERWIJZING >= $year_before
), vsv AS (
    SELECT DISTINCT RINPERSOONS, RINPERSOON, TRUE AS early_leaving_12m
    FROM {vsv} SEMI JOIN residents USING (RINPERSOONS, RINPERSOON)
    WHERE VSVDATUMUITSCHRIJVING < $peildatum AND VSVDATUMUITSCHRIJVING >= $year_before
), wsnp AS (
    SELECT DISTINCT RINPERSOONS, RINPERSOON, TRUE AS debt_restructuring
    FROM {wsnp} SEMI JOIN residents USING (RINPERSOONS, RINPERSOON)
    WHERE Wsnpdatumtoelaat <= $peildatum
      AND coalesce(Wsnpdatumbeein, DATE '2050-12-31') >= $year_before
), wmo AS (
    SELECT DISTINCT RINPERSOONS, RINPERSOON, TRUE AS wmo_support
    FROM {wmo} SEMI JOIN residents USING (RINPERSOONS, RINPERSOON)
    WHERE WMODATUMAANVANG <= $peildatum
      AND coalesce(WMODATUMEINDE, DATE '2050-12-31') >= $peildatum
), school AS (
    SELECT RINPERSOONS, RINPERSOON, bool_or(WPOTYPEPO IN ('SBO', 'SO')) AS special_education
    FROM {pupils} SEMI JOIN residents USING (RINPERSOONS, RINPERSOON)
    GROUP BY ALL
)
SELECT r.RINPERSOONS, r.RINPERSOON,
       coalesce(care.youth_care_12m, FALSE) AS youth_care_12m,
       coalesce(care.residential_care_12m, FALSE) AS residential_care_12m,
       coalesce(protection.protection_12m, FALSE) AS protection_12m,
       coalesce(halt.halt_12m, FALSE) AS halt_12m,
       coalesce(vsv.early_leaving_12m, FALSE) AS early_leaving_12m,
       coalesce(wsnp.debt_restructuring, FALSE) AS debt_restructuring,
       coalesce(wmo.wmo_support, FALSE) AS wmo_support,
       coalesce(school.special_education, FALSE) AS special_education,
       care.placement_start, protection.ots_start
FROM residents AS r
LEFT JOIN care USING (RINPERSOONS, RINPERSOON)
LEFT JOIN protection USING (RINPERSOONS, RINPERSOON)
LEFT JOIN halt USING (RINPERSOONS, RINPERSOON)
LEFT JOIN vsv USING (RINPERSOONS, RINPERSOON)
LEFT JOIN wsnp USING (RINPERSOONS, RINPERSOON)
LEFT JOIN wmo USING (RINPERSOONS, RINPERSOON)
LEFT JOIN school USING (RINPERSOONS, RINPERSOON)
