-- Every address spell of every person who ever had a spell at an address of the pilot's
-- municipalities: the whole history of those persons is needed to close spells with a missing
-- end date.
SELECT a.*
FROM {addresses} AS a
WHERE (a.RINPERSOONS, a.RINPERSOON) IN (
    SELECT DISTINCT s.RINPERSOONS, s.RINPERSOON
    FROM {addresses} AS s
    JOIN objects AS o USING (SOORTOBJECTNUMMER, RINOBJECTNUMMER)
)
