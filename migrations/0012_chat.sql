-- Chat (src/services/chat/README.md).
--
-- last_message_id: the newest message of the conversation, so the inbox
-- (GET /conversations) joins one row instead of searching each
-- conversation's messages. Written with last_message_at and
-- last_message_preview in the transaction that stores the message.
ALTER TABLE conversations ADD COLUMN last_message_id TEXT;

-- Unread counts and the keyset page walk messages by (created_at, id).
CREATE INDEX messages_conversation_created_id ON messages (conversation_id, created_at, id);
