-- Small helpers shared by the linking and feature SQL.
-- Birth date from GBAPERSOONTAB's parts: an unknown month counts as July, an unknown day as the
-- 1st; an impossible combination gives NULL.
CREATE OR REPLACE MACRO birth_date(y, m, d) AS
    try(make_date(CAST(y AS INTEGER), CAST(coalesce(m, 7) AS INTEGER),
                  CAST(coalesce(d, 1) AS INTEGER)));
-- Age in completed years on a date, as ages are counted.
CREATE OR REPLACE MACRO age_on(born, on_date) AS
    year(on_date) - year(born)
    - CASE WHEN month(on_date) < month(born)
             OR (month(on_date) = month(born) AND day(on_date) < day(born)) THEN 1 ELSE 0 END;
