-- Per resident: one flag per event of the library (factors with an `event`, and the pilot's
-- outcome), one scan per event table (a CTE per table), then joined.
WITH {tables}
SELECT r.RINPERSOONS, r.RINPERSOON,
       {columns}
FROM residents AS r
{joins}
