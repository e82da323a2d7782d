-- Keys of residents that occur more than once in a table the run joins one to one (a guard: a
-- duplicated person would be counted twice). One row: how many keys, and one of them.
SELECT count(*) AS keys, min("{s}" || "{k}") AS example
FROM (
    SELECT t."{s}", t."{k}"
    FROM {source} AS t
    WHERE (t."{s}", t."{k}") IN (SELECT RINPERSOONS, RINPERSOON FROM residents)
    GROUP BY ALL
    HAVING count(*) > 1
)
