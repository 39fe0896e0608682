-- The grants a session was opened (or last renewed) with, as a stamp: when
-- an account's grants change, its browser sessions get a new id and its
-- bearer sessions end. Empty for sessions opened before this column.
ALTER TABLE sessions ADD COLUMN grants_stamp TEXT NOT NULL DEFAULT '';
