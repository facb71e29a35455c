-- 0007_ledger.sql — account balances kept with the entries (platform/ledger.h).
--
-- balance is in the account's natural sign (debit-positive for assets and
-- expenses, credit-positive for the rest) and always equals the sum of the
-- account's entries: the ledger updates both in one transaction, tests
-- compare them. Only an account with may_go_negative = 1 (a seller's
-- available balance, after a refund reversed a transfer) may go below zero;
-- for every other account the CHECK makes an overdraw fail the transaction.
ALTER TABLE ledger_accounts ADD COLUMN may_go_negative INTEGER NOT NULL DEFAULT 0
    CHECK (may_go_negative IN (0, 1));
ALTER TABLE ledger_accounts ADD COLUMN balance BIGINT NOT NULL DEFAULT 0
    CHECK (balance >= 0 OR may_go_negative = 1);
