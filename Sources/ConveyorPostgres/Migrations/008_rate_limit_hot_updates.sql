-- Every request of a limited key rewrites its row. Three changes make that cheaper:
-- * No index on expires_at: an update of an indexed column cannot be HOT (heap-only), so each
--   decision also wrote two index entries and left dead ones behind. Pruning, every minute, now
--   reads the table, whose size is the number of keys active in their windows.
-- * fillfactor 50: room on the page for the updated row, which HOT updates need.
-- * hits stored uncompressed (EXTERNAL): a large quota's log (over ~250 hits) lives out of line,
--   and compressing it again on every request cost more than the bytes it saved.
-- The statements now keep each key's hits in ascending order (a hit is never earlier than the one
-- before it), so finding where its window starts is a binary search (width_bucket) instead of a
-- scan of every hit; existing rows are put in order once here.
DROP INDEX rate_limit_requests_expires_at;
ALTER TABLE rate_limit_requests SET (fillfactor = 50);
ALTER TABLE rate_limit_requests ALTER COLUMN hits SET STORAGE EXTERNAL;
UPDATE rate_limit_requests SET hits = ARRAY(SELECT h FROM unnest(hits) AS h ORDER BY h);
