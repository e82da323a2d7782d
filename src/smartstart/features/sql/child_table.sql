-- One row per person of the pilot's population on the peildatum (children under 18 in the
-- position of child by default; the population's filter is the library's): the keys and
-- every child factor of the library, as its SQL expression over this frame:
-- c the child's person row, p its parents, h its household's row.
WITH parents AS (
    SELECT household_id,
           bool_or(works) AS parent_works,
           max(education_level) AS parent_education
    FROM person_factors WHERE PLHH IN ('3', '4', '5', '6', '7')
    GROUP BY household_id
)
SELECT c.household_id, c.RINPERSOONS, c.RINPERSOON,
       {columns}
FROM person_factors AS c
LEFT JOIN parents AS p USING (household_id)
LEFT JOIN household_factors AS h USING (household_id)
WHERE {population}
