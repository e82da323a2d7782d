-- Residents per area on the peildatum, by their own address (persons with a household, as in
-- person_factors): counts only, no person rows; the areas analysis publishes them.
SELECT gemeente, wc AS wijk, bc AS buurt, count(*) AS residents
FROM person_factors
GROUP BY ALL
ORDER BY ALL
