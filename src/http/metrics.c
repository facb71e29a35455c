/*
 * metrics.c — lock-free counters and histograms for /metrics.
 *
 * Storage is one flat array of atomic counters allocated at start-up:
 * [route+1][method][status slot] for counts and [route+1][bucket] for the
 * latency histogram. The module keeps its state in file-level statics
 * because it is process-wide by nature (one exposition per process), the
 * same reason the log level is.
 *
 * Caveats: a histogram _sum is kept in microseconds as an integer and
 * rendered in seconds.
 */
#include "http/metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "http/http.h"
#include "http/router.h"

static const int status_list[] = {200, 201, 202, 204, 301, 302, 304, 400, 401, 403, 404, 405, 409,
                                  410, 413, 415, 422, 429, 500, 502, 503, 504};
#define NSTATUS (sizeof status_list / sizeof status_list[0])
#define NSLOTS (NSTATUS + 5) /* + 1xx..5xx classes */
#define NMETH 7

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKETS (sizeof buckets / sizeof buckets[0])

struct histogram {
    atomic_ullong bucket[NBUCKETS + 1]; /* last: +Inf */
    atomic_ullong sum_us;
    atomic_ullong count;
};

static const struct router *router;
static int nroutes;
static atomic_ullong *counts;  /* (nroutes+1) * NMETH * NSLOTS */
static struct histogram *hist; /* nroutes+1 */
static struct histogram db_hist;

void metrics_init(const struct router *r)
{
    router = r;
    nroutes = router_count(r);
    counts = xcalloc((size_t)(nroutes + 1) * NMETH * NSLOTS, sizeof *counts);
    hist = xcalloc((size_t)(nroutes + 1), sizeof *hist);
}

void metrics_fini(void)
{
    free(counts);
    free(hist);
    counts = NULL;
    hist = NULL;
}

static int status_slot(int status)
{
    for (size_t i = 0; i < NSTATUS; i++)
        if (status_list[i] == status)
            return (int)i;
    int cls = status / 100;
    if (cls < 1 || cls > 5)
        cls = 5;
    return (int)NSTATUS + cls - 1;
}

static int method_index(unsigned m)
{
    for (int i = 0; i < NMETH; i++)
        if (m == (1u << i))
            return i;
    return 0;
}

static void hist_observe(struct histogram *h, double seconds)
{
    size_t i = 0;
    while (i < NBUCKETS && seconds > buckets[i])
        i++;
    atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, (unsigned long long)(seconds * 1e6), memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
}

void metrics_observe_request(int route_index, unsigned method, int status, double seconds)
{
    if (counts == NULL)
        return;
    int r = route_index + 1;
    if (r < 0 || r > nroutes)
        r = 0;
    size_t idx = ((size_t)r * NMETH + (size_t)method_index(method)) * NSLOTS + (size_t)status_slot(status);
    atomic_fetch_add_explicit(&counts[idx], 1, memory_order_relaxed);
    hist_observe(&hist[r], seconds);
}

void metrics_observe_db(double seconds)
{
    hist_observe(&db_hist, seconds);
}

static void render_hist(struct strbuf *out, const char *name, const char *labels, struct histogram *h)
{
    unsigned long long cum = 0;
    for (size_t i = 0; i <= NBUCKETS; i++) {
        cum += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
        if (i < NBUCKETS)
            strbuf_printf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, *labels ? "," : "", buckets[i], cum);
        else
            strbuf_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, *labels ? "," : "", cum);
    }
    unsigned long long sum = atomic_load_explicit(&h->sum_us, memory_order_relaxed);
    const char *open = *labels ? "{" : "", *close = *labels ? "}" : "";
    strbuf_printf(out, "%s_sum%s%s%s %.6f\n", name, open, labels, close, (double)sum / 1e6);
    strbuf_printf(out, "%s_count%s%s%s %llu\n", name, open, labels, close,
                  (unsigned long long)atomic_load_explicit(&h->count, memory_order_relaxed));
}

static const char *route_label(int r)
{
    const struct route *rt = r == 0 ? NULL : router_route_at(router, r - 1);
    return rt ? rt->path : "unmatched";
}

static struct {
    const char *name, *help;
    long long (*fn)(void);
} gauges[8];
static _Atomic size_t ngauges; /* published after its entry is written: a scrape may run meanwhile */

void metrics_register_gauge(const char *name, const char *help, long long (*fn)(void))
{
    size_t n = atomic_load(&ngauges);
    for (size_t i = 0; i < n; i++)
        if (strcmp(gauges[i].name, name) == 0)
            return;
    APP_ASSERT(n < sizeof gauges / sizeof gauges[0]);
    gauges[n].name = name;
    gauges[n].help = help;
    gauges[n].fn = fn;
    atomic_store(&ngauges, n + 1);
}

void metrics_render(struct strbuf *out)
{
    strbuf_puts(out, "# HELP http_requests_total HTTP requests by route pattern, method and status.\n"
                     "# TYPE http_requests_total counter\n");
    for (int r = 0; counts != NULL && r <= nroutes; r++) {
        for (int m = 0; m < NMETH; m++) {
            for (size_t s = 0; s < NSLOTS; s++) {
                unsigned long long v = atomic_load_explicit(&counts[((size_t)r * NMETH + (size_t)m) * NSLOTS + s],
                                                            memory_order_relaxed);
                if (v == 0)
                    continue;
                char status[8];
                if (s < NSTATUS)
                    snprintf(status, sizeof status, "%d", status_list[s]);
                else
                    snprintf(status, sizeof status, "%dxx", (int)(s - NSTATUS) + 1);
                strbuf_printf(out, "http_requests_total{route=\"%s\",method=\"%s\",status=\"%s\"} %llu\n",
                              route_label(r), http_method_name(1u << m), status, v);
            }
        }
    }
    strbuf_puts(out, "# HELP http_request_duration_seconds Time from request start to response sent.\n"
                     "# TYPE http_request_duration_seconds histogram\n");
    for (int r = 0; hist != NULL && r <= nroutes; r++) {
        if (atomic_load_explicit(&hist[r].count, memory_order_relaxed) == 0)
            continue;
        char labels[300];
        snprintf(labels, sizeof labels, "route=\"%s\"", route_label(r));
        render_hist(out, "http_request_duration_seconds", labels, &hist[r]);
    }
    strbuf_puts(out, "# HELP db_query_duration_seconds Database statement execution time.\n"
                     "# TYPE db_query_duration_seconds histogram\n");
    render_hist(out, "db_query_duration_seconds", "", &db_hist);
    strbuf_printf(out, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                       "# TYPE process_resident_memory_bytes gauge\n"
                       "process_resident_memory_bytes %lld\n",
                  metrics_rss_bytes());
    size_t n = atomic_load(&ngauges);
    for (size_t i = 0; i < n; i++)
        strbuf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", gauges[i].name, gauges[i].help,
                      gauges[i].name, gauges[i].name, gauges[i].fn());
}

long long metrics_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    long long size = 0, rss = 0;
    if (fscanf(f, "%lld %lld", &size, &rss) != 2)
        rss = 0;
    fclose(f);
    return rss * sysconf(_SC_PAGESIZE);
}
