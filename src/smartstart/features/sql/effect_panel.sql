-- The effect panel's persons at risk (the common part of effect_panel_areas.sql and
-- effect_panel_persons.sql, which follow it): per year of $years, the residents aged $min_age
-- to $max_age on 1 January of the year whose address that day lies in a buurt of the pool (by
-- that year's area file), and their years with at least one event of an outcome (hits). One
-- pass over all years and all areas.
--   {addresses}  GBAADRESOBJECTBUS
--   {persons}    GBAPERSOONTAB (birth date)
--   {areas}      address objects -> gem, wc, bc with a column `year` (every VSLGWB year read)
--   {events}     (RINPERSOONS, RINPERSOON, outcome_index, day) of every outcome of the plan
--   {households} GBAHUISHOUDENSBUS; $household_outcomes: the indexes of the plan's household
--                outcomes, [-1] when it has none
-- The address on a day follows the reference-date rule of spell_on_date.sql: spells without a
-- start are left out, a missing end closes the day before the person's next spell (else open),
-- start <= day <= end, and overlapping spells: the latest start, then the latest end, then the
-- highest RINOBJECTNUMMER.
WITH days AS (
    SELECT y AS year, make_date(y, 1, 1) AS day FROM (SELECT unnest($years) AS y)
),
pool AS (
    SELECT year, SOORTOBJECTNUMMER, RINOBJECTNUMMER, gem, wc, bc
    FROM {areas}
    WHERE list_contains($years, year)
      AND ($pool_all OR list_contains($pool, gem))
      AND bc IS NOT NULL
),
ever AS (
    SELECT DISTINCT a.RINPERSOONS, a.RINPERSOON
    FROM {addresses} AS a
    SEMI JOIN (SELECT DISTINCT SOORTOBJECTNUMMER, RINOBJECTNUMMER FROM pool) AS o
        USING (SOORTOBJECTNUMMER, RINOBJECTNUMMER)
),
placed AS (
    SELECT a.RINPERSOONS, a.RINPERSOON, a.SOORTOBJECTNUMMER, a.RINOBJECTNUMMER,
           a.GBADATUMAANVANGADRESHOUDING AS spell_start,
           coalesce(a.GBADATUMEINDEADRESHOUDING,
                    CAST(lead(a.GBADATUMAANVANGADRESHOUDING) OVER person_spells
                         - INTERVAL 1 DAY AS DATE),
                    DATE '2050-12-31') AS spell_end
    FROM {addresses} AS a
    SEMI JOIN ever USING (RINPERSOONS, RINPERSOON)
    WHERE a.GBADATUMAANVANGADRESHOUDING IS NOT NULL
    WINDOW person_spells AS (PARTITION BY a.RINPERSOONS, a.RINPERSOON
                             ORDER BY a.GBADATUMAANVANGADRESHOUDING,
                                      a.GBADATUMEINDEADRESHOUDING NULLS LAST)
),
on_day AS (
    SELECT d.year, d.day, p.RINPERSOONS, p.RINPERSOON, p.SOORTOBJECTNUMMER, p.RINOBJECTNUMMER,
           row_number() OVER (PARTITION BY d.year, p.RINPERSOONS, p.RINPERSOON
                              ORDER BY p.spell_start DESC, p.spell_end DESC,
                                       p.RINOBJECTNUMMER DESC) AS pick
    FROM days AS d
    JOIN placed AS p ON p.spell_start <= d.day AND p.spell_end >= d.day
),
at_risk AS (
    SELECT o.year, o.RINPERSOONS, o.RINPERSOON, a.gem, a.wc, a.bc,
           CAST(g.GBAGEBOORTEJAAR AS INTEGER) AS cohort
    FROM on_day AS o
    JOIN pool AS a USING (year, SOORTOBJECTNUMMER, RINOBJECTNUMMER)
    JOIN {persons} AS g USING (RINPERSOONS, RINPERSOON)
    WHERE o.pick = 1
      AND age_on(birth_date(g.GBAGEBOORTEJAAR, g.GBAGEBOORTEMAAND, g.GBAGEBOORTEDAG), o.day)
          BETWEEN $min_age AND $max_age
),
happened AS (
    SELECT RINPERSOONS, RINPERSOON, outcome_index, CAST(year(day) AS INTEGER) AS year
    FROM {events}
    WHERE day IS NOT NULL AND list_contains($years, CAST(year(day) AS INTEGER))
),
home_day AS (
    -- a household outcome's unit: the household on 1 January (HUISHOUDNR, the highest when
    -- two spells cover the day); only read when the plan has one
    SELECT r.year, r.RINPERSOONS, r.RINPERSOON, max(s.HUISHOUDNR) AS HUISHOUDNR
    FROM at_risk AS r
    JOIN {households} AS s
        ON s.RINPERSOONS = r.RINPERSOONS AND s.RINPERSOON = r.RINPERSOON
       AND s.DATUMAANVANGHH <= make_date(r.year, 1, 1)
       AND coalesce(s.DATUMEINDEHH, DATE '2050-12-31') >= make_date(r.year, 1, 1)
    WHERE list_contains($household_outcomes, -1) = false
    GROUP BY ALL
),
member_hits AS (
    -- a household outcome: an event that calendar year of anyone in the person's household on
    -- 1 January
    SELECT h.RINPERSOONS, h.RINPERSOON, e.outcome_index, h.year
    FROM home_day AS h
    JOIN {households} AS m
        ON m.HUISHOUDNR = h.HUISHOUDNR
       AND m.DATUMAANVANGHH <= make_date(h.year, 1, 1)
       AND coalesce(m.DATUMEINDEHH, DATE '2050-12-31') >= make_date(h.year, 1, 1)
    JOIN happened AS e
        ON e.RINPERSOONS = m.RINPERSOONS AND e.RINPERSOON = m.RINPERSOON AND e.year = h.year
    WHERE list_contains($household_outcomes, e.outcome_index)
),
hits AS (
    -- a person's own events (every outcome) and their household's (household outcomes)
    SELECT DISTINCT RINPERSOONS, RINPERSOON, outcome_index, year
    FROM (SELECT * FROM happened UNION ALL SELECT * FROM member_hits)
)
