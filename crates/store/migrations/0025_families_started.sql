-- A family has started the first lesson of term once any of its lessons
-- earned credited seconds: boards show started beside finished. Families
-- counted before this migration had finished a lesson at least, so they
-- count as started from then, and each unit's rollup is recounted from
-- the children's tallies below it.
ALTER TABLE campaign_students ADD COLUMN started_at BIGINT NOT NULL DEFAULT 0;
UPDATE campaign_students SET started_at = completed_at WHERE done > 0 AND completed_at > 0;
UPDATE campaign_students SET started_at = 1 WHERE done > 0 AND started_at = 0;
ALTER TABLE campaign_rollups ADD COLUMN families_started BIGINT NOT NULL DEFAULT 0;
UPDATE campaign_rollups SET families_started = (
    SELECT COUNT(*) FROM campaign_students s JOIN units c ON c.id = s.class_id
    WHERE s.campaign_id = campaign_rollups.campaign_id AND s.started_at > 0
      AND c.path LIKE (SELECT u.path FROM units u WHERE u.id = campaign_rollups.unit_id) || '%'
);
