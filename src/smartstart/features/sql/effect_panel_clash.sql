-- The persons whose address spells overlap, and their spells (after effect_panel_placed.sql,
-- once for every year): a person with a spell that ends on or after their next one starts.
-- Only their spells can cover one day twice, so only they are ranked per day
-- (effect_panel_at_risk.sql), from panel_clash_spells: a year's query then reads everyone's
-- covering spells once.
CREATE OR REPLACE TEMP TABLE panel_clash AS
SELECT DISTINCT RINPERSOONS, RINPERSOON
FROM panel_placed
WHERE spell_end >= next_start;
CREATE OR REPLACE TEMP TABLE panel_clash_spells AS
SELECT *
FROM panel_placed
SEMI JOIN panel_clash USING (RINPERSOONS, RINPERSOON);
