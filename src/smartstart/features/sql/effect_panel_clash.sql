-- The persons whose address spells overlap (after effect_panel_placed.sql, once for every
-- year): a spell that ends on or after the person's next one starts. Only their spells can
-- cover one day twice, so only they are ranked per day (effect_panel_at_risk.sql).
CREATE OR REPLACE TEMP TABLE panel_clash AS
SELECT DISTINCT RINPERSOONS, RINPERSOON
FROM panel_placed
WHERE spell_end >= next_start
