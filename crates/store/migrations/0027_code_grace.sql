-- A replaced gate code keeps taking appeals until `retires_at` (a grace
-- period after it was replaced, so posters already up are not broken at
-- once); 0 for a code replaced before grace periods (it stopped at once).
ALTER TABLE appeal_codes ADD COLUMN retires_at BIGINT NOT NULL DEFAULT 0;
