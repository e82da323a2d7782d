-- Residents on the peildatum: the person's address on that date lies in one of the pilot's
-- municipalities; gemeente is that address's municipality (4-digit code).
SELECT r.RINPERSOONS, r.RINPERSOON, r.SOORTOBJECTNUMMER, r.RINOBJECTNUMMER,
       o.gem AS gemeente, o.wc, o.bc
FROM address_on_date AS r
JOIN objects AS o USING (SOORTOBJECTNUMMER, RINOBJECTNUMMER)
