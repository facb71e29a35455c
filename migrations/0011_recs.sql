-- Recommendations (src/services/recs/README.md).
--
-- product_user_views: who viewed what, written in batches by the products
-- service's view flusher (one upsert per (user, product) per flush, never
-- one write per request).
CREATE TABLE product_user_views (
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product_id          TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    view_count          BIGINT NOT NULL DEFAULT 0 CHECK (view_count >= 0),
    last_at             BIGINT NOT NULL,
    PRIMARY KEY (user_id, product_id)
);
CREATE INDEX product_user_views_last ON product_user_views (last_at);

-- The model's input: each user's strongest signal per product
-- (3 purchase, 2 wishlist, 1 view). Only ever raised, never lowered.
CREATE TABLE recs_interactions (
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product_id          TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    weight              INTEGER NOT NULL CHECK (weight BETWEEN 1 AND 3),
    updated_at          BIGINT NOT NULL,
    PRIMARY KEY (user_id, product_id)
);
CREATE INDEX recs_interactions_user_updated ON recs_interactions (user_id, updated_at);

-- Item-to-item co-occurrence: co = sum over users of min(weight of
-- product_id, weight of other_id). Symmetric: both directions are stored
-- so a neighbour list is one primary-key range.
CREATE TABLE recs_pairs (
    product_id          TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    other_id            TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    co                  BIGINT NOT NULL CHECK (co > 0),
    PRIMARY KEY (product_id, other_id)
);

-- total = sum of the weights users gave the product (the normaliser).
CREATE TABLE recs_item_stats (
    product_id          TEXT NOT NULL PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    total               BIGINT NOT NULL CHECK (total >= 0)
);

-- Top-K neighbours of each product by the normalised co-occurrence
-- score = co / sqrt(total(product) * total(other)), recomputed by the
-- updater for the products in recs_dirty; category_id is the other's at
-- that time (the for-me read ranks without touching products). The index
-- covers the read: one range per product of the user.
CREATE TABLE recs_neighbours (
    product_id          TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    other_id            TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    score               DOUBLE PRECISION NOT NULL,
    category_id         TEXT
);
CREATE INDEX recs_neighbours_list ON recs_neighbours (product_id, other_id, score, category_id);

-- Products whose neighbour list must be recomputed. expand = 1: its total
-- changed, so the lists of all its pair partners must be recomputed too
-- (the updater expands it before recomputing).
CREATE TABLE recs_dirty (
    product_id          TEXT NOT NULL PRIMARY KEY,
    expand              INTEGER NOT NULL DEFAULT 0
);

-- Trending: recent activity with linear decay over 7 days, recomputed by
-- the updater. pos = rank by (score desc, product_id desc), 1 first;
-- category_id = the product's at that time.
CREATE TABLE recs_trending (
    product_id          TEXT NOT NULL PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    score               BIGINT NOT NULL CHECK (score > 0),
    pos                 BIGINT NOT NULL,
    category_id         TEXT
);
CREATE INDEX recs_trending_pos ON recs_trending (pos);
CREATE INDEX recs_trending_category_pos ON recs_trending (category_id, pos);

-- Watermarks of the incremental updater (ms) and its lock row.
CREATE TABLE recs_state (
    name                TEXT NOT NULL PRIMARY KEY,
    value               BIGINT NOT NULL
);
INSERT INTO recs_state (name, value) VALUES ('lock', 0), ('orders', 0), ('wishlists', 0), ('views', 0),
    ('trending', 0);

-- The updater scans new events by time.
CREATE INDEX recs_orders_paid ON orders (paid_at);
CREATE INDEX recs_wishlists_created ON wishlists (created_at);
