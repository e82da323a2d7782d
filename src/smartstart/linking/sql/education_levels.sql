-- Highest attained education level of residents (1 low, 2 middle, 3 high) in one year.
SELECT e.RINPERSOONS, e.RINPERSOON,
       CAST(substr(e.OPLNIVSOI2021AGG4HBmetNIRWO, 1, 1) AS INTEGER) AS education_level
FROM {education} AS e
SEMI JOIN residents AS r USING (RINPERSOONS, RINPERSOON)
WHERE e.OPLNIVSOI2021AGG4HBmetNIRWO IS NOT NULL
