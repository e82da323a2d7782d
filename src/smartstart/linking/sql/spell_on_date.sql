-- The reference-date rule (peildatum), one place for every spell (BUS) table.
--   1. A spell without a start date cannot be placed in time: it is left out (and counted).
--   2. A spell whose end date is missing or was impossible (NULL after ingest) ends the day
--      before the same person's next spell starts; without a next spell it is open-ended.
--   3. A spell covers the peildatum when start <= peildatum <= end, both inclusive: a spell that
--      starts on the peildatum covers it, and so does one that ends on it.
--   4. Where spells of one person overlap on the peildatum, the latest start wins; equal starts
--      fall back to the latest end, then to the highest value of the tie-break column.
-- Identifiers in braces come from the table catalog; values are bound parameters.
-- The next start (rule 2) is looked up only for the persons with a spell whose end is NULL:
-- everyone else's spells end on their own end date, and the window over all spells was most
-- of the time of this step.
WITH dated AS (
    SELECT * FROM {source} WHERE "{start_col}" IS NOT NULL
),
unended AS (
    SELECT DISTINCT RINPERSOONS, RINPERSOON FROM dated WHERE "{end_col}" IS NULL
),
placed AS (
    SELECT *, "{end_col}" AS spell_end
    FROM dated ANTI JOIN unended USING (RINPERSOONS, RINPERSOON)
    UNION ALL
    SELECT *,
           coalesce("{end_col}",
                    CAST(lead("{start_col}") OVER person_spells - INTERVAL 1 DAY AS DATE),
                    DATE '2050-12-31') AS spell_end
    FROM dated SEMI JOIN unended USING (RINPERSOONS, RINPERSOON)
    WINDOW person_spells AS (PARTITION BY RINPERSOONS, RINPERSOON ORDER BY "{start_col}",
                             "{end_col}" NULLS LAST)
),
covering AS (
    SELECT * FROM placed
    WHERE "{start_col}" <= $peildatum AND spell_end >= $peildatum
),
-- Rule 4 ranks only the persons with more than one spell on the peildatum (few): a window over
-- everyone's spells took most of this step. _covering is the person's spells on the date, so
-- that the overlaps settled here are counted (on_date).
several AS (
    SELECT RINPERSOONS, RINPERSOON, count(*) AS _covering
    FROM covering GROUP BY RINPERSOONS, RINPERSOON HAVING count(*) > 1
)
SELECT *, 1 AS _covering FROM covering ANTI JOIN several USING (RINPERSOONS, RINPERSOON)
UNION ALL BY NAME
SELECT * EXCLUDE (pick) FROM (
    SELECT c.*, s._covering,
           row_number() OVER (PARTITION BY c.RINPERSOONS, c.RINPERSOON
                              ORDER BY c."{start_col}" DESC, c.spell_end DESC,
                                       c."{tiebreak}" DESC) AS pick
    FROM covering AS c JOIN several AS s USING (RINPERSOONS, RINPERSOON)
)
WHERE pick = 1
