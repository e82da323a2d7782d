-- The effect monitor's area panel (after effect_panel.sql): per outcome, year and buurt of the
-- pool, the residents at risk (n) and those of them with at least one event of the outcome in
-- that calendar year (events).
, outcomes AS (
    SELECT unnest(range($outcomes)) AS outcome_index
)
SELECT k.outcome_index, r.year, r.gem, r.wc, r.bc,
       count(*) AS n, count(h.year) AS events
FROM at_risk AS r
CROSS JOIN outcomes AS k
LEFT JOIN hits AS h
    ON h.RINPERSOONS = r.RINPERSOONS AND h.RINPERSOON = r.RINPERSOON
   AND h.year = r.year AND h.outcome_index = k.outcome_index
GROUP BY ALL
ORDER BY k.outcome_index, r.year, r.bc
