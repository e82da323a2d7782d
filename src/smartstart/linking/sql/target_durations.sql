-- How long each target household has been a client: from the first client start of its linked
-- members to the last client end, ends after the window (and open ends) cut at the window's end.
SELECT household_id,
       date_diff('day', min(client_start), max(least(client_end, $window_end))) AS days
FROM partner_clients
WHERE link_status = 'doelgroep'
GROUP BY household_id
