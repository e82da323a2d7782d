-- Every address spell of every person with a spell at an address of the pilot's municipalities
-- that lasts into $since, the peildatum (linking keeps of them the spells that can matter from
-- it on: sources/_layout.py, lasting_sql). Every layout that serves the peildatum holds these
-- persons, so the same persons, and the same flow, whether its parts or the full files are read.
SELECT a.*
FROM {addresses} AS a
WHERE (a.RINPERSOONS, a.RINPERSOON) IN (
    SELECT DISTINCT s.RINPERSOONS, s.RINPERSOON
    FROM {addresses} AS s
    JOIN objects AS o USING (SOORTOBJECTNUMMER, RINOBJECTNUMMER)
    WHERE coalesce(s.GBADATUMEINDEADRESHOUDING, DATE '9999-12-31') >= $since
)
