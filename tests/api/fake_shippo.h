/*
 * fake_shippo.h — a local Shippo API for the API tests.
 *
 * An HTTP server (libmicrohttpd, in the test process) on 127.0.0.1 and a
 * free port, speaking Shippo's wire format (PROTOCOLS.md §4):
 *   POST /shipments/     JSON {address_from, address_to, parcels[], async}
 *                        with "Authorization: ShippoToken <token>" (401
 *                        {"detail": "Invalid token."} otherwise); checks the
 *                        addresses have a country and the parcel a weight and
 *                        mass_unit; answers {object_id, status: "SUCCESS",
 *                        rates: [...]}: USPS Ground Advantage 5.10 USD (5
 *                        days), USPS Priority Mail 7.85 USD (2 days), DHL
 *                        Express 20.00 EUR (1 day). Rate ids are remembered.
 *   POST /transactions/  JSON {rate, label_file_type, async}: an unknown
 *                        rate is 400; otherwise {object_id, status
 *                        "SUCCESS", tracking_number, tracking_url_provider,
 *                        label_url, rate, messages: []}, or status "ERROR"
 *                        with messages[0].text when told to fail.
 * Anything else is 404.
 */
#ifndef ARTISTRY_TESTS_FAKE_SHIPPO_H
#define ARTISTRY_TESTS_FAKE_SHIPPO_H

#include <stdbool.h>

struct fake_shippo;

/** Start the fake accepting this API token. Aborts the test process on failure. */
struct fake_shippo *fake_shippo_start(const char *token);

/** Stop and free. NULL is a no-op. */
void fake_shippo_stop(struct fake_shippo *f);

/** Base URL ("http://127.0.0.1:<port>"). */
const char *fake_shippo_url(const struct fake_shippo *f);

/** When set, the next transactions answer status ERROR. */
void fake_shippo_fail_labels(struct fake_shippo *f, bool fail);

/** Calls served so far of POST /shipments/ and POST /transactions/. */
int fake_shippo_shipment_calls(struct fake_shippo *f);
int fake_shippo_transaction_calls(struct fake_shippo *f);

/** A copy of the last POST /shipments/ body (caller frees), or NULL. */
char *fake_shippo_last_shipment(struct fake_shippo *f);

/** The tracking number of the n-th label sold (1-based), as the fake makes it. */
void fake_shippo_tracking_number(int n, char *buf, unsigned cap);

#endif
