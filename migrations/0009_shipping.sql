-- 0009_shipping.sql — shipping: look-ups the tracking webhook needs.
--
-- Shippo's track_updated event names a shipment by carrier token and
-- tracking number only; the carrier's spelling differs between Shippo
-- ("usps") and what a seller typed ("USPS"), so the webhook finds
-- shipments by tracking number and compares the carrier case-insensitively.
CREATE INDEX shipments_tracking_number ON shipments (tracking_number);

-- Pinning a product to a rate table (and ON DELETE SET NULL when a table is
-- deleted) looks products up by their table.
CREATE INDEX products_shipping_rate_table ON products (shipping_rate_table_id);
