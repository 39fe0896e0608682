-- The five steps of a required-course lesson, one per line
-- (`code<TAB>content`, domain::course::encode_steps), on lessons and on
-- their revisions.
ALTER TABLE lessons ADD COLUMN steps TEXT NOT NULL DEFAULT '';
ALTER TABLE lesson_revisions ADD COLUMN steps TEXT NOT NULL DEFAULT '';
