-- A class's sessions still planned beside those held, so boards show a
-- class on track (what is planned would meet the yearly minimum) and not
-- only one that met it. Each unit's count of classes on track is kept up
-- the tree beside classes met; it is recounted after this migration under
-- the plan in force (see `migrate::after`).
ALTER TABLE delivery_class_years ADD COLUMN sessions_planned BIGINT NOT NULL DEFAULT 0;
ALTER TABLE delivery_class_years ADD COLUMN hours_planned BIGINT NOT NULL DEFAULT 0;
ALTER TABLE delivery_rollups ADD COLUMN classes_on_track BIGINT NOT NULL DEFAULT 0;
