-- The partner files' rows (one or several files, ``partner`` names each row's file) with the
-- outcome of linking each one to the population; a row's window is its own partner's
-- (partner_windows). "buiten de gemeente": a known person who does not live in any of the
-- pilot's municipalities on the peildatum.
SELECT f.*,
       CASE WHEN f.rinpersoons IS DISTINCT FROM 'R' OR f.rinpersoon IS NULL THEN 'niet gekoppeld'
            WHEN p.RINPERSOON IS NULL THEN 'niet gevonden'
            WHEN r.RINPERSOON IS NULL THEN 'buiten de gemeente'
            WHEN f.client_end < w.window_start OR f.client_start > w.window_end
                 THEN 'buiten het venster'
            WHEN d.household_id IS NULL THEN 'geen huishouden'
            ELSE 'doelgroep' END AS link_status,
       d.household_id
FROM partner AS f
JOIN partner_windows AS w ON w.partner = f.partner
LEFT JOIN {persons} AS p ON p.RINPERSOONS = f.rinpersoons AND p.RINPERSOON = f.rinpersoon
LEFT JOIN residents AS r ON r.RINPERSOONS = f.rinpersoons AND r.RINPERSOON = f.rinpersoon
LEFT JOIN persons_on_date AS d ON d.RINPERSOONS = f.rinpersoons AND d.RINPERSOON = f.rinpersoon
