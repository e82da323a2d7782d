-- All rows of a person-keyed table for the residents (their full history, for the date rule).
SELECT t.*
FROM {source} AS t
SEMI JOIN residents AS r USING (RINPERSOONS, RINPERSOON)
