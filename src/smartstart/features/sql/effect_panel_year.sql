-- The effect monitor's area panel of one year, in one pass (after effect_panel_placed.sql and
-- effect_panel_clash.sql): per buurt of the pool, the residents at risk on 1 January ($day, of
-- $year; n) and per outcome those of them with at least one event of it that calendar year
-- (events_0, events_1, ...): their own, or for a household outcome anyone's in their
-- household on 1 January. The persons at risk are counted as they are found, not stored
-- first (inserting a national year's 7.3 M rows took a quarter of its time).
--   at_risk           effect_panel_at_risk.sql, put in by _panel.py (the year's persons at
--                     risk; a placeholder here would be filled with that whole query)
--   {events}          (RINPERSOONS, RINPERSOON, outcome_index, day) of every outcome of the plan
--   {households}      GBAHUISHOUDENSBUS
--   {household_hits}  the household outcomes' hits (a UNION ALL over home_day and event_homes),
--                     empty when the plan has none ($household_outcomes: their indexes)
--   {counts}          per outcome k: count(*) FILTER (WHERE list_contains(h.outs, k))
WITH at_risk AS (
{at_risk}
),
happened AS (
    SELECT RINPERSOONS, RINPERSOON, outcome_index
    FROM {events}
    WHERE CAST(year(day) AS INTEGER) = $year
),
event_homes AS (
    -- a household outcome: the households on 1 January of the persons with its event that year
    SELECT DISTINCT s.HUISHOUDNR, e.outcome_index
    FROM (SELECT * FROM happened
          WHERE list_contains($household_outcomes, outcome_index)) AS e
    JOIN {households} AS s
        ON s.RINPERSOONS = e.RINPERSOONS AND s.RINPERSOON = e.RINPERSOON
       AND s.DATUMAANVANGHH <= $day AND coalesce(s.DATUMEINDEHH, DATE '2050-12-31') >= $day
),
households_on_day AS (
    SELECT RINPERSOONS, RINPERSOON, HUISHOUDNR
    FROM {households}
    WHERE DATUMAANVANGHH <= $day AND coalesce(DATUMEINDEHH, DATE '2050-12-31') >= $day
),
home_day AS (
    -- the household on 1 January (HUISHOUDNR, the highest when two spells cover the day) of
    -- everyone in one of those households that day
    SELECT RINPERSOONS, RINPERSOON, max(HUISHOUDNR) AS HUISHOUDNR
    FROM households_on_day
    SEMI JOIN (SELECT RINPERSOONS, RINPERSOON FROM households_on_day
               SEMI JOIN event_homes USING (HUISHOUDNR)) USING (RINPERSOONS, RINPERSOON)
    GROUP BY ALL
),
hits AS (
    SELECT RINPERSOONS, RINPERSOON, list(DISTINCT outcome_index) AS outs
    FROM (SELECT * FROM happened
          {household_hits})
    GROUP BY ALL
)
SELECT r.gem, r.wc, r.bc, count(*) AS n, {counts}
FROM at_risk AS r
LEFT JOIN hits AS h USING (RINPERSOONS, RINPERSOON)
GROUP BY ALL
ORDER BY r.bc
