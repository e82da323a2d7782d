-- The effect panel's persons at risk in one year (the second step, after
-- effect_panel_placed.sql; a year at a time keeps the memory to one year's residents on a
-- national store): the residents aged $min_age to $max_age on $day (1 January of $year) whose
-- address that day lies in a buurt of the pool (by that year's area file). Overlapping spells:
-- the latest start, then the latest end, then the highest RINOBJECTNUMMER (spell_on_date.sql).
-- Two spells can only cover the same day for a person with a spell that ends on or after the
-- next one starts (panel_clash, effect_panel_clash.sql): only those persons' spells
-- (panel_clash_spells) are ranked (ranking everyone's was most of the panel's time). A SELECT:
-- the area panel counts it in the same query (effect_panel_year.sql), a treated group's person
-- panel inserts it into panel_at_risk for effect_panel.sql.
--   {areas}      address objects -> gem, wc, bc with a column `year`
WITH pool AS (
    SELECT SOORTOBJECTNUMMER, RINOBJECTNUMMER, gem, wc, bc
    FROM {areas}
    WHERE year = $year
      AND ($pool_all OR list_contains($pool, gem))
      AND bc IS NOT NULL
),
covering AS (
    SELECT RINPERSOONS, RINPERSOON, SOORTOBJECTNUMMER, RINOBJECTNUMMER, birth, cohort
    FROM panel_placed
    WHERE spell_start <= $day AND spell_end >= $day
),
on_day AS (
    SELECT *
    FROM covering
    ANTI JOIN panel_clash USING (RINPERSOONS, RINPERSOON)
    UNION ALL
    SELECT RINPERSOONS, RINPERSOON, SOORTOBJECTNUMMER, RINOBJECTNUMMER, birth, cohort
    FROM (
        SELECT *, row_number() OVER (PARTITION BY RINPERSOONS, RINPERSOON
                                     ORDER BY spell_start DESC, spell_end DESC,
                                              RINOBJECTNUMMER DESC) AS pick
        FROM panel_clash_spells
        WHERE spell_start <= $day AND spell_end >= $day
    )
    WHERE pick = 1
)
SELECT $year AS year, o.RINPERSOONS, o.RINPERSOON, a.gem, a.wc, a.bc, o.cohort
FROM on_day AS o
JOIN pool AS a USING (SOORTOBJECTNUMMER, RINOBJECTNUMMER)
WHERE age_on(o.birth, $day) BETWEEN $min_age AND $max_age
