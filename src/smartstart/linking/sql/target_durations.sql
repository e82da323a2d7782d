-- How long each target household has been a client: from the first client start of its linked
-- members to the last client end, over its clients in any of the partner files; each end is cut
-- at its own partner's window end (so are open ends). With one partner file: that file's span.
SELECT c.household_id,
       date_diff('day', min(c.client_start), max(least(c.client_end, w.window_end))) AS days
FROM partner_clients AS c
JOIN partner_windows AS w ON w.partner = c.partner
WHERE c.link_status = 'doelgroep'
GROUP BY c.household_id
ORDER BY c.household_id  -- one order from run to run (helper-48: it varied)
