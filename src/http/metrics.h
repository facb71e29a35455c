/*
 * metrics.h — request and database metrics in Prometheus text format.
 *
 * Counters are per route (dense router index, plus one slot for unmatched
 * requests) × method × status class bucket, kept in relaxed atomics so the
 * hot path takes no lock. Latency histograms share fixed bucket bounds.
 *
 * Caveats: statuses outside the tracked list are counted under their
 * class ("2xx"...), which keeps the label set bounded.
 */
#ifndef ARTISTRY_HTTP_METRICS_H
#define ARTISTRY_HTTP_METRICS_H

#include <stddef.h>

struct router;
struct strbuf;

/** Prepare storage for the router's routes. Call once before serving. */
void metrics_init(const struct router *r);
void metrics_fini(void);

/** Record one finished request: route index (-1: unmatched), method bit, status, seconds. */
void metrics_observe_request(int route_index, unsigned method, int status, double seconds);

/** Record one database statement execution (registered as the db observer). */
void metrics_observe_db(double seconds);

/** Append the HTTP and database metrics in Prometheus text exposition format 0.0.4. */
void metrics_render(struct strbuf *out);

/**
 * Add a gauge to metrics_render: name and help are borrowed (string literals), fn is
 * called at every scrape on the scraping thread and must be cheap and thread-safe. Lets
 * a layer above http publish a figure without http depending on it. Register from one
 * thread at start-up (scrapes may run meanwhile); at most 8; a name registered again is
 * ignored.
 */
void metrics_register_gauge(const char *name, const char *help, long long (*fn)(void));

/** Resident set size of this process in bytes (from /proc/self/statm), 0 if unknown. */
long long metrics_rss_bytes(void);

#endif
