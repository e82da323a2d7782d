-- The municipality codes an area table does hold (for the message when the study's is not there).
SELECT gem, count(*) AS objects
FROM {vslgwb}
WHERE gem IS NOT NULL
GROUP BY gem
ORDER BY objects DESC, gem
LIMIT 8
