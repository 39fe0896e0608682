-- A published reply is changed only through a revision: the new text waits
-- here (with who wrote it, why and when) where the level asks for a
-- sign-off, while the parent still reads the published reply; once
-- approved, or at once where no sign-off is asked, it replaces the reply and
-- `reply_revisions` counts it so the parent's page says it was revised.
ALTER TABLE appeals ADD COLUMN revision_policy TEXT NOT NULL DEFAULT '';
ALTER TABLE appeals ADD COLUMN revision_status TEXT NOT NULL DEFAULT '';
ALTER TABLE appeals ADD COLUMN revision_next_steps TEXT NOT NULL DEFAULT '';
ALTER TABLE appeals ADD COLUMN revision_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE appeals ADD COLUMN revision_by BIGINT NOT NULL DEFAULT 0;
ALTER TABLE appeals ADD COLUMN revision_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE appeals ADD COLUMN reply_revisions BIGINT NOT NULL DEFAULT 0;
