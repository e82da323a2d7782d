-- A treated group's person panel: its events (the third step, after effect_panel_placed.sql
-- and effect_panel_at_risk.sql, whose rows _panel.py inserts into panel_at_risk: year, person,
-- gem, wc, bc, cohort), with effect_panel_persons.sql after it: per person at risk, the years
-- with at least one event of an outcome (hits). The area panel finds the same hits a year at a
-- time (effect_panel_year.sql).
--   {events}     (RINPERSOONS, RINPERSOON, outcome_index, day) of every outcome of the plan
--   {households} GBAHUISHOUDENSBUS; $household_outcomes: the indexes of the plan's household
--                outcomes, [-1] when it has none
WITH at_risk AS (
    SELECT * FROM panel_at_risk
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
