-- One row per resident on the peildatum: municipality and area of the address, household,
-- person and parents.
SELECT r.RINPERSOONS, r.RINPERSOON, r.gemeente, r.wc, r.bc,
       h.HUISHOUDNR, h.DATUMAANVANGHH,
       h.HUISHOUDNR || '-' || strftime(h.DATUMAANVANGHH, '%Y%m%d') AS household_id,
       h.TYPHH, h.PLHH, h.REFPERSOONHH, h.AANTALPERSHH, h.AANTALKINDHH,
       h.GEBJAARJONGSTEKINDHH,
       p.GBAGESLACHT, p.GBAGENERATIE, p.GBAHERKOMSTGROEPERING,
       birth_date(p.GBAGEBOORTEJAAR, p.GBAGEBOORTEMAAND, p.GBAGEBOORTEDAG) AS birth,
       age_on(birth_date(p.GBAGEBOORTEJAAR, p.GBAGEBOORTEMAAND, p.GBAGEBOORTEDAG),
              $peildatum) AS age,
       k.RINPERSOONSMa, k.RINPERSOONMa, k.RINPERSOONSpa, k.RINPERSOONpa
FROM residents AS r
LEFT JOIN household_on_date AS h USING (RINPERSOONS, RINPERSOON)
LEFT JOIN {persons} AS p USING (RINPERSOONS, RINPERSOON)
LEFT JOIN {kindouder} AS k USING (RINPERSOONS, RINPERSOON)
