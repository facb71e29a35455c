-- 0008_escrow.sql — what escrow and custom commissions need beyond 0001
-- (src/services/escrow/README.md, src/services/commissions/README.md).
--
-- escrows:
--   commission_bps       fixed at the sale (order) or at acceptance (custom order)
--   fee_amount           commission taken on release (ledger_fee of the gross released)
--   fee_reversed_amount  part of fee_amount given back by refunds after release
--   reversed_amount      gross given back after release (released_amount went down by it)
--   payment_id           the charge the money came from (refunds go back to it)
--   transfer_group       checkout id or milestone id
--   transfer_id          the transfer of the seller's share (reversed by a later refund)
-- Held money is amount - released_amount - refunded_amount, and the CHECKs
-- below keep the fee columns inside what was actually taken.
ALTER TABLE escrows ADD COLUMN commission_bps INTEGER NOT NULL DEFAULT 0
    CHECK (commission_bps BETWEEN 0 AND 10000);
ALTER TABLE escrows ADD COLUMN fee_amount BIGINT NOT NULL DEFAULT 0 CHECK (fee_amount >= 0);
ALTER TABLE escrows ADD COLUMN fee_reversed_amount BIGINT NOT NULL DEFAULT 0
    CHECK (fee_reversed_amount >= 0 AND fee_reversed_amount <= fee_amount);
ALTER TABLE escrows ADD COLUMN reversed_amount BIGINT NOT NULL DEFAULT 0 CHECK (reversed_amount >= 0);
ALTER TABLE escrows ADD COLUMN payment_id TEXT REFERENCES payments (id) ON DELETE RESTRICT;
ALTER TABLE escrows ADD COLUMN transfer_group TEXT;
ALTER TABLE escrows ADD COLUMN transfer_id TEXT REFERENCES transfers (id) ON DELETE RESTRICT;

-- One row per movement of an escrow (GET /escrow/:id shows them).
CREATE TABLE escrow_history (
    id                  TEXT NOT NULL PRIMARY KEY,
    escrow_id           TEXT NOT NULL REFERENCES escrows (id) ON DELETE RESTRICT,
    action              TEXT NOT NULL
                        CHECK (action IN ('held', 'released', 'refunded', 'reversed', 'disputed', 'resolved')),
    amount              BIGINT NOT NULL DEFAULT 0 CHECK (amount >= 0),
    fee_amount          BIGINT NOT NULL DEFAULT 0 CHECK (fee_amount >= 0),
    status_after        TEXT NOT NULL,
    actor_id            TEXT REFERENCES users (id) ON DELETE SET NULL,
    ref_id              TEXT,               -- refund, transfer or dispute id
    created_at          BIGINT NOT NULL
);
CREATE INDEX escrow_history_escrow ON escrow_history (escrow_id, created_at);

-- At most one open dispute per escrow.
CREATE UNIQUE INDEX disputes_one_open ON disputes (escrow_id) WHERE status IN ('open', 'under_review');

-- The platform commission of a custom order, fixed when a proposal is accepted.
ALTER TABLE custom_orders ADD COLUMN commission_bps INTEGER
    CHECK (commission_bps IS NULL OR commission_bps BETWEEN 0 AND 10000);
ALTER TABLE custom_orders ADD COLUMN completed_at BIGINT;
ALTER TABLE custom_orders ADD COLUMN cancelled_at BIGINT;

-- The intent that funds a milestone (POST /escrow/create makes it once).
ALTER TABLE milestones ADD COLUMN payment_intent_id TEXT REFERENCES payment_intents (id) ON DELETE RESTRICT;
