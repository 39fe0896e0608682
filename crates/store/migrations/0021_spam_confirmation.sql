-- Marking an appeal as spam takes two people: a handler proposes it (who,
-- why, when), someone at the level above confirms. Until then the appeal
-- stays open, its clocks run and the parent's page shows it as before.
ALTER TABLE appeals ADD COLUMN spam_by BIGINT NOT NULL DEFAULT 0;
ALTER TABLE appeals ADD COLUMN spam_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE appeals ADD COLUMN spam_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX appeals_spam_pending ON appeals (spam_at) WHERE spam_by > 0;
