-- The municipality codes an area table does hold (for the message when the study's is not there),
-- the largest first, with how many there are in all.
SELECT gem, count(*) AS objects, count(*) OVER () AS codes
FROM {vslgwb}
WHERE gem IS NOT NULL
GROUP BY gem
ORDER BY objects DESC, gem
LIMIT 8
