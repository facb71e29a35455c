-- Version counters for data that readers render once and reuse (the category
-- tree today). Every write to the data bumps its counter in the same
-- transaction (src/platform/versions.c), so a reader that checks the counter
-- on each request never serves a stale rendering.
CREATE TABLE cache_versions (
    name        TEXT NOT NULL PRIMARY KEY,
    version     BIGINT NOT NULL CHECK (version >= 0)
);
INSERT INTO cache_versions (name, version) VALUES ('categories', 1);
