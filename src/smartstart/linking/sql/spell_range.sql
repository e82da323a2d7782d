-- The dates a set of spells covers, and how many have no start date (for the message when no
-- spell covers the peildatum).
SELECT count(*) AS spells,
       count(*) FILTER (WHERE "{start_col}" IS NULL) AS undated,
       min("{start_col}") AS first_start,
       max(coalesce("{end_col}", DATE '2050-12-31')) AS last_end
FROM {source}
