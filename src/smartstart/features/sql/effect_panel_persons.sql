-- The effect panel of a treated group (after effect_panel.sql): per outcome, year and person at
-- risk, whether the person had an event of the outcome that calendar year, the person's birth
-- year (cohort), the start of the person's treatment (the earliest client start of the person
-- or, with $household, of a client in whose household (HUISHOUDNR) the person was on that
-- day) and the
-- person's household (the cluster): the client's household on the start day for the treated,
-- else the household on 1 January of the person's first year at risk (a person without one is a
-- household of their own). Persons are numbered (``person``); no key leaves this query.
--   {clients}     (rinpersoons, rinpersoon, client_start DATE) of the partner file
--   {households}  GBAHUISHOUDENSBUS
, clients AS (
    SELECT rinpersoons AS RINPERSOONS, rinpersoon AS RINPERSOON, client_start
    FROM {clients}
    WHERE rinpersoon IS NOT NULL AND client_start IS NOT NULL
),
spells AS (
    SELECT RINPERSOONS, RINPERSOON, HUISHOUDNR, DATUMAANVANGHH,
           coalesce(DATUMEINDEHH, DATE '2050-12-31') AS spell_end,
           HUISHOUDNR || '-' || strftime(DATUMAANVANGHH, '%Y%m%d') AS household
    FROM {households}
    WHERE DATUMAANVANGHH IS NOT NULL
),
client_home AS (
    SELECT c.RINPERSOONS, c.RINPERSOON, c.client_start, max(s.household) AS household,
           arg_max(s.HUISHOUDNR, s.household) AS number
    FROM clients AS c
    LEFT JOIN spells AS s
        ON s.RINPERSOONS = c.RINPERSOONS AND s.RINPERSOON = c.RINPERSOON
       AND s.DATUMAANVANGHH <= c.client_start AND s.spell_end >= c.client_start
    GROUP BY ALL
),
treated_links AS (
    SELECT RINPERSOONS, RINPERSOON, client_start,
           coalesce(household, 'client-' || RINPERSOON) AS household
    FROM client_home
    UNION ALL
    SELECT m.RINPERSOONS, m.RINPERSOON, c.client_start, c.household
    FROM client_home AS c
    JOIN spells AS m
        ON m.HUISHOUDNR = c.number
       AND m.DATUMAANVANGHH <= c.client_start AND m.spell_end >= c.client_start
    WHERE $household AND c.household IS NOT NULL
),
treated AS (
    SELECT RINPERSOONS, RINPERSOON, min(client_start) AS client_start,
           arg_min(household, client_start) AS household
    FROM treated_links
    GROUP BY ALL
),
first_year AS (
    SELECT RINPERSOONS, RINPERSOON, make_date(min(year), 1, 1) AS day
    FROM at_risk
    GROUP BY ALL
),
home AS (
    SELECT f.RINPERSOONS, f.RINPERSOON, max(s.household) AS household
    FROM first_year AS f
    JOIN spells AS s
        ON s.RINPERSOONS = f.RINPERSOONS AND s.RINPERSOON = f.RINPERSOON
       AND s.DATUMAANVANGHH <= f.day AND s.spell_end >= f.day
    GROUP BY ALL
),
outcomes AS (
    SELECT unnest(range($outcomes)) AS outcome_index
)
SELECT k.outcome_index, r.year, r.gem, r.bc,
       dense_rank() OVER (ORDER BY r.RINPERSOONS, r.RINPERSOON) AS person,
       r.cohort,
       coalesce(t.household, m.household, 'person-' || r.RINPERSOON) AS household,
       CAST(year(t.client_start) AS INTEGER) AS start,
       CAST(h.year IS NOT NULL AS INTEGER) AS event
FROM at_risk AS r
CROSS JOIN outcomes AS k
LEFT JOIN hits AS h
    ON h.RINPERSOONS = r.RINPERSOONS AND h.RINPERSOON = r.RINPERSOON
   AND h.year = r.year AND h.outcome_index = k.outcome_index
LEFT JOIN treated AS t ON t.RINPERSOONS = r.RINPERSOONS AND t.RINPERSOON = r.RINPERSOON
LEFT JOIN home AS m ON m.RINPERSOONS = r.RINPERSOONS AND m.RINPERSOON = r.RINPERSOON
ORDER BY k.outcome_index, person, r.year
