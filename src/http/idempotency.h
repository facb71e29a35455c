/*
 * idempotency.h — the Idempotency-Key middleware for ROUTE_IDEMPOTENT routes
 * (DESIGN.md §3; Stripe's semantics, PROTOCOLS.md §2).
 *
 * A client sends `Idempotency-Key: <1..255 printable ASCII>` on a write that
 * moves money or creates orders. Keys are scoped to the caller (the user id,
 * or "anon:<client ip>" on a public route) and stored in idempotency_keys:
 *
 *   first request            the row is inserted 'in_progress' with a lock
 *                            (locked_until = now + IDEMPOTENCY_LOCK_MS), the
 *                            handler runs once, and its response is stored
 *   same key, same request   the stored response is replayed: status, body,
 *                            Content-Type and Location, plus
 *                            `Idempotent-Replayed: true`
 *   same key, other request  409 idempotency_key_reused (method, path and
 *                            body hash differ; the body is compared as
 *                            canonical JSON, so key order and spacing do not
 *                            matter)
 *   same key while running   409 idempotency_in_progress (Retry-After: 1);
 *                            the first request still executes exactly once
 *   a crashed request        its row stays 'in_progress' until the lock
 *                            expires; then the next repeat takes it over
 *                            and executes
 *
 * What is stored (Stripe saves a result once the endpoint started executing,
 * but nothing when validation failed or the request lost a concurrency
 * conflict): every 2xx/3xx, and the business outcomes 402, 403, 404, 409 and
 * 410. Not stored — the row is dropped so the same key may be retried —
 * 5xx (unlike Stripe: our 5xx are transient by construction: database busy,
 * processor unreachable), 400/413/415/422 (validation: the client fixes the
 * body and retries), 401 and 429. Validation done by the HTTP layer before
 * the handler (params, body fields, auth) never reaches the middleware at all.
 * Rows expire IDEMPOTENCY_TTL_MS (24 h) after creation; an expired key is
 * new again, and the housekeeping ticker (platform/retention.h) deletes
 * expired rows.
 *
 * Caveats: the handler's transaction and the stored response are two
 * commits. A crash between them leaves the row in progress; after the lock
 * the repeat executes again, so handlers must themselves be safe to repeat
 * (conditional updates, ledger idempotency keys) — the key narrows the
 * window, it does not replace that. A handler running longer than the lock
 * can be overtaken by a repeat; the first to finish stores its response.
 */
#ifndef ARTISTRY_HTTP_IDEMPOTENCY_H
#define ARTISTRY_HTTP_IDEMPOTENCY_H

#include <stdint.h>

struct db;
struct db_error;
struct req_ctx;

#define IDEMPOTENCY_LOCK_MS (120 * 1000)
#define IDEMPOTENCY_TTL_MS (24LL * 3600 * 1000)
#define IDEMPOTENCY_KEY_MAX 255

enum idem_begin {
    IDEM_NONE = 0,     /* no key, or not an idempotent route: run the handler as usual */
    IDEM_CLAIMED = 1,  /* this request owns the key: run the handler, then idempotency_finish */
    IDEM_ANSWERED = 2, /* the response is filled (replay or problem): do not run the handler */
};

/**
 * Before the handler of a ROUTE_IDEMPOTENT route (after auth and
 * validation, with c->req.db set): look the key up and claim it, replay the
 * stored response, or answer 400/409/503. Sets c->idem_claimed when it
 * returns IDEM_CLAIMED.
 */
enum idem_begin idempotency_begin(struct req_ctx *c);

/**
 * Once the response of a claimed request is built (from the handler, a
 * problem, or the slow pool), on the thread that sends it: store it, or drop
 * the claim when it is not to be stored (see above). Never fails the
 * request; a database error is logged and the row's lock expires by itself.
 */
void idempotency_finish(struct req_ctx *c);

#endif
