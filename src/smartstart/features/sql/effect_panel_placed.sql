-- The effect panel's address spells (the first step; effect_panel_clash.sql, then
-- effect_panel_year.sql a year at a time for the area panel, or effect_panel_at_risk.sql and
-- effect_panel.sql for a treated group's person panel follow): every spell of the persons who
-- ever lived at an address of the pool (any of $years; with a pool of every buurt, of
-- everyone) and whose birth year can give an age from $min_age to $max_age on 1 January of one
-- of the years (a bound only: the age itself is checked per year), with their birth date and
-- the end the reference-date rule of spell_on_date.sql gives each spell: spells without a start
-- are left out, a missing end closes the day before the person's next spell (else open);
-- next_start: the start of the person's next spell.
--   {addresses}  GBAADRESOBJECTBUS
--   {persons}    GBAPERSOONTAB (birth date)
--   {areas}      address objects -> gem, wc, bc with a column `year` (every VSLGWB year read)
CREATE OR REPLACE TEMP TABLE panel_placed AS
WITH pool AS (
    SELECT DISTINCT SOORTOBJECTNUMMER, RINOBJECTNUMMER
    FROM {areas}
    WHERE list_contains($years, year)
      AND list_contains($pool, gem)
      AND bc IS NOT NULL
),
born AS (
    -- the birth date once per person here, not once per person and year (macros.sql)
    SELECT RINPERSOONS, RINPERSOON,
           birth_date(GBAGEBOORTEJAAR, GBAGEBOORTEMAAND, GBAGEBOORTEDAG) AS birth,
           TRY_CAST(GBAGEBOORTEJAAR AS INTEGER) AS cohort
    FROM {persons}
    WHERE TRY_CAST(GBAGEBOORTEJAAR AS INTEGER)
          BETWEEN list_min($years) - $max_age - 1 AND list_max($years) - $min_age
),
ever AS (
    SELECT DISTINCT a.RINPERSOONS, a.RINPERSOON
    FROM {addresses} AS a
    SEMI JOIN pool USING (SOORTOBJECTNUMMER, RINOBJECTNUMMER)
)
SELECT a.RINPERSOONS, a.RINPERSOON, a.SOORTOBJECTNUMMER, a.RINOBJECTNUMMER,
       a.GBADATUMAANVANGADRESHOUDING AS spell_start,
       coalesce(a.GBADATUMEINDEADRESHOUDING,
                CAST(lead(a.GBADATUMAANVANGADRESHOUDING) OVER person_spells
                     - INTERVAL 1 DAY AS DATE),
                DATE '2050-12-31') AS spell_end,
       lead(a.GBADATUMAANVANGADRESHOUDING) OVER person_spells AS next_start,
       b.birth, b.cohort
FROM {addresses} AS a
JOIN born AS b USING (RINPERSOONS, RINPERSOON)
{ever}  -- a SEMI JOIN on ever, or nothing when the pool is every buurt
WHERE a.GBADATUMAANVANGADRESHOUDING IS NOT NULL
WINDOW person_spells AS (PARTITION BY a.RINPERSOONS, a.RINPERSOON
                         ORDER BY a.GBADATUMAANVANGADRESHOUDING,
                                  a.GBADATUMEINDEADRESHOUDING NULLS LAST)
