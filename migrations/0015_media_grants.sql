-- Media read grants (src/services/media/README.md "Visibility").
--
-- A private media object (message attachment, personalization, concept
-- image…) is readable by its owner and admins, and by each user granted it
-- here: the chat grants an attachment to the conversation's other
-- participant when the message that carries it is stored. Grants are never
-- revoked by editing a message; deleting the object (status 'deleted')
-- hides it from everyone.
CREATE TABLE media_grants (
    media_id            TEXT NOT NULL REFERENCES media_objects (id) ON DELETE CASCADE,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason              TEXT NOT NULL,      -- 'message:<msg_id>'
    created_at          BIGINT NOT NULL,
    PRIMARY KEY (media_id, user_id)
);
CREATE INDEX media_grants_user ON media_grants (user_id);
