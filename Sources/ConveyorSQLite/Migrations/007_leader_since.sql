-- Since when the holder has led the role (ms since the epoch), for health's "maintenance leader";
-- kept across renewals, reset when another process takes the role.
ALTER TABLE leaders ADD COLUMN since INTEGER NOT NULL DEFAULT 0;
