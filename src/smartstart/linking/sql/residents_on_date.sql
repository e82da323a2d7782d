-- Residents on the peildatum: the person's address on that date lies in the municipality.
SELECT r.RINPERSOONS, r.RINPERSOON, r.SOORTOBJECTNUMMER, r.RINOBJECTNUMMER, o.wc, o.bc
FROM address_on_date AS r
JOIN objects AS o USING (SOORTOBJECTNUMMER, RINOBJECTNUMMER)
