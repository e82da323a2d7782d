-- Every address spell of every person with a spell at an address of the pilot's municipalities
-- that lasted into $since (linking keeps of them the spells that can matter from $since on,
-- with those that close a spell without an end date: sources/_layout.py, lasting_sql). $since
-- is the first day the store's layout serves (its parts hold those persons), else the first
-- day of the area files; never after the peildatum. So the same persons, and the same flow,
-- whether the layout's parts or the full files are read.
SELECT a.*
FROM {addresses} AS a
WHERE (a.RINPERSOONS, a.RINPERSOON) IN (
    SELECT DISTINCT s.RINPERSOONS, s.RINPERSOON
    FROM {addresses} AS s
    JOIN objects AS o USING (SOORTOBJECTNUMMER, RINOBJECTNUMMER)
    WHERE coalesce(s.GBADATUMEINDEADRESHOUDING, DATE '9999-12-31') >= $since
)
