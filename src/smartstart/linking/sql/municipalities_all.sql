-- Every municipality the area table holds (gemeenten: all), in code order.
SELECT DISTINCT gem
FROM {vslgwb}
WHERE gem IS NOT NULL
ORDER BY gem
