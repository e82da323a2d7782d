-- One row per household on the peildatum: household, parent and child factors.
WITH parent AS (
    SELECT * FROM person_factors WHERE PLHH IN ('2', '3', '4', '5', '6', '7', '8')
), child AS (
    SELECT * FROM person_factors WHERE PLHH = '1' AND age < 18
), reference AS (
    SELECT * FROM person_factors WHERE REFPERSOONHH = '1'
)
SELECT h.household_id,
       any_value(h.wc) AS wijk, any_value(h.bc) AS buurt,
       any_value(h.TYPHH) AS household_type,
       count(*) AS household_size,
       count(*) FILTER (WHERE h.PLHH = '1' AND h.age < 18) AS children_under_18,
       min(h.age) FILTER (WHERE h.PLHH = '1') AS age_youngest_child,
       any_value(r.age) AS reference_age,
       any_value(r.INHEHALGR) AS tenure,
       any_value(r.INHEHALGR) = '3' AS rent_allowance,
       any_value(r.INHBESTINKH) AS disposable_income,
       any_value(r.INHARMSOC) AS income_pct_social_minimum,
       any_value(r.INHUAFTYP) AS main_benefit,
       any_value(r.INHUAF) AS benefit_share,
       bool_or(h.works) FILTER (WHERE h.PLHH <> '1') AS adult_works,
       max(h.education_level) FILTER (WHERE h.PLHH <> '1') AS highest_education,
       bool_or(h.debt_restructuring) AS debt_restructuring,
       bool_or(h.wmo_support) AS wmo_support,
       coalesce(bool_or(h.youth_care_12m) FILTER (WHERE h.PLHH = '1'), FALSE) AS child_youth_care,
       min(h.mother_age_first_child) FILTER (WHERE h.PLHH = '1') AS mother_age_first_child,
       any_value(r.GBAGENERATIE) IN ('1', '2') AS migration_background,
       h.household_id IN (SELECT household_id FROM target_households) AS target_group
FROM person_factors AS h
LEFT JOIN reference AS r USING (household_id)
GROUP BY h.household_id
