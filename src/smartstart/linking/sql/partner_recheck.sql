-- Partner rows not found among the persons of the pilot's municipalities may still be known
-- elsewhere in the country: look them up in the full person table (only run when such rows exist).
UPDATE partner_clients SET link_status = 'buiten de gemeente'
WHERE link_status = 'niet gevonden'
  AND (rinpersoons, rinpersoon) IN (
      SELECT p.RINPERSOONS, p.RINPERSOON FROM {persons} AS p
      SEMI JOIN partner_clients AS c
          ON c.rinpersoons = p.RINPERSOONS AND c.rinpersoon = p.RINPERSOON
             AND c.link_status = 'niet gevonden')
