-- Catalogue read path: columns that the listing sorts and filters need,
-- kept by the writers in the same transaction as the change they derive from.
--
-- popularity  = 20 * sales_count + 5 * wishlist_count + view_count
--               (one formula, products.h PRODUCTS_POPULARITY_SQL; every writer
--               of those counters recomputes it in the same UPDATE)
-- rating_avg  = round(100 * rating_sum / rating_count), 0 when unrated
--               (hundredths of a star: 0..500)
-- in_stock    = 1 when the product can be bought now: made to order, or
--               stock > 0 on the product or on an active variant
ALTER TABLE products ADD COLUMN popularity BIGINT NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN rating_avg INTEGER NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN in_stock INTEGER NOT NULL DEFAULT 0;

UPDATE products SET
    popularity = 20 * sales_count + 5 * wishlist_count + view_count,
    rating_avg = CASE WHEN rating_count > 0 THEN (rating_sum * 100 + rating_count / 2) / rating_count ELSE 0 END,
    in_stock = CASE WHEN made_to_order = 1 OR stock > 0
                      OR EXISTS (SELECT 1 FROM product_variants v
                                 WHERE v.product_id = products.id AND v.is_active = 1 AND v.stock > 0)
               THEN 1 ELSE 0 END;

-- rev counts the writes to a product (and shops.rev to a shop): a reader
-- that keeps a rendering of the product detail checks it (with the rating
-- and stock columns) before reusing the rendering. Every writer of a
-- product or of its variants, images, questions, tags or materials
-- increments products.rev in the same transaction; every writer of a shop
-- increments shops.rev.
ALTER TABLE products ADD COLUMN rev BIGINT NOT NULL DEFAULT 0;
ALTER TABLE shops ADD COLUMN rev BIGINT NOT NULL DEFAULT 0;

-- Listing sorts: each index ends with id, the tie-breaker of the keyset
-- cursor, so a page is one index range scan in order with no sort step.
CREATE INDEX products_status_popularity ON products (status, popularity, id);
CREATE INDEX products_status_rating ON products (status, rating_avg, rating_count, id);
CREATE INDEX products_status_published ON products (status, published_at, id);
CREATE INDEX products_status_price_id ON products (status, price_amount, id);
DROP INDEX products_status_price; -- (status, price_amount): a prefix of the one above
CREATE INDEX products_category_status_popularity ON products (category_id, status, popularity, id);
CREATE INDEX products_category_status_price ON products (category_id, status, price_amount, id);
