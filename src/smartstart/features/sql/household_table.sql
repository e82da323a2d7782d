-- One row per household on the peildatum: every household factor of the library, as its
-- aggregate SQL expression over the members' person rows h and the reference person r
-- (the library's expressions).
WITH reference AS (
    SELECT * FROM person_factors WHERE REFPERSOONHH = '1'
)
SELECT h.household_id,
       {columns}
FROM person_factors AS h
LEFT JOIN reference AS r USING (household_id)
GROUP BY h.household_id
