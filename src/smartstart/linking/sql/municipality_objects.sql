-- Address objects in the municipality in the year of the peildatum, with wijk and buurt.
SELECT SOORTOBJECTNUMMER, RINOBJECTNUMMER, gem, wc, bc
FROM {vslgwb}
WHERE gem = $gemeente
