-- 0001_core.sql — the core schema of Artistry Cart.
--
-- One SQL text for SQLite 3.40 and PostgreSQL 15 (the migrator wraps the
-- file in a transaction). Conventions, used by every table below:
--   * ids are TEXT made by the application ("usr_01J...", see base/ids.h)
--   * money is BIGINT integer minor units in a column named *_amount, with
--     CHECK (>= 0) unless stated, next to a 3-letter upper-case currency
--   * timestamps are BIGINT epoch milliseconds in columns named *_at
--   * booleans are INTEGER 0/1 with CHECK (x IN (0, 1))
--   * JSON is TEXT (the application validates it), default '{}' or '[]'
--   * every status/kind column lists its known values in a CHECK
--   * no DEFAULT calls a function: the application always sets created_at
--     and updated_at.
--
-- Deletion policy: people and money are never hard-deleted. A user closes
-- an account by status = 'deleted' (personal fields anonymised), a product
-- with sales is archived or removed, a shop is closed. So foreign keys into
-- financial rows (orders, payments, escrows, ledger) are RESTRICT, rows that
-- merely belong to a parent (images, tokens, cart lines, reads) CASCADE,
-- and optional references (avatar, reviewer, actor) SET NULL.
--
-- Foreign keys that would form a cycle are plain TEXT without REFERENCES
-- (PostgreSQL needs the target table to exist, and SQLite cannot ALTER TABLE
-- ADD CONSTRAINT): users.avatar_media_id, checkouts.payment_intent_id,
-- custom_orders.accepted_proposal_id. The application keeps them right.
--
-- Ratings are stored as rating_sum and rating_count (products, shops), so
-- the average is rating_sum / rating_count computed by the reader, and a
-- review update is two exact integer adjustments.
--
-- Caveats: NULLs are distinct in UNIQUE on both engines, so a uniqueness rule
-- over a nullable column uses an expression index on COALESCE(col, '')
-- (cart_items) or a partial index. An ON CONFLICT target must then repeat the
-- same expression: ON CONFLICT (cart_id, product_id, COALESCE(variant_id, '')).
-- lower() in SQLite folds ASCII only: the application lowercases emails
-- itself before storing email_normalized.

---------------------------------------------------------------------------
-- Identity
---------------------------------------------------------------------------

CREATE TABLE users (
    id                  TEXT NOT NULL PRIMARY KEY,
    email               TEXT NOT NULL,
    email_normalized    TEXT NOT NULL UNIQUE,
    password_hash       TEXT,               -- NULL: OAuth-only account
    role                TEXT NOT NULL DEFAULT 'buyer'
                        CHECK (role IN ('buyer', 'seller', 'admin')),
    status              TEXT NOT NULL DEFAULT 'active'
                        CHECK (status IN ('active', 'suspended', 'deleted')),
    email_verified_at   BIGINT,
    display_name        TEXT NOT NULL,
    avatar_media_id     TEXT,               -- media_objects.id, no FK (cycle)
    bio                 TEXT NOT NULL DEFAULT '',
    location            TEXT,
    phone_e164          TEXT,
    phone_verified_at   BIGINT,
    preferences         TEXT NOT NULL DEFAULT '{}',
    -- access tokens issued before this instant are rejected (password change,
    -- "log out everywhere", suspension)
    tokens_valid_after  BIGINT NOT NULL DEFAULT 0,
    last_login_at       BIGINT,
    suspended_reason    TEXT,
    deleted_at          BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX users_role_status_created ON users (role, status, created_at);

-- Uploaded and generated files. storage_key names the object in the media
-- store: variants maps a variant name to {key, width, height, bytes}.
CREATE TABLE media_objects (
    id                  TEXT NOT NULL PRIMARY KEY,
    owner_id            TEXT REFERENCES users (id) ON DELETE SET NULL,
    kind                TEXT NOT NULL
                        CHECK (kind IN ('avatar', 'shop_logo', 'shop_banner', 'product_image',
                                        'review_image', 'message_attachment', 'personalization',
                                        'milestone_delivery', 'vision_image', 'shipping_label',
                                        'other')),
    mime                TEXT NOT NULL,      -- sniffed from the bytes, never the client claim
    bytes               BIGINT NOT NULL CHECK (bytes >= 0),
    width               INTEGER CHECK (width IS NULL OR width > 0),
    height              INTEGER CHECK (height IS NULL OR height > 0),
    sha256              TEXT CHECK (sha256 IS NULL OR length(sha256) = 64),
    storage_key         TEXT NOT NULL UNIQUE,
    original_filename   TEXT,
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'ready', 'failed', 'deleted')),
    variants            TEXT NOT NULL DEFAULT '{}',
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX media_objects_owner_created ON media_objects (owner_id, created_at);
CREATE INDEX media_objects_sha256 ON media_objects (sha256);
CREATE INDEX media_objects_status_created ON media_objects (status, created_at);

-- One row per refresh token. Rotation inserts the successor in the same
-- family and stamps rotated_at on the old row: presenting a rotated token
-- again revokes the whole family (revoked_at on every row of family_id).
CREATE TABLE auth_sessions (
    id                  TEXT NOT NULL PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id           TEXT NOT NULL,
    refresh_hash        TEXT NOT NULL UNIQUE,
    parent_id           TEXT REFERENCES auth_sessions (id) ON DELETE SET NULL,
    created_at          BIGINT NOT NULL,
    last_used_at        BIGINT,
    expires_at          BIGINT NOT NULL,
    rotated_at          BIGINT,
    revoked_at          BIGINT,
    revoke_reason       TEXT CHECK (revoke_reason IS NULL OR
                                    revoke_reason IN ('logout', 'logout_all', 'reuse_detected',
                                                      'password_change', 'admin', 'suspended')),
    user_agent          TEXT,
    ip                  TEXT
);
CREATE INDEX auth_sessions_user ON auth_sessions (user_id, created_at);
CREATE INDEX auth_sessions_family ON auth_sessions (family_id);
CREATE INDEX auth_sessions_expires ON auth_sessions (expires_at);

-- Access-token deny-list by jti: rows can be purged once expires_at passes.
CREATE TABLE revoked_tokens (
    jti                 TEXT NOT NULL PRIMARY KEY,
    user_id             TEXT REFERENCES users (id) ON DELETE CASCADE,
    expires_at          BIGINT NOT NULL,
    created_at          BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_expires ON revoked_tokens (expires_at);

-- Single-use emailed tokens, stored hashed.
CREATE TABLE auth_tokens (
    id                  TEXT NOT NULL PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose             TEXT NOT NULL
                        CHECK (purpose IN ('password_reset', 'email_verification', 'email_change')),
    token_hash          TEXT NOT NULL UNIQUE,
    new_email           TEXT,               -- purpose = 'email_change'
    expires_at          BIGINT NOT NULL,
    used_at             BIGINT,
    created_at          BIGINT NOT NULL
);
CREATE INDEX auth_tokens_user_purpose ON auth_tokens (user_id, purpose, created_at);
CREATE INDEX auth_tokens_expires ON auth_tokens (expires_at);

CREATE TABLE oauth_identities (
    id                  TEXT NOT NULL PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider            TEXT NOT NULL CHECK (length(provider) > 0),
    subject             TEXT NOT NULL CHECK (length(subject) > 0),
    email               TEXT,
    created_at          BIGINT NOT NULL,
    last_login_at       BIGINT,
    UNIQUE (provider, subject)
);
CREATE INDEX oauth_identities_user ON oauth_identities (user_id);

-- In-flight authorisation requests (state, OIDC nonce, PKCE verifier).
CREATE TABLE oauth_states (
    state               TEXT NOT NULL PRIMARY KEY,
    provider            TEXT NOT NULL,
    nonce               TEXT NOT NULL,
    pkce_verifier       TEXT NOT NULL,
    redirect_uri        TEXT,
    link_user_id        TEXT REFERENCES users (id) ON DELETE CASCADE, -- linking to a signed-in account
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL
);
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);

-- Log of login attempts (for throttling by email and by IP, and audit).
CREATE TABLE login_attempts (
    id                  TEXT NOT NULL PRIMARY KEY,
    email_normalized    TEXT NOT NULL,
    user_id             TEXT REFERENCES users (id) ON DELETE CASCADE,
    ip                  TEXT,
    succeeded           INTEGER NOT NULL CHECK (succeeded IN (0, 1)),
    failure_reason      TEXT CHECK (failure_reason IS NULL OR
                                    failure_reason IN ('bad_password', 'unknown_user', 'locked',
                                                       'suspended', 'rate_limited')),
    created_at          BIGINT NOT NULL
);
CREATE INDEX login_attempts_email_created ON login_attempts (email_normalized, created_at);
CREATE INDEX login_attempts_ip_created ON login_attempts (ip, created_at);

-- Lockout state keyed by normalised email (also for unknown emails, so a
-- lockout does not reveal whether an account exists).
CREATE TABLE account_lockouts (
    email_normalized    TEXT NOT NULL PRIMARY KEY,
    failed_count        INTEGER NOT NULL DEFAULT 0 CHECK (failed_count >= 0),
    first_failed_at     BIGINT,
    locked_until        BIGINT,
    updated_at          BIGINT NOT NULL
);

CREATE TABLE addresses (
    id                  TEXT NOT NULL PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    full_name           TEXT NOT NULL,
    line1               TEXT NOT NULL,
    line2               TEXT,
    city                TEXT NOT NULL,
    region              TEXT,
    postal_code         TEXT,
    country             TEXT NOT NULL CHECK (length(country) = 2),   -- ISO 3166-1 alpha-2
    phone               TEXT,
    is_default          INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX addresses_user ON addresses (user_id, created_at);
CREATE UNIQUE INDEX addresses_one_default ON addresses (user_id) WHERE is_default = 1;

---------------------------------------------------------------------------
-- Sellers and shops
---------------------------------------------------------------------------

CREATE TABLE seller_applications (
    id                  TEXT NOT NULL PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    shop_name           TEXT NOT NULL,
    about               TEXT NOT NULL DEFAULT '',
    country             TEXT CHECK (country IS NULL OR length(country) = 2),
    portfolio_urls      TEXT NOT NULL DEFAULT '[]',
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'approved', 'rejected')),
    reason              TEXT,               -- why the reviewer rejected
    reviewed_by         TEXT REFERENCES users (id) ON DELETE SET NULL,
    reviewed_at         BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX seller_applications_status_created ON seller_applications (status, created_at);
CREATE INDEX seller_applications_user ON seller_applications (user_id, created_at);
CREATE UNIQUE INDEX seller_applications_one_pending ON seller_applications (user_id)
    WHERE status = 'pending';

-- One shop per seller. rating_sum/rating_count aggregate the reviews of all
-- the products of the shop. commission_bps overrides the platform default.
CREATE TABLE shops (
    id                  TEXT NOT NULL PRIMARY KEY,
    seller_id           TEXT NOT NULL UNIQUE REFERENCES users (id) ON DELETE RESTRICT,
    slug                TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    tagline             TEXT NOT NULL DEFAULT '',
    description         TEXT NOT NULL DEFAULT '',
    logo_media_id       TEXT REFERENCES media_objects (id) ON DELETE SET NULL,
    banner_media_id     TEXT REFERENCES media_objects (id) ON DELETE SET NULL,
    policies            TEXT NOT NULL DEFAULT '{}',
    country             TEXT CHECK (country IS NULL OR length(country) = 2),
    currency            TEXT NOT NULL DEFAULT 'USD' CHECK (length(currency) = 3),
    status              TEXT NOT NULL DEFAULT 'active'
                        CHECK (status IN ('active', 'suspended', 'closed')),
    vacation_mode       INTEGER NOT NULL DEFAULT 0 CHECK (vacation_mode IN (0, 1)),
    vacation_message    TEXT,
    accepts_custom_orders INTEGER NOT NULL DEFAULT 0 CHECK (accepts_custom_orders IN (0, 1)),
    commission_bps      INTEGER CHECK (commission_bps IS NULL OR commission_bps BETWEEN 0 AND 10000),
    rating_sum          BIGINT NOT NULL DEFAULT 0 CHECK (rating_sum >= 0),
    rating_count        BIGINT NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
    sales_count         BIGINT NOT NULL DEFAULT 0 CHECK (sales_count >= 0),
    follower_count      BIGINT NOT NULL DEFAULT 0 CHECK (follower_count >= 0),
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX shops_status_created ON shops (status, created_at);
CREATE INDEX shops_custom_orders ON shops (accepts_custom_orders, status);

-- Connected payout account at the payment provider (Stripe Connect id).
CREATE TABLE seller_payout_accounts (
    seller_id           TEXT NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE RESTRICT,
    provider            TEXT NOT NULL CHECK (provider IN ('local', 'stripe')),
    provider_account_id TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'active', 'restricted', 'disabled')),
    payouts_enabled     INTEGER NOT NULL DEFAULT 0 CHECK (payouts_enabled IN (0, 1)),
    country             TEXT CHECK (country IS NULL OR length(country) = 2),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    UNIQUE (provider, provider_account_id)
);

CREATE TABLE shop_follows (
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    shop_id             TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    created_at          BIGINT NOT NULL,
    PRIMARY KEY (user_id, shop_id)
);
CREATE INDEX shop_follows_shop ON shop_follows (shop_id, created_at);
CREATE INDEX shop_follows_user_created ON shop_follows (user_id, created_at);

---------------------------------------------------------------------------
-- Catalogue
---------------------------------------------------------------------------

-- A tree via parent_id. path is the slash-joined slugs from the root
-- ("home-living/ceramics/vases"), so a subtree is
-- path = $1 OR path LIKE $1 || '/%'. depth 0 is a root.
CREATE TABLE categories (
    id                  TEXT NOT NULL PRIMARY KEY,
    parent_id           TEXT REFERENCES categories (id) ON DELETE RESTRICT,
    slug                TEXT NOT NULL UNIQUE,
    path                TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    depth               INTEGER NOT NULL DEFAULT 0 CHECK (depth >= 0),
    position            INTEGER NOT NULL DEFAULT 0,
    is_active           INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX categories_parent_position ON categories (parent_id, position);

-- Per-shop shipping price tables. basis says what min_value/max_value of a
-- rate measure: grams of the items in the order, or number of items.
CREATE TABLE shipping_rate_tables (
    id                  TEXT NOT NULL PRIMARY KEY,
    seller_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    shop_id             TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    name                TEXT NOT NULL,
    basis               TEXT NOT NULL DEFAULT 'quantity'
                        CHECK (basis IN ('flat', 'weight', 'quantity')),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    origin_country      TEXT CHECK (origin_country IS NULL OR length(origin_country) = 2),
    is_default          INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX shipping_rate_tables_shop ON shipping_rate_tables (shop_id);
CREATE INDEX shipping_rate_tables_seller ON shipping_rate_tables (seller_id);
CREATE UNIQUE INDEX shipping_rate_tables_one_default ON shipping_rate_tables (shop_id)
    WHERE is_default = 1;

-- zone: 'domestic', 'everywhere', a region code ('EU') or an ISO country.
-- A rate applies when min_value <= measure and (max_value IS NULL or
-- measure < max_value). Shipping is free when the seller subtotal reaches
-- free_over_amount.
CREATE TABLE shipping_rates (
    id                  TEXT NOT NULL PRIMARY KEY,
    table_id            TEXT NOT NULL REFERENCES shipping_rate_tables (id) ON DELETE CASCADE,
    seller_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    zone                TEXT NOT NULL,
    min_value           BIGINT NOT NULL DEFAULT 0 CHECK (min_value >= 0),
    max_value           BIGINT CHECK (max_value IS NULL OR max_value > min_value),
    amount              BIGINT NOT NULL CHECK (amount >= 0),
    additional_item_amount BIGINT NOT NULL DEFAULT 0 CHECK (additional_item_amount >= 0),
    free_over_amount    BIGINT CHECK (free_over_amount IS NULL OR free_over_amount >= 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    min_days            INTEGER CHECK (min_days IS NULL OR min_days >= 0),
    max_days            INTEGER CHECK (max_days IS NULL OR max_days >= 0),
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX shipping_rates_table_zone ON shipping_rates (table_id, zone, min_value);
CREATE INDEX shipping_rates_seller_zone ON shipping_rates (seller_id, zone);

-- tags and materials are JSON arrays for display: product_tags and
-- product_materials hold the same values normalised (lowercase) for
-- filtering. The service writes both in the same transaction.
CREATE TABLE products (
    id                  TEXT NOT NULL PRIMARY KEY,
    seller_id           TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    shop_id             TEXT NOT NULL REFERENCES shops (id) ON DELETE RESTRICT,
    category_id         TEXT REFERENCES categories (id) ON DELETE RESTRICT,
    shipping_rate_table_id TEXT REFERENCES shipping_rate_tables (id) ON DELETE SET NULL,
    slug                TEXT NOT NULL,
    title               TEXT NOT NULL CHECK (length(title) > 0),
    description         TEXT NOT NULL DEFAULT '',
    price_amount        BIGINT NOT NULL CHECK (price_amount >= 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    status              TEXT NOT NULL DEFAULT 'draft'
                        CHECK (status IN ('draft', 'active', 'archived', 'removed')),
    removed_reason      TEXT,
    stock               INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
    made_to_order       INTEGER NOT NULL DEFAULT 0 CHECK (made_to_order IN (0, 1)),
    processing_days     INTEGER NOT NULL DEFAULT 3 CHECK (processing_days >= 0),
    who_made            TEXT NOT NULL DEFAULT 'i_did'
                        CHECK (who_made IN ('i_did', 'collective', 'someone_else')),
    is_personalizable   INTEGER NOT NULL DEFAULT 0 CHECK (is_personalizable IN (0, 1)),
    weight_grams        INTEGER CHECK (weight_grams IS NULL OR weight_grams > 0),
    tags                TEXT NOT NULL DEFAULT '[]',
    materials           TEXT NOT NULL DEFAULT '[]',
    rating_sum          BIGINT NOT NULL DEFAULT 0 CHECK (rating_sum >= 0),
    rating_count        BIGINT NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
    wishlist_count      BIGINT NOT NULL DEFAULT 0 CHECK (wishlist_count >= 0),
    view_count          BIGINT NOT NULL DEFAULT 0 CHECK (view_count >= 0),
    sales_count         BIGINT NOT NULL DEFAULT 0 CHECK (sales_count >= 0),
    published_at        BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX products_status_created ON products (status, created_at);
CREATE INDEX products_category_status_created ON products (category_id, status, created_at);
CREATE INDEX products_seller_status_created ON products (seller_id, status, created_at);
CREATE INDEX products_shop_status_created ON products (shop_id, status, created_at);
CREATE INDEX products_status_price ON products (status, price_amount);
CREATE INDEX products_status_sales ON products (status, sales_count);
CREATE UNIQUE INDEX products_shop_slug ON products (shop_id, slug);

CREATE TABLE product_tags (
    product_id          TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    tag                 TEXT NOT NULL CHECK (length(tag) > 0),
    PRIMARY KEY (product_id, tag)
);
CREATE INDEX product_tags_tag ON product_tags (tag, product_id);

CREATE TABLE product_materials (
    product_id          TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    material            TEXT NOT NULL CHECK (length(material) > 0),
    PRIMARY KEY (product_id, material)
);
CREATE INDEX product_materials_material ON product_materials (material, product_id);

-- price_modifier_amount may be negative: the unit price is
-- products.price_amount + price_modifier_amount, which the service keeps >= 0.
CREATE TABLE product_variants (
    id                  TEXT NOT NULL PRIMARY KEY,
    product_id          TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    name                TEXT NOT NULL,
    sku                 TEXT,
    options             TEXT NOT NULL DEFAULT '{}',   -- {"size": "M", "color": "Indigo"}
    price_modifier_amount BIGINT NOT NULL DEFAULT 0,
    stock               INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
    position            INTEGER NOT NULL DEFAULT 0,
    is_active           INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    UNIQUE (product_id, sku)
);
CREATE INDEX product_variants_product_position ON product_variants (product_id, position);

CREATE TABLE product_images (
    id                  TEXT NOT NULL PRIMARY KEY,
    product_id          TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    media_id            TEXT NOT NULL REFERENCES media_objects (id) ON DELETE RESTRICT,
    position            INTEGER NOT NULL DEFAULT 0,
    is_primary          INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
    alt_text            TEXT,
    created_at          BIGINT NOT NULL
);
CREATE INDEX product_images_product_position ON product_images (product_id, position);
CREATE INDEX product_images_media ON product_images (media_id);
CREATE UNIQUE INDEX product_images_one_primary ON product_images (product_id) WHERE is_primary = 1;

-- At most five questions per product: position is 1..5 and unique.
CREATE TABLE product_personalization_questions (
    id                  TEXT NOT NULL PRIMARY KEY,
    product_id          TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position            INTEGER NOT NULL CHECK (position BETWEEN 1 AND 5),
    prompt              TEXT NOT NULL CHECK (length(prompt) > 0),
    kind                TEXT NOT NULL DEFAULT 'text' CHECK (kind IN ('text', 'file')),
    max_length          INTEGER CHECK (max_length IS NULL OR max_length > 0),
    required            INTEGER NOT NULL DEFAULT 0 CHECK (required IN (0, 1)),
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    UNIQUE (product_id, position)
);

CREATE TABLE wishlists (
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product_id          TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    created_at          BIGINT NOT NULL,
    PRIMARY KEY (user_id, product_id)
);
CREATE INDEX wishlists_user_created ON wishlists (user_id, created_at);
CREATE INDEX wishlists_product ON wishlists (product_id);

-- Daily view counters, flushed in batches: products.view_count is the total.
-- day_at is the epoch ms of 00:00 UTC of the day.
CREATE TABLE product_views (
    product_id          TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    day_at              BIGINT NOT NULL,
    view_count          BIGINT NOT NULL DEFAULT 0 CHECK (view_count >= 0),
    PRIMARY KEY (product_id, day_at)
);
CREATE INDEX product_views_day ON product_views (day_at, view_count);

---------------------------------------------------------------------------
-- Cart, checkout, orders
---------------------------------------------------------------------------

CREATE TABLE carts (
    id                  TEXT NOT NULL PRIMARY KEY,
    user_id             TEXT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);

-- One line per (cart, product, variant): variant_id NULL means "no variant",
-- made unique by the COALESCE expression index (see the file header).
CREATE TABLE cart_items (
    id                  TEXT NOT NULL PRIMARY KEY,
    cart_id             TEXT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id          TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    variant_id          TEXT REFERENCES product_variants (id) ON DELETE CASCADE,
    quantity            INTEGER NOT NULL CHECK (quantity > 0),
    personalization     TEXT NOT NULL DEFAULT '{}',
    added_price_amount  BIGINT CHECK (added_price_amount IS NULL OR added_price_amount >= 0),
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE UNIQUE INDEX cart_items_line ON cart_items (cart_id, product_id, COALESCE(variant_id, ''));
CREATE INDEX cart_items_product ON cart_items (product_id);

-- One checkout per cart submission: it fans out into one order per seller.
CREATE TABLE checkouts (
    id                  TEXT NOT NULL PRIMARY KEY,
    buyer_id            TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    cart_id             TEXT REFERENCES carts (id) ON DELETE SET NULL,
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'awaiting_payment', 'paid', 'failed',
                                          'cancelled', 'expired')),
    subtotal_amount     BIGINT NOT NULL CHECK (subtotal_amount >= 0),
    shipping_amount     BIGINT NOT NULL DEFAULT 0 CHECK (shipping_amount >= 0),
    tax_amount          BIGINT NOT NULL DEFAULT 0 CHECK (tax_amount >= 0),
    total_amount        BIGINT NOT NULL CHECK (total_amount >= 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    payment_intent_id   TEXT,               -- payment_intents.id, no FK (cycle)
    shipping_address    TEXT NOT NULL DEFAULT '{}',
    expires_at          BIGINT,
    completed_at        BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    CHECK (total_amount = subtotal_amount + shipping_amount + tax_amount)
);
CREATE INDEX checkouts_buyer_created ON checkouts (buyer_id, created_at);
CREATE INDEX checkouts_status_expires ON checkouts (status, expires_at);

-- commission_bps is copied from the shop/platform at sale and never changes.
-- fee_amount is the platform commission on this order.
CREATE TABLE orders (
    id                  TEXT NOT NULL PRIMARY KEY,
    checkout_id         TEXT REFERENCES checkouts (id) ON DELETE RESTRICT,
    buyer_id            TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    seller_id           TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    shop_id             TEXT NOT NULL REFERENCES shops (id) ON DELETE RESTRICT,
    status              TEXT NOT NULL DEFAULT 'pending_payment'
                        CHECK (status IN ('pending_payment', 'paid', 'processing', 'shipped',
                                          'delivered', 'completed', 'cancelled', 'refunded',
                                          'partially_refunded')),
    subtotal_amount     BIGINT NOT NULL CHECK (subtotal_amount >= 0),
    shipping_amount     BIGINT NOT NULL DEFAULT 0 CHECK (shipping_amount >= 0),
    tax_amount          BIGINT NOT NULL DEFAULT 0 CHECK (tax_amount >= 0),
    discount_amount     BIGINT NOT NULL DEFAULT 0 CHECK (discount_amount >= 0),
    total_amount        BIGINT NOT NULL CHECK (total_amount >= 0),
    refunded_amount     BIGINT NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
    fee_amount          BIGINT NOT NULL DEFAULT 0 CHECK (fee_amount >= 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    commission_bps      INTEGER NOT NULL CHECK (commission_bps BETWEEN 0 AND 10000),
    shipping_address    TEXT NOT NULL DEFAULT '{}',
    buyer_note          TEXT,
    carrier             TEXT,
    tracking_number     TEXT,
    paid_at             BIGINT,
    shipped_at          BIGINT,
    delivered_at        BIGINT,
    completed_at        BIGINT,
    cancelled_at        BIGINT,
    cancel_reason       TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    CHECK (total_amount = subtotal_amount + shipping_amount + tax_amount - discount_amount),
    CHECK (refunded_amount <= total_amount),
    UNIQUE (checkout_id, seller_id)
);
CREATE INDEX orders_buyer_created ON orders (buyer_id, created_at);
CREATE INDEX orders_buyer_status_created ON orders (buyer_id, status, created_at);
CREATE INDEX orders_seller_status_created ON orders (seller_id, status, created_at);
CREATE INDEX orders_seller_created ON orders (seller_id, created_at);
CREATE INDEX orders_shop_status_created ON orders (shop_id, status, created_at);
CREATE INDEX orders_status_updated ON orders (status, updated_at);

-- title/variant_name/sku/unit_price_amount are snapshots taken at sale.
CREATE TABLE order_items (
    id                  TEXT NOT NULL PRIMARY KEY,
    order_id            TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id          TEXT NOT NULL REFERENCES products (id) ON DELETE RESTRICT,
    variant_id          TEXT REFERENCES product_variants (id) ON DELETE SET NULL,
    title               TEXT NOT NULL,
    variant_name        TEXT,
    sku                 TEXT,
    unit_price_amount   BIGINT NOT NULL CHECK (unit_price_amount >= 0),
    quantity            INTEGER NOT NULL CHECK (quantity > 0),
    line_total_amount   BIGINT NOT NULL CHECK (line_total_amount >= 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    personalization     TEXT NOT NULL DEFAULT '{}',
    created_at          BIGINT NOT NULL,
    CHECK (line_total_amount = unit_price_amount * quantity)
);
CREATE INDEX order_items_order ON order_items (order_id);
CREATE INDEX order_items_product ON order_items (product_id);

CREATE TABLE order_status_history (
    id                  TEXT NOT NULL PRIMARY KEY,
    order_id            TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_status         TEXT,
    to_status           TEXT NOT NULL
                        CHECK (to_status IN ('pending_payment', 'paid', 'processing', 'shipped',
                                             'delivered', 'completed', 'cancelled', 'refunded',
                                             'partially_refunded')),
    actor_id            TEXT REFERENCES users (id) ON DELETE SET NULL,  -- NULL: system
    note                TEXT,
    created_at          BIGINT NOT NULL
);
CREATE INDEX order_status_history_order_created ON order_status_history (order_id, created_at);

-- Stock held for an unpaid order. Exactly one of released_at (expired or
-- cancelled: stock put back) and committed_at (paid) is eventually set.
CREATE TABLE stock_reservations (
    id                  TEXT NOT NULL PRIMARY KEY,
    order_item_id       TEXT NOT NULL REFERENCES order_items (id) ON DELETE CASCADE,
    product_id          TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    variant_id          TEXT REFERENCES product_variants (id) ON DELETE CASCADE,
    quantity            INTEGER NOT NULL CHECK (quantity > 0),
    expires_at          BIGINT NOT NULL,
    released_at         BIGINT,
    committed_at        BIGINT,
    created_at          BIGINT NOT NULL,
    CHECK (released_at IS NULL OR committed_at IS NULL)
);
CREATE INDEX stock_reservations_order_item ON stock_reservations (order_item_id);
CREATE INDEX stock_reservations_open_expires ON stock_reservations (expires_at)
    WHERE released_at IS NULL AND committed_at IS NULL;

-- Reviews: one per order item. Ratings feed products.rating_sum/count and
-- shops.rating_sum/count in the same transaction.
CREATE TABLE reviews (
    id                  TEXT NOT NULL PRIMARY KEY,
    product_id          TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    order_item_id       TEXT NOT NULL UNIQUE REFERENCES order_items (id) ON DELETE RESTRICT,
    buyer_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seller_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    shop_id             TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    rating              INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body                TEXT NOT NULL DEFAULT '',
    media_ids           TEXT NOT NULL DEFAULT '[]',
    status              TEXT NOT NULL DEFAULT 'published'
                        CHECK (status IN ('published', 'hidden', 'removed')),
    seller_reply        TEXT,
    reply_at            BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX reviews_product_created ON reviews (product_id, status, created_at);
CREATE INDEX reviews_shop_created ON reviews (shop_id, status, created_at);
CREATE INDEX reviews_buyer_created ON reviews (buyer_id, created_at);

CREATE TABLE shipments (
    id                  TEXT NOT NULL PRIMARY KEY,
    order_id            TEXT NOT NULL REFERENCES orders (id) ON DELETE RESTRICT,
    provider            TEXT NOT NULL DEFAULT 'manual' CHECK (provider IN ('manual', 'local', 'shippo')),
    provider_ref        TEXT,
    carrier             TEXT,
    service             TEXT,
    tracking_number     TEXT,
    tracking_url        TEXT,
    label_url           TEXT,
    label_media_id      TEXT REFERENCES media_objects (id) ON DELETE SET NULL,
    cost_amount         BIGINT CHECK (cost_amount IS NULL OR cost_amount >= 0),
    currency            TEXT CHECK (currency IS NULL OR length(currency) = 3),
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'label_created', 'in_transit', 'out_for_delivery',
                                          'delivered', 'returned', 'failed', 'cancelled')),
    shipped_at          BIGINT,
    delivered_at        BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX shipments_order ON shipments (order_id);
CREATE INDEX shipments_tracking ON shipments (carrier, tracking_number);
CREATE INDEX shipments_status_updated ON shipments (status, updated_at);

CREATE TABLE shipment_events (
    id                  TEXT NOT NULL PRIMARY KEY,
    shipment_id         TEXT NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    status              TEXT NOT NULL
                        CHECK (status IN ('pending', 'label_created', 'in_transit', 'out_for_delivery',
                                          'delivered', 'returned', 'failed', 'cancelled', 'unknown')),
    description         TEXT,
    location            TEXT,
    provider_event_id   TEXT,
    occurred_at         BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    UNIQUE (shipment_id, provider_event_id)
);
CREATE INDEX shipment_events_shipment_occurred ON shipment_events (shipment_id, occurred_at);

---------------------------------------------------------------------------
-- AI vision concepts
---------------------------------------------------------------------------

CREATE TABLE vision_sessions (
    id                  TEXT NOT NULL PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title               TEXT NOT NULL DEFAULT '',
    brief               TEXT NOT NULL DEFAULT '',
    category_id         TEXT REFERENCES categories (id) ON DELETE SET NULL,
    settings            TEXT NOT NULL DEFAULT '{}',
    status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    image_count         INTEGER NOT NULL DEFAULT 0 CHECK (image_count >= 0),
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX vision_sessions_user_updated ON vision_sessions (user_id, updated_at);

CREATE TABLE vision_images (
    id                  TEXT NOT NULL PRIMARY KEY,
    session_id          TEXT NOT NULL REFERENCES vision_sessions (id) ON DELETE CASCADE,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    parent_image_id     TEXT REFERENCES vision_images (id) ON DELETE SET NULL, -- refinement of
    prompt              TEXT NOT NULL,
    negative_prompt     TEXT,
    generator           TEXT NOT NULL,      -- 'local', 'openai', ...
    model               TEXT,
    status              TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'failed')),
    media_id            TEXT REFERENCES media_objects (id) ON DELETE SET NULL,
    seed                BIGINT,
    width               INTEGER CHECK (width IS NULL OR width > 0),
    height              INTEGER CHECK (height IS NULL OR height > 0),
    error               TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX vision_images_session_created ON vision_images (session_id, created_at);
CREATE INDEX vision_images_status_created ON vision_images (status, created_at);

CREATE TABLE saved_concepts (
    id                  TEXT NOT NULL PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id          TEXT REFERENCES vision_sessions (id) ON DELETE SET NULL,
    image_id            TEXT REFERENCES vision_images (id) ON DELETE SET NULL,
    title               TEXT NOT NULL,
    notes               TEXT NOT NULL DEFAULT '',
    data                TEXT NOT NULL DEFAULT '{}',
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX saved_concepts_user_created ON saved_concepts (user_id, created_at);

---------------------------------------------------------------------------
-- Custom commissions
---------------------------------------------------------------------------

-- seller_id is set when a proposal is accepted (or at creation for a request
-- addressed to one seller). accepted_proposal_id has no FK (cycle): the
-- partial unique index on proposals enforces one accepted proposal.
CREATE TABLE custom_orders (
    id                  TEXT NOT NULL PRIMARY KEY,
    buyer_id            TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    seller_id           TEXT REFERENCES users (id) ON DELETE RESTRICT,
    title               TEXT NOT NULL,
    description         TEXT NOT NULL,
    category_id         TEXT REFERENCES categories (id) ON DELETE SET NULL,
    concept_id          TEXT REFERENCES saved_concepts (id) ON DELETE SET NULL,
    reference_media_ids TEXT NOT NULL DEFAULT '[]',
    budget_amount       BIGINT CHECK (budget_amount IS NULL OR budget_amount >= 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    deadline_at         BIGINT,
    visibility          TEXT NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'invited')),
    status              TEXT NOT NULL DEFAULT 'open'
                        CHECK (status IN ('open', 'accepted', 'in_progress', 'completed',
                                          'cancelled', 'disputed')),
    accepted_proposal_id TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX custom_orders_status_created ON custom_orders (status, created_at);
CREATE INDEX custom_orders_buyer_created ON custom_orders (buyer_id, created_at);
CREATE INDEX custom_orders_seller_status ON custom_orders (seller_id, status, created_at);

CREATE TABLE custom_order_invitations (
    id                  TEXT NOT NULL PRIMARY KEY,
    custom_order_id     TEXT NOT NULL REFERENCES custom_orders (id) ON DELETE CASCADE,
    seller_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'viewed', 'declined', 'proposed', 'expired')),
    created_at          BIGINT NOT NULL,
    responded_at        BIGINT,
    UNIQUE (custom_order_id, seller_id)
);
CREATE INDEX custom_order_invitations_seller ON custom_order_invitations (seller_id, status, created_at);

CREATE TABLE proposals (
    id                  TEXT NOT NULL PRIMARY KEY,
    custom_order_id     TEXT NOT NULL REFERENCES custom_orders (id) ON DELETE RESTRICT,
    seller_id           TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    shop_id             TEXT NOT NULL REFERENCES shops (id) ON DELETE RESTRICT,
    price_amount        BIGINT NOT NULL CHECK (price_amount > 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    timeline_days       INTEGER NOT NULL CHECK (timeline_days > 0),
    message             TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'accepted', 'declined', 'withdrawn')),
    responded_at        BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX proposals_custom_order_created ON proposals (custom_order_id, created_at);
CREATE INDEX proposals_seller_status_created ON proposals (seller_id, status, created_at);
CREATE UNIQUE INDEX proposals_one_accepted ON proposals (custom_order_id) WHERE status = 'accepted';
CREATE UNIQUE INDEX proposals_one_pending_per_seller ON proposals (custom_order_id, seller_id)
    WHERE status = 'pending';

-- Funded milestones hold money in escrows. approval_deadline_at starts when
-- the seller delivers: without a buyer answer by then, the job auto-approves.
CREATE TABLE milestones (
    id                  TEXT NOT NULL PRIMARY KEY,
    custom_order_id     TEXT NOT NULL REFERENCES custom_orders (id) ON DELETE RESTRICT,
    proposal_id         TEXT NOT NULL REFERENCES proposals (id) ON DELETE RESTRICT,
    title               TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    amount              BIGINT NOT NULL CHECK (amount > 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    position            INTEGER NOT NULL CHECK (position >= 1),
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'funded', 'delivered', 'approved', 'released',
                                          'disputed', 'refunded')),
    due_at              BIGINT,
    funded_at           BIGINT,
    delivered_at        BIGINT,
    delivery_note       TEXT,
    delivery_media_ids  TEXT NOT NULL DEFAULT '[]',
    approval_deadline_at BIGINT,
    approved_at         BIGINT,
    released_at         BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    UNIQUE (proposal_id, position)
);
CREATE INDEX milestones_custom_order_position ON milestones (custom_order_id, position);
CREATE INDEX milestones_status_deadline ON milestones (status, approval_deadline_at);

---------------------------------------------------------------------------
-- Payments, escrow, refunds, transfers, payouts
---------------------------------------------------------------------------

-- purpose 'checkout' pays a checkout (all its orders), 'milestone' funds one
-- milestone. client_secret_hash: the secret goes to the client once.
CREATE TABLE payment_intents (
    id                  TEXT NOT NULL PRIMARY KEY,
    provider            TEXT NOT NULL CHECK (provider IN ('local', 'stripe')),
    provider_ref        TEXT UNIQUE,
    buyer_id            TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    purpose             TEXT NOT NULL CHECK (purpose IN ('checkout', 'milestone')),
    checkout_id         TEXT REFERENCES checkouts (id) ON DELETE RESTRICT,
    milestone_id        TEXT REFERENCES milestones (id) ON DELETE RESTRICT,
    amount              BIGINT NOT NULL CHECK (amount > 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    status              TEXT NOT NULL DEFAULT 'requires_payment_method'
                        CHECK (status IN ('requires_payment_method', 'requires_confirmation',
                                          'requires_action', 'processing', 'succeeded', 'canceled')),
    client_secret_hash  TEXT,
    transfer_group      TEXT,
    last_error_code     TEXT,
    last_error_message  TEXT,
    metadata            TEXT NOT NULL DEFAULT '{}',
    succeeded_at        BIGINT,
    canceled_at         BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    CHECK ((purpose = 'checkout' AND checkout_id IS NOT NULL AND milestone_id IS NULL) OR
           (purpose = 'milestone' AND milestone_id IS NOT NULL AND checkout_id IS NULL))
);
CREATE INDEX payment_intents_checkout ON payment_intents (checkout_id);
CREATE INDEX payment_intents_milestone ON payment_intents (milestone_id);
CREATE INDEX payment_intents_buyer_created ON payment_intents (buyer_id, created_at);
CREATE INDEX payment_intents_status_updated ON payment_intents (status, updated_at);

-- A charge attempt on an intent.
CREATE TABLE payments (
    id                  TEXT NOT NULL PRIMARY KEY,
    payment_intent_id   TEXT NOT NULL REFERENCES payment_intents (id) ON DELETE RESTRICT,
    provider            TEXT NOT NULL CHECK (provider IN ('local', 'stripe')),
    provider_ref        TEXT UNIQUE,
    amount              BIGINT NOT NULL CHECK (amount > 0),
    refunded_amount     BIGINT NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'succeeded', 'failed')),
    card_brand          TEXT,
    card_last4          TEXT CHECK (card_last4 IS NULL OR length(card_last4) = 4),
    failure_code        TEXT,
    failure_message     TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    CHECK (refunded_amount <= amount)
);
CREATE INDEX payments_intent ON payments (payment_intent_id);

-- Money held for an order (until delivery confirmation) or a milestone
-- (until approval). released_amount + refunded_amount never exceeds amount.
CREATE TABLE escrows (
    id                  TEXT NOT NULL PRIMARY KEY,
    order_id            TEXT UNIQUE REFERENCES orders (id) ON DELETE RESTRICT,
    milestone_id        TEXT UNIQUE REFERENCES milestones (id) ON DELETE RESTRICT,
    payment_intent_id   TEXT REFERENCES payment_intents (id) ON DELETE RESTRICT,
    buyer_id            TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    seller_id           TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    amount              BIGINT NOT NULL CHECK (amount > 0),
    released_amount     BIGINT NOT NULL DEFAULT 0 CHECK (released_amount >= 0),
    refunded_amount     BIGINT NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    status              TEXT NOT NULL DEFAULT 'held'
                        CHECK (status IN ('held', 'released', 'refunded', 'split', 'disputed')),
    auto_release_at     BIGINT,
    released_at         BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    CHECK ((order_id IS NOT NULL AND milestone_id IS NULL) OR
           (order_id IS NULL AND milestone_id IS NOT NULL)),
    CHECK (released_amount + refunded_amount <= amount)
);
CREATE INDEX escrows_status_release ON escrows (status, auto_release_at);
CREATE INDEX escrows_seller_status ON escrows (seller_id, status);
CREATE INDEX escrows_buyer ON escrows (buyer_id, created_at);

CREATE TABLE disputes (
    id                  TEXT NOT NULL PRIMARY KEY,
    order_id            TEXT REFERENCES orders (id) ON DELETE RESTRICT,
    milestone_id        TEXT REFERENCES milestones (id) ON DELETE RESTRICT,
    escrow_id           TEXT REFERENCES escrows (id) ON DELETE RESTRICT,
    opened_by           TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    buyer_id            TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    seller_id           TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    reason              TEXT NOT NULL
                        CHECK (reason IN ('not_received', 'not_as_described', 'damaged',
                                          'late', 'quality', 'other')),
    description         TEXT NOT NULL DEFAULT '',
    evidence_media_ids  TEXT NOT NULL DEFAULT '[]',
    status              TEXT NOT NULL DEFAULT 'open'
                        CHECK (status IN ('open', 'under_review', 'resolved', 'cancelled')),
    resolution          TEXT CHECK (resolution IS NULL OR
                                    resolution IN ('refund_buyer', 'release_seller', 'split')),
    buyer_amount        BIGINT CHECK (buyer_amount IS NULL OR buyer_amount >= 0),
    seller_amount       BIGINT CHECK (seller_amount IS NULL OR seller_amount >= 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    resolved_by         TEXT REFERENCES users (id) ON DELETE SET NULL,
    resolution_note     TEXT,
    resolved_at         BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    CHECK ((order_id IS NOT NULL AND milestone_id IS NULL) OR
           (order_id IS NULL AND milestone_id IS NOT NULL))
);
CREATE INDEX disputes_status_created ON disputes (status, created_at);
CREATE INDEX disputes_order ON disputes (order_id);
CREATE INDEX disputes_milestone ON disputes (milestone_id);
CREATE INDEX disputes_buyer ON disputes (buyer_id, created_at);
CREATE INDEX disputes_seller ON disputes (seller_id, created_at);

CREATE TABLE refunds (
    id                  TEXT NOT NULL PRIMARY KEY,
    payment_id          TEXT NOT NULL REFERENCES payments (id) ON DELETE RESTRICT,
    order_id            TEXT REFERENCES orders (id) ON DELETE RESTRICT,
    milestone_id        TEXT REFERENCES milestones (id) ON DELETE RESTRICT,
    dispute_id          TEXT REFERENCES disputes (id) ON DELETE RESTRICT,
    amount              BIGINT NOT NULL CHECK (amount > 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    reason              TEXT CHECK (reason IS NULL OR
                                    reason IN ('requested_by_customer', 'duplicate', 'fraudulent',
                                               'cancelled', 'dispute', 'other')),
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
    provider_ref        TEXT UNIQUE,
    requested_by        TEXT REFERENCES users (id) ON DELETE SET NULL,
    failure_reason      TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX refunds_payment ON refunds (payment_id);
CREATE INDEX refunds_order ON refunds (order_id);
CREATE INDEX refunds_milestone ON refunds (milestone_id);
CREATE INDEX refunds_status_created ON refunds (status, created_at);

-- Share of an order or milestone moved to the balance of the seller
-- (Stripe Connect transfer). amount is net of fee_amount.
CREATE TABLE transfers (
    id                  TEXT NOT NULL PRIMARY KEY,
    seller_id           TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    order_id            TEXT REFERENCES orders (id) ON DELETE RESTRICT,
    milestone_id        TEXT REFERENCES milestones (id) ON DELETE RESTRICT,
    amount              BIGINT NOT NULL CHECK (amount >= 0),
    fee_amount          BIGINT NOT NULL DEFAULT 0 CHECK (fee_amount >= 0),
    reversed_amount     BIGINT NOT NULL DEFAULT 0 CHECK (reversed_amount >= 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'succeeded', 'failed', 'reversed',
                                          'partially_reversed')),
    provider            TEXT NOT NULL CHECK (provider IN ('local', 'stripe')),
    provider_ref        TEXT UNIQUE,
    transfer_group      TEXT,
    failure_reason      TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    CHECK (reversed_amount <= amount),
    CHECK (order_id IS NOT NULL OR milestone_id IS NOT NULL)
);
CREATE INDEX transfers_seller_created ON transfers (seller_id, created_at);
CREATE INDEX transfers_order ON transfers (order_id);
CREATE INDEX transfers_milestone ON transfers (milestone_id);
CREATE INDEX transfers_status_updated ON transfers (status, updated_at);

CREATE TABLE payouts (
    id                  TEXT NOT NULL PRIMARY KEY,
    seller_id           TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    amount              BIGINT NOT NULL CHECK (amount > 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    status              TEXT NOT NULL DEFAULT 'requested'
                        CHECK (status IN ('requested', 'processing', 'paid', 'failed', 'canceled')),
    provider            TEXT NOT NULL CHECK (provider IN ('local', 'stripe')),
    provider_ref        TEXT UNIQUE,
    failure_reason      TEXT,
    arrival_at          BIGINT,
    paid_at             BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX payouts_seller_created ON payouts (seller_id, created_at);
CREATE INDEX payouts_status_created ON payouts (status, created_at);

---------------------------------------------------------------------------
-- Double-entry ledger
---------------------------------------------------------------------------

-- code names the account: 'platform:cash', 'platform:fees',
-- 'platform:escrow', 'buyer:<id>:payments', 'seller:<id>:available',
-- 'seller:<id>:pending'. One currency per account: for a second currency,
-- use a code suffix (':EUR'). owner_id is the user for per-user accounts.
CREATE TABLE ledger_accounts (
    id                  TEXT NOT NULL PRIMARY KEY,
    code                TEXT NOT NULL UNIQUE,
    type                TEXT NOT NULL CHECK (type IN ('asset', 'liability', 'revenue', 'expense', 'equity')),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    owner_id            TEXT REFERENCES users (id) ON DELETE RESTRICT,
    created_at          BIGINT NOT NULL
);
CREATE INDEX ledger_accounts_owner ON ledger_accounts (owner_id);

-- One balanced movement. idempotency_key (e.g. 'escrow_release:esc_...')
-- makes posting the same business event twice a unique violation.
CREATE TABLE ledger_transactions (
    id                  TEXT NOT NULL PRIMARY KEY,
    kind                TEXT NOT NULL
                        CHECK (kind IN ('payment', 'platform_fee', 'escrow_hold', 'escrow_release',
                                        'refund', 'transfer', 'transfer_reversal', 'payout',
                                        'payout_failed', 'dispute_resolution', 'adjustment')),
    description         TEXT NOT NULL DEFAULT '',
    reference_type      TEXT,               -- 'order', 'milestone', 'payout', ...
    reference_id        TEXT,
    idempotency_key     TEXT UNIQUE,
    created_by          TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at          BIGINT NOT NULL
);
CREATE INDEX ledger_transactions_reference ON ledger_transactions (reference_type, reference_id);
CREATE INDEX ledger_transactions_created ON ledger_transactions (created_at);

-- amount is always positive and direction says which side. In every
-- transaction debits equal credits per currency (checked by the service and
-- by tests).
-- Balance of an account: SUM(CASE direction WHEN 'debit' THEN amount ELSE
-- -amount END), negated for liability/revenue/equity.
CREATE TABLE ledger_entries (
    id                  TEXT NOT NULL PRIMARY KEY,
    transaction_id      TEXT NOT NULL REFERENCES ledger_transactions (id) ON DELETE RESTRICT,
    account_id          TEXT NOT NULL REFERENCES ledger_accounts (id) ON DELETE RESTRICT,
    direction           TEXT NOT NULL CHECK (direction IN ('debit', 'credit')),
    amount              BIGINT NOT NULL CHECK (amount > 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    created_at          BIGINT NOT NULL
);
CREATE INDEX ledger_entries_account_created ON ledger_entries (account_id, created_at);
CREATE INDEX ledger_entries_transaction ON ledger_entries (transaction_id);

---------------------------------------------------------------------------
-- Idempotency and inbound webhooks
---------------------------------------------------------------------------

-- scope is the caller (user id, or 'anon:<client>'), and the pair is unique.
-- A row is 'in_progress' while locked_until is in the future. After a crash
-- another request may take it over once locked_until passes.
CREATE TABLE idempotency_keys (
    scope               TEXT NOT NULL,
    idem_key            TEXT NOT NULL,
    method              TEXT NOT NULL,
    path                TEXT NOT NULL,
    request_hash        TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'in_progress'
                        CHECK (status IN ('in_progress', 'completed')),
    response_status     INTEGER,
    response_headers    TEXT,
    response_body       TEXT,
    locked_until        BIGINT,
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

CREATE TABLE webhook_events_in (
    id                  TEXT NOT NULL PRIMARY KEY,
    provider            TEXT NOT NULL,      -- 'stripe', 'shippo', ...
    event_id            TEXT NOT NULL,
    type                TEXT NOT NULL,
    payload             TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'received'
                        CHECK (status IN ('received', 'processed', 'failed', 'ignored')),
    attempts            INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error          TEXT,
    received_at         BIGINT NOT NULL,
    processed_at        BIGINT,
    UNIQUE (provider, event_id)
);
CREATE INDEX webhook_events_in_status_received ON webhook_events_in (status, received_at);

---------------------------------------------------------------------------
-- Messaging
---------------------------------------------------------------------------

-- subject_id is '' when subject_type = 'none', so the unique key works.
CREATE TABLE conversations (
    id                  TEXT NOT NULL PRIMARY KEY,
    buyer_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seller_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    subject_type        TEXT NOT NULL DEFAULT 'none'
                        CHECK (subject_type IN ('product', 'order', 'custom_order', 'none')),
    subject_id          TEXT NOT NULL DEFAULT '',
    last_message_at     BIGINT,
    last_message_preview TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    CHECK ((subject_type = 'none') = (subject_id = '')),
    CHECK (buyer_id <> seller_id),
    UNIQUE (buyer_id, seller_id, subject_type, subject_id)
);
CREATE INDEX conversations_buyer_last ON conversations (buyer_id, last_message_at);
CREATE INDEX conversations_seller_last ON conversations (seller_id, last_message_at);

-- client_msg_id lets a client resend after a dropped socket without
-- creating a duplicate.
CREATE TABLE messages (
    id                  TEXT NOT NULL PRIMARY KEY,
    conversation_id     TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    sender_id           TEXT REFERENCES users (id) ON DELETE SET NULL, -- NULL: system
    kind                TEXT NOT NULL DEFAULT 'text' CHECK (kind IN ('text', 'system', 'proposal')),
    body                TEXT NOT NULL,
    attachments         TEXT NOT NULL DEFAULT '[]',
    client_msg_id       TEXT,
    edited_at           BIGINT,
    deleted_at          BIGINT,
    created_at          BIGINT NOT NULL,
    UNIQUE (conversation_id, sender_id, client_msg_id)
);
CREATE INDEX messages_conversation_created ON messages (conversation_id, created_at);

CREATE TABLE conversation_reads (
    conversation_id     TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_read_at        BIGINT NOT NULL DEFAULT 0,
    last_read_message_id TEXT,
    archived            INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    muted               INTEGER NOT NULL DEFAULT 0 CHECK (muted IN (0, 1)),
    updated_at          BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_reads_user ON conversation_reads (user_id);

---------------------------------------------------------------------------
-- Notifications and outbound webhooks
---------------------------------------------------------------------------

CREATE TABLE notifications (
    id                  TEXT NOT NULL PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type                TEXT NOT NULL,      -- 'order.paid', 'message.new', ...
    title               TEXT NOT NULL,
    body                TEXT NOT NULL DEFAULT '',
    data                TEXT NOT NULL DEFAULT '{}',
    read_at             BIGINT,
    created_at          BIGINT NOT NULL
);
CREATE INDEX notifications_user_created ON notifications (user_id, created_at);
CREATE INDEX notifications_user_unread ON notifications (user_id, created_at) WHERE read_at IS NULL;

-- Absent row: the default of the event type for that channel.
CREATE TABLE notification_preferences (
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_type          TEXT NOT NULL,
    channel             TEXT NOT NULL CHECK (channel IN ('in_app', 'email', 'sms', 'push')),
    enabled             INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    updated_at          BIGINT NOT NULL,
    PRIMARY KEY (user_id, event_type, channel)
);

CREATE TABLE notification_deliveries (
    id                  TEXT NOT NULL PRIMARY KEY,
    notification_id     TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel             TEXT NOT NULL CHECK (channel IN ('in_app', 'email', 'sms', 'push')),
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts            INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    provider_ref        TEXT,
    last_error          TEXT,
    next_attempt_at     BIGINT,
    sent_at             BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    UNIQUE (notification_id, channel)
);
CREATE INDEX notification_deliveries_status_next ON notification_deliveries (status, next_attempt_at);
CREATE INDEX notification_deliveries_user_created ON notification_deliveries (user_id, created_at);

CREATE TABLE devices (
    id                  TEXT NOT NULL PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    platform            TEXT NOT NULL CHECK (platform IN ('ios', 'android', 'web')),
    push_token          TEXT NOT NULL UNIQUE,
    app_version         TEXT,
    last_seen_at        BIGINT,
    disabled_at         BIGINT,             -- provider said the token is dead
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX devices_user ON devices (user_id);

-- secret signs outbound payloads (HMAC), so it is stored usable, not hashed.
CREATE TABLE webhook_endpoints (
    id                  TEXT NOT NULL PRIMARY KEY,
    owner_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url                 TEXT NOT NULL,
    secret              TEXT NOT NULL,
    event_types         TEXT NOT NULL DEFAULT '[]',
    description         TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_owner ON webhook_endpoints (owner_id);

CREATE TABLE webhook_deliveries (
    id                  TEXT NOT NULL PRIMARY KEY,
    endpoint_id         TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id            TEXT NOT NULL,
    event_type          TEXT NOT NULL,
    payload             TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'succeeded', 'failed', 'dead')),
    attempts            INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at     BIGINT,
    response_status     INTEGER,
    response_excerpt    TEXT,
    last_error          TEXT,
    delivered_at        BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_endpoint_created ON webhook_deliveries (endpoint_id, created_at);
CREATE INDEX webhook_deliveries_status_next ON webhook_deliveries (status, next_attempt_at);

---------------------------------------------------------------------------
-- Search log, moderation, audit
---------------------------------------------------------------------------

-- Query counts per UTC day (day_at = epoch ms of 00:00 UTC): trending is the
-- sum over the last N days: last_at is the latest search of that query.
CREATE TABLE search_queries (
    query_normalized    TEXT NOT NULL,
    day_at              BIGINT NOT NULL,
    query_count         BIGINT NOT NULL DEFAULT 0 CHECK (query_count >= 0),
    last_result_count   BIGINT CHECK (last_result_count IS NULL OR last_result_count >= 0),
    last_at             BIGINT NOT NULL,
    PRIMARY KEY (query_normalized, day_at)
);
CREATE INDEX search_queries_day_count ON search_queries (day_at, query_count);

-- User reports of listings, shops, reviews, messages or users.
CREATE TABLE reports (
    id                  TEXT NOT NULL PRIMARY KEY,
    reporter_id         TEXT REFERENCES users (id) ON DELETE SET NULL,
    target_type         TEXT NOT NULL
                        CHECK (target_type IN ('product', 'shop', 'review', 'message', 'user')),
    target_id           TEXT NOT NULL,
    reason              TEXT NOT NULL
                        CHECK (reason IN ('prohibited_item', 'intellectual_property', 'spam',
                                          'harassment', 'fraud', 'not_handmade', 'other')),
    details             TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL DEFAULT 'open'
                        CHECK (status IN ('open', 'actioned', 'dismissed')),
    handled_by          TEXT REFERENCES users (id) ON DELETE SET NULL,
    handled_at          BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX reports_status_created ON reports (status, created_at);
CREATE INDEX reports_target ON reports (target_type, target_id);

-- Append-only record of privileged and security-relevant actions.
CREATE TABLE audit_log (
    id                  TEXT NOT NULL PRIMARY KEY,
    actor_id            TEXT REFERENCES users (id) ON DELETE SET NULL,  -- NULL: system
    action              TEXT NOT NULL,      -- 'seller_application.approve', ...
    target_type         TEXT,
    target_id           TEXT,
    data                TEXT NOT NULL DEFAULT '{}',
    ip                  TEXT,
    request_id          TEXT,
    created_at          BIGINT NOT NULL
);
CREATE INDEX audit_log_created ON audit_log (created_at);
CREATE INDEX audit_log_actor_created ON audit_log (actor_id, created_at);
CREATE INDEX audit_log_target_created ON audit_log (target_type, target_id, created_at);
