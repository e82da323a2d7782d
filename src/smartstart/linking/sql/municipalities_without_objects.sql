-- The pilot's municipalities with no address object in the area table (each one is an error).
SELECT g AS gem
FROM (SELECT unnest($gemeenten) AS g)
WHERE g NOT IN (SELECT gem FROM objects)
ORDER BY g
