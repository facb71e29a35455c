/*
 * webhooks_net.c — which URLs an endpoint may have, and the POST itself.
 *
 * SSRF: a webhook URL is chosen by a user, and the server calls it. So
 *   - at registration: an absolute http(s) URL (https unless
 *     webhooks_allow_http), no credentials, no fragment, and when the host
 *     is an address literal (any form inet_aton takes: 2130706433, 0x7f.1…)
 *     or a localhost name, not a blocked address (below);
 *   - at delivery: the host is resolved, every address it resolves to must
 *     be allowed, and libcurl is pinned to the checked address
 *     (CURLOPT_RESOLVE), so a DNS answer that changes between the check and
 *     the connect (rebinding) cannot redirect the call. Redirects are not
 *     followed, proxies from the environment are ignored, only http/https.
 * Blocked unless webhooks_allow_private: IPv4 0/8, 10/8, 100.64/10, 127/8,
 * 169.254/16, 172.16/12, 192.0.0/24, 192.168/16, 198.18/15, 224/4 and up;
 * IPv6 ::, ::1, fc00::/7, fe80::/10, ff00::/8, and IPv4-mapped/NAT64
 * addresses by their IPv4 part.
 *
 * Caveats: getaddrinfo blocks (job threads only). The response body is read
 * up to WH_EXCERPT_MAX bytes and the rest discarded.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "base/config.h"
#include "base/timeutil.h"
#include "services/webhooks/webhooks_int.h"

#define URL_MAX 2048

/*-----------------------------------------------------------------------------
 * Addresses
 */
static bool v4_blocked(uint32_t a)
{
    uint8_t o1 = (uint8_t)(a >> 24), o2 = (uint8_t)(a >> 16), o3 = (uint8_t)(a >> 8);
    return o1 == 0 || o1 == 10 || o1 == 127 || o1 >= 224 || (o1 == 100 && (o2 & 0xc0) == 64) ||
           (o1 == 169 && o2 == 254) || (o1 == 172 && (o2 & 0xf0) == 16) || (o1 == 192 && o2 == 0 && o3 == 0) ||
           (o1 == 192 && o2 == 168) || (o1 == 198 && (o2 & 0xfe) == 18);
}

static bool v6_blocked(const unsigned char *b)
{
    static const unsigned char zero[16];
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
    if (memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1))
        return true; /* :: and ::1 */
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0)
        return v4_blocked((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15]);
    return (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || b[0] == 0xff;
}

static bool sockaddr_blocked(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return v4_blocked(ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
    if (sa->sa_family == AF_INET6)
        return v6_blocked(((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr);
    return true;
}

/* Host without IPv6 brackets into buf. */
static void bare_host(const char *host, char *buf, size_t cap)
{
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
        snprintf(buf, cap, "%.*s", (int)(n - 2), host + 1);
    else
        snprintf(buf, cap, "%s", host);
}

static bool is_localhost_name(const char *h)
{
    size_t n = strlen(h);
    while (n > 0 && h[n - 1] == '.')
        n--;
    return (n == 9 && strncasecmp(h, "localhost", 9) == 0) ||
           (n > 10 && strncasecmp(h + n - 10, ".localhost", 10) == 0);
}

/* 1 when host is an address literal (blocked into *blocked), 0 when a name. */
static int literal_blocked(const char *host, bool *blocked)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return 0;
    *blocked = res != NULL && sockaddr_blocked(res->ai_addr);
    freeaddrinfo(res);
    return 1;
}

/*-----------------------------------------------------------------------------
 * URLs
 */
struct url_parts {
    char scheme[8];
    char host[256];
    long port;
};

/* NULL when url parses as an acceptable absolute http(s) URL, else why not. */
static const char *parse_url(const struct config *cfg, const char *url, struct url_parts *p)
{
    const char *why = NULL;
    char *scheme = NULL, *host = NULL, *user = NULL, *pass = NULL, *frag = NULL, *port = NULL;
    if (strlen(url) > URL_MAX)
        return "is longer than 2048 characters";
    CURLU *u = curl_url();
    if (u == NULL)
        return "could not be parsed";
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        why = "is not an absolute URL";
        goto out;
    }
    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    curl_url_get(u, CURLUPART_HOST, &host, 0);
    curl_url_get(u, CURLUPART_USER, &user, 0);
    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0);
    curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0);
    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    if (scheme == NULL || (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)) {
        why = "must be an https URL";
    } else if (strcmp(scheme, "http") == 0 && !cfg->webhooks_allow_http) {
        why = "must use https";
    } else if (host == NULL || host[0] == '\0' || strlen(host) >= sizeof p->host) {
        why = "has no host";
    } else if (user != NULL || pass != NULL) {
        why = "must not carry credentials";
    } else if (frag != NULL) {
        why = "must not have a fragment";
    } else {
        snprintf(p->scheme, sizeof p->scheme, "%s", scheme);
        bare_host(host, p->host, sizeof p->host);
        p->port = port ? strtol(port, NULL, 10) : 443;
    }
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(pass);
    curl_free(frag);
    curl_free(port);
    curl_url_cleanup(u);
    return why;
}

const char *webhooks__check_url(const struct config *cfg, const char *url)
{
    struct url_parts p;
    const char *why = parse_url(cfg, url, &p);
    if (why != NULL || cfg->webhooks_allow_private)
        return why;
    bool blocked = false;
    if (is_localhost_name(p.host) || (literal_blocked(p.host, &blocked) == 1 && blocked))
        return "must not point to a loopback, private or link-local address";
    return NULL;
}

/*-----------------------------------------------------------------------------
 * Delivery-time resolution: the first address, after checking all of them.
 * 0 with the address text in addr; -1 with the reason in why.
 */
static int resolve_checked(const struct config *cfg, const char *host, char *addr, size_t cap, char *why, size_t whycap)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 || res == NULL) {
        snprintf(why, whycap, "could not resolve %.120s: %s", host, gai_strerror(rc));
        return -1;
    }
    int out = 0;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        if (!cfg->webhooks_allow_private && sockaddr_blocked(ai->ai_addr)) {
            snprintf(why, whycap, "%.120s resolves to a blocked (loopback, private or link-local) address", host);
            out = -1;
            break;
        }
    }
    if (out == 0) {
        const void *a = res->ai_family == AF_INET
                            ? (const void *)&((const struct sockaddr_in *)(const void *)res->ai_addr)->sin_addr
                            : (const void *)&((const struct sockaddr_in6 *)(const void *)res->ai_addr)->sin6_addr;
        char text[INET6_ADDRSTRLEN];
        inet_ntop(res->ai_family, a, text, sizeof text);
        snprintf(addr, cap, res->ai_family == AF_INET6 ? "[%s]" : "%s", text);
    }
    freeaddrinfo(res);
    return out;
}

/*-----------------------------------------------------------------------------
 * The POST
 */
struct excerpt {
    char *buf;
    size_t len;
};

static size_t keep_excerpt(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct excerpt *e = userdata;
    size_t n = size * nmemb;
    size_t room = WH_EXCERPT_MAX - e->len;
    size_t take = n < room ? n : room;
    memcpy(e->buf + e->len, ptr, take);
    e->len += take;
    e->buf[e->len] = '\0';
    return n; /* the rest is read and dropped */
}

/*
 * Make s valid UTF-8 in place: an invalid byte becomes '?', and a sequence
 * cut off at the end (the excerpt cap may split a character) is dropped.
 * Stored text must be valid UTF-8 (PostgreSQL refuses it otherwise, and
 * jansson will not encode it).
 */
static void utf8_clean(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        int n = *p < 0x80                           ? 1
                : (*p & 0xe0) == 0xc0 && *p >= 0xc2 ? 2
                : (*p & 0xf0) == 0xe0               ? 3
                : (*p & 0xf8) == 0xf0 && *p <= 0xf4 ? 4
                                                    : 0;
        int ok = n;
        for (int i = 1; i < n && ok; i++) {
            if (p[i] == '\0') {
                *p = '\0'; /* truncated sequence at the end */
                return;
            }
            if ((p[i] & 0xc0) != 0x80)
                ok = 0;
        }
        if (ok && n == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0)))
            ok = 0; /* overlong, surrogate */
        if (ok && n == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90)))
            ok = 0;
        if (!ok) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

void webhooks__post(const struct config *cfg, const char *url, const char *headers[], const char *body, size_t len,
                    struct webhooks_http_result *out)
{
    memset(out, 0, sizeof *out);
    int64_t t0 = time_mono_ns();
    struct url_parts p;
    char addr[INET6_ADDRSTRLEN + 2], pin[sizeof p.host + sizeof addr + 16];
    const char *why = parse_url(cfg, url, &p);
    if (why != NULL) {
        snprintf(out->error, sizeof out->error, "url %s", why);
        goto done;
    }
    if (resolve_checked(cfg, p.host, addr, sizeof addr, out->error, sizeof out->error) != 0)
        goto done;
    CURL *h = curl_easy_init();
    if (h == NULL) {
        snprintf(out->error, sizeof out->error, "curl_easy_init failed");
        goto done;
    }
    struct curl_slist *hl = NULL, *resolve = NULL;
    for (int i = 0; headers[i] != NULL; i++)
        hl = curl_slist_append(hl, headers[i]);
    hl = curl_slist_append(hl, "Expect:");
    snprintf(pin, sizeof pin, "%s:%ld:%s", p.host, p.port, addr);
    resolve = curl_slist_append(resolve, pin);
    struct excerpt ex = {.buf = out->excerpt};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_RESOLVE, resolve);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)cfg->webhooks_timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->webhooks_timeout_ms);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "Artistry-Webhooks/1");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_excerpt);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &ex);
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
        if (out->status < 200 || out->status > 299)
            snprintf(out->error, sizeof out->error, "HTTP %ld", out->status);
    } else {
        snprintf(out->error, sizeof out->error, "%s",
                 rc == CURLE_OPERATION_TIMEDOUT ? "timeout" : curl_easy_strerror(rc));
    }
    curl_slist_free_all(hl);
    curl_slist_free_all(resolve);
    curl_easy_cleanup(h);
done:
    utf8_clean(out->excerpt);
    utf8_clean(out->error);
    out->duration_ms = (time_mono_ns() - t0) / 1000000;
}
