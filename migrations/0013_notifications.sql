-- 0013_notifications.sql — idempotent notifications.
--
-- dedupe_key names what a notification reports ("<event id>:<type>" for a
-- domain event): a retried event dispatch inserts nothing new for a user
-- who already has it. NULL (direct notify_user calls) never conflicts.
ALTER TABLE notifications ADD COLUMN dedupe_key TEXT;
CREATE UNIQUE INDEX notifications_user_dedupe ON notifications (user_id, dedupe_key);
