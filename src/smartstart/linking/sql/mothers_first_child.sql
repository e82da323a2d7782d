-- For the mothers of resident children: birth date and the birth of her first child
-- (over all her children in KINDOUDERTAB, wherever they live).
WITH mothers AS (
    SELECT DISTINCT RINPERSOONSMa, RINPERSOONMa FROM persons_on_date
    WHERE RINPERSOONMa IS NOT NULL
)
SELECT k.RINPERSOONSMa, k.RINPERSOONMa,
       min(birth_date(c.GBAGEBOORTEJAAR, c.GBAGEBOORTEMAAND, c.GBAGEBOORTEDAG)) AS first_child_birth,
       any_value(birth_date(m.GBAGEBOORTEJAAR, m.GBAGEBOORTEMAAND, m.GBAGEBOORTEDAG)) AS mother_birth
FROM {kindouder} AS k
SEMI JOIN mothers USING (RINPERSOONSMa, RINPERSOONMa)
JOIN {persons} AS c ON c.RINPERSOONS = k.RINPERSOONS AND c.RINPERSOON = k.RINPERSOON
LEFT JOIN {persons} AS m ON m.RINPERSOONS = k.RINPERSOONSMa AND m.RINPERSOON = k.RINPERSOONMa
GROUP BY ALL
