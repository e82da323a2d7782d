-- One row per child (under 18, position child in the household) with the predictors on the
-- peildatum and the outcome in the window after it.
WITH parents AS (
    SELECT household_id,
           bool_or(works) AS parent_works,
           max(education_level) AS parent_education
    FROM person_factors WHERE PLHH IN ('3', '4', '5', '6', '7')
    GROUP BY household_id
)
SELECT c.household_id, c.RINPERSOONS, c.RINPERSOON, c.wc AS wijk, c.bc AS buurt,
       c.age, c.GBAGESLACHT AS sex, c.GBAGENERATIE IN ('1', '2') AS migration_background,
       c.TYPHH AS household_type,
       coalesce(c.mother_age_first_child < 22, FALSE) AS young_mother,
       c.TYPHH = '6' AS single_parent,
       NOT coalesce(p.parent_works, FALSE) AS parent_no_work,
       coalesce(c.INHEHALGR = '3', FALSE) AS rent_allowance,
       coalesce(p.parent_education = 1, FALSE) AS parent_low_education,
       c.youth_care_12m AS prior_youth_care,
       c.residential_care_12m, c.protection_12m, c.special_education, c.halt_12m,
       c.early_leaving_12m,
       CASE $outcome WHEN 'uithuisplaatsing' THEN c.placement_start IS NOT NULL
                     WHEN 'ots' THEN c.ots_start IS NOT NULL
                     ELSE c.placement_start IS NOT NULL OR c.ots_start IS NOT NULL END AS outcome,
       c.placement_start IS NOT NULL AS outcome_placement,
       c.ots_start IS NOT NULL AS outcome_ots,
       h.target_group
FROM person_factors AS c
LEFT JOIN parents AS p USING (household_id)
LEFT JOIN household_factors AS h USING (household_id)
WHERE c.PLHH = '1' AND c.age < 18
