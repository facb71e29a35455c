-- 0010_vision.sql — AI Vision: what the session history and quotas need.
--
-- batch_id: the generate/refine call that created an image (one call makes
--   1–4 images); the per-minute quota counts distinct batches, the daily
--   cap counts images, both over vision_images_user_created.
-- instruction: what the buyer typed for this round (the original prompt or
--   the follow-up); prompt stays the full text sent to the generator.
-- style, quality, size are the generation settings; revised_prompt is the
--   provider's rewrite (OpenAI), NULL for the offline renderer.
-- error is a JSON problem object ({code, status, detail}) when failed.
ALTER TABLE vision_images ADD COLUMN batch_id TEXT NOT NULL DEFAULT '';
ALTER TABLE vision_images ADD COLUMN round_no INTEGER NOT NULL DEFAULT 1;
ALTER TABLE vision_images ADD COLUMN instruction TEXT NOT NULL DEFAULT '';
ALTER TABLE vision_images ADD COLUMN style TEXT;
ALTER TABLE vision_images ADD COLUMN quality TEXT;
ALTER TABLE vision_images ADD COLUMN revised_prompt TEXT;
CREATE INDEX vision_images_user_created ON vision_images (user_id, created_at);
ALTER TABLE vision_sessions ADD COLUMN rounds INTEGER NOT NULL DEFAULT 0;
