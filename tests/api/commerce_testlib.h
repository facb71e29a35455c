/*
 * commerce_testlib.h — commerce fixtures and ledger checks shared by the
 * order, payment, escrow, payout and related suites: products made in the
 * database, cart, checkout and payment through the API, ledger postings
 * and invariants checked on the server's database.
 *
 * Money in minor units, currency USD. Every helper fails the test on error
 * unless it says otherwise.
 */
#ifndef ARTISTRY_TESTS_COMMERCE_TESTLIB_H
#define ARTISTRY_TESTS_COMMERCE_TESTLIB_H

#include <jansson.h>

#include "api_client.h"

/*-----------------------------------------------------------------------------
 * Products, carts, checkout and payment (orders helper)
 */

/**
 * An active product of seller's shop priced price (USD minor units) with
 * stock units (made in the database, as a published product would be); its
 * id into id_out (64 bytes). The first call for a shop also gives the shop
 * a default rate table shipping everywhere for free, so checkouts work
 * without shipping set-up.
 */
void api_product(struct api_server *s, const struct api_account *seller, long long price, int stock, char *id_out);

/** buyer adds quantity of product_id to the cart (POST /cart/items); fails the test unless 200/201. */
void api_cart_add(struct api_server *s, const struct api_account *buyer, const char *product_id, int quantity);

/**
 * POST /orders as buyer with body (NULL: a default US shipping address).
 * Returns the status; *res (when res is not NULL) gets a new reference to
 * the response JSON (caller json_decref's it; NULL when not JSON). Never
 * fails the test.
 */
long api_checkout(struct api_server *s, const struct api_account *buyer, json_t *body, json_t **res);

/**
 * Pay a payment intent as buyer: POST /payments/create-intent
 * {payment_intent_id} then POST /payments/confirm {payment_intent_id,
 * payment_method: "4242424242424242"}. Returns the confirm status (0 if
 * create-intent failed). Never fails the test.
 */
long api_pay(struct api_server *s, const struct api_account *buyer, const char *intent_id);

/**
 * A paid one-item order: a product of seller at price (stock 5), buyer's
 * cart, checkout, payment. The order id into order_id (64 bytes), the
 * product id into product_id (64 bytes, may be NULL). Fails the test on any
 * step.
 */
void api_paid_order(struct api_server *s, const struct api_account *buyer, const struct api_account *seller,
                    long long price, char *order_id, char *product_id);

/*-----------------------------------------------------------------------------
 * Ledger fixtures and checks (payouts helper)
 */

/**
 * Move amount (may be negative) between platform cash and seller's
 * available balance as one balanced 'adjustment' posting written in the
 * database (accounts created as platform/ledger.c would): a stand-in for
 * released-and-transferred sales in tests that are not about the sale. A
 * negative amount makes the available balance go down (as a reversal
 * would). Fails the test on error.
 */
void api_ledger_adjust_seller(struct api_server *s, const char *seller_id, long long amount);

/**
 * Assert the ledger's invariants on the server's database: every
 * transaction balanced, SUM(debits) = SUM(credits) per currency, each
 * account's balance equal to the sum of its entries, no negative balance
 * but a seller's available one.
 */
void api_ledger_assert_consistent(struct api_server *s);

/** Balance of the account with this code ("seller:<id>:available:USD"), 0 when it does not exist. */
long long api_ledger_balance(struct api_server *s, const char *code);

#endif
