-- Address objects in the pilot's municipalities (one or several, a bound list) in the year of
-- the peildatum, with wijk and buurt.
SELECT SOORTOBJECTNUMMER, RINOBJECTNUMMER, gem, wc, bc
FROM {vslgwb}
WHERE list_contains($gemeenten, gem)
