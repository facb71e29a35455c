/*
 * mailer.c — build RFC 5322 messages and deliver them to an .eml outbox or
 * over SMTP (libcurl); the "mail.send" job.
 *
 * Message shape (RFC 5322, RFC 2045-2047):
 *   Date, From, To, Subject, Message-ID, MIME-Version, Auto-Submitted,
 *   Content-Type text/plain; charset=utf-8 (or multipart/alternative with a
 *   text/html part), Content-Transfer-Encoding quoted-printable. Every line
 *   ends in CRLF and none exceeds 78 characters, except an over-long ASCII
 *   word in the Subject (still far under 998). Quoted-printable keeps the
 *   body 7-bit, so it passes any relay, and encodes a leading "." and
 *   "From " so neither SMTP dot-stuffing nor mbox tools alter it.
 *   The multipart boundary starts with "=_", which quoted-printable output
 *   can never contain.
 *
 * Header safety: addresses must be plain dot-atom addr-specs (checked
 * character by character), the display name and subject may hold any UTF-8
 * except control characters, and anything that is not plain printable ASCII
 * is RFC 2047-encoded (base64 encoded-words of at most 75 characters, never
 * splitting a UTF-8 sequence). CR and LF are refused outright, so no field
 * can start a new header line.
 *
 * The "mail.send" job payload is {to, subject, text[, html]}. It may carry
 * a single-use link (password reset, email verification): once the mail is
 * delivered the handler overwrites the payload with {"sent":true}, and after
 * the last failed attempt with {"redacted":true}, so the link sits in the
 * jobs table only while the mail is in flight. {"sent":true} also makes a
 * re-run after a crash between delivery and the job's outcome a no-op.
 * The Message-ID is derived from the job id, so a duplicate that does slip
 * out (crash between SMTP acceptance and the payload update) carries the
 * same Message-ID and can be recognised by the receiver.
 *
 * Caveats:
 *   - Internationalised addresses (non-ASCII local parts, SMTPUTF8) and
 *     quoted local parts are refused.
 *   - One recipient per message.
 *   - The payload update touches the jobs table owned by jobs.c: it only
 *     rewrites `payload` of the running row, never its state.
 *   - STARTTLS is opportunistic for smtp:// (CURLUSESSL_TRY); use smtps://
 *     or a relay on loopback when TLS must be guaranteed.
 */
#include "platform/mailer.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "base/arena.h"
#include "base/config.h"
#include "base/fsutil.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/jobs.h"
#include "platform/mailer_int.h"

#define MAIL_MAX_ATTEMPTS 10
#define SUBJECT_MAX 900      /* bytes; plain ASCII longer than this is encoded (and so folded) */
#define ADDR_MAX 254
#define NAME_MAX_BYTES 256
#define QP_LINE_MAX 76       /* RFC 2045 §6.7 */
#define EW_LINE_MAX 76       /* RFC 2047 §2: a line holding encoded-words */
#define EW_CHUNK 45          /* most input bytes per encoded-word: (76 - 1 - 12) / 4 * 3 */
#define SMTP_CONNECT_TIMEOUT_S 10L
#define SMTP_TIMEOUT_S 60L

static const char *const sql_redact = "UPDATE jobs SET payload = $2 WHERE id = $1 AND state = 'running'";

static void seterr(char *errbuf, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (errbuf == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

/*-----------------------------------------------------------------------------
 * Checks
 */

/* Valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        int n;
        unsigned min;
        if (c < 0x80) {
            p++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, min = 0x10000, c &= 0x07;
        } else {
            return false;
        }
        p++;
        for (int i = 0; i < n; i++, p++) {
            if ((*p & 0xC0) != 0x80)
                return false;
            c = (c << 6) | (*p & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return false;
    }
    return true;
}

/* Any C0 control (TAB allowed when allow_tab) or DEL: CR and LF included. */
static bool has_ctl(const char *s, bool allow_tab)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && !(allow_tab && *p == '\t')) || *p == 0x7F)
            return true;
    return false;
}

static bool atext(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

/* dot-atom local part "@" dot-atom domain of letters, digits and hyphens. */
static bool addr_spec_valid(const char *s, size_t len)
{
    if (len < 3 || len > ADDR_MAX)
        return false;
    const char *at = memchr(s, '@', len);
    if (at == NULL || memchr(at + 1, '@', len - (size_t)(at - s) - 1) != NULL)
        return false;
    size_t llen = (size_t)(at - s), dlen = len - llen - 1;
    if (llen == 0 || llen > 64 || dlen == 0)
        return false;
    for (size_t i = 0; i < llen; i++) {
        if (s[i] == '.') {
            if (i == 0 || i == llen - 1 || s[i - 1] == '.')
                return false;
        } else if (!atext((unsigned char)s[i])) {
            return false;
        }
    }
    const char *d = at + 1;
    for (size_t i = 0; i < dlen; i++) {
        char c = d[i];
        if (c == '.') {
            if (i == 0 || i == dlen - 1 || d[i - 1] == '.')
                return false;
        } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
            return false;
        }
    }
    return true;
}

static bool message_id_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

int mailer_check(const struct mail *m, char *errbuf, size_t errlen)
{
    if (m == NULL || m->to == NULL || m->subject == NULL || m->text == NULL) {
        seterr(errbuf, errlen, "mail needs to, subject and text");
        return -1;
    }
    if (!addr_spec_valid(m->to, strlen(m->to))) {
        seterr(errbuf, errlen, "recipient is not a plain email address");
        return -1;
    }
    if (has_ctl(m->subject, true) || !utf8_valid(m->subject)) {
        seterr(errbuf, errlen, "subject holds control characters (CR/LF) or invalid UTF-8");
        return -1;
    }
    if (!utf8_valid(m->text) || (m->html != NULL && !utf8_valid(m->html))) {
        seterr(errbuf, errlen, "body is not valid UTF-8");
        return -1;
    }
    if (m->message_id != NULL && !message_id_valid(m->message_id)) {
        seterr(errbuf, errlen, "message id must be 1-64 characters of [A-Za-z0-9._-]");
        return -1;
    }
    return 0;
}

/*-----------------------------------------------------------------------------
 * From
 */

static void trim(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
        (*e)--;
}

/* Split "Name <addr>" / "\"Name\" <addr>" / "addr" into name (may be "") and addr. */
static int parse_from(const char *from, char *name, size_t ncap, char *addr, size_t acap)
{
    if (from == NULL || has_ctl(from, false) || !utf8_valid(from))
        return -1;
    const char *s = from, *e = from + strlen(from);
    const char *lt = strchr(from, '<');
    const char *ns = s, *ne = s, *as = s, *ae = e;
    if (lt != NULL) {
        const char *gt = strchr(lt, '>');
        if (gt == NULL)
            return -1;
        for (const char *p = gt + 1; p < e; p++)
            if (*p != ' ' && *p != '\t')
                return -1;
        ns = s, ne = lt, as = lt + 1, ae = gt;
        trim(&ns, &ne);
        if (ne - ns >= 2 && *ns == '"' && ne[-1] == '"')
            ns++, ne--;
    }
    trim(&as, &ae);
    size_t nlen = (size_t)(ne - ns), alen = (size_t)(ae - as);
    if (nlen >= ncap || nlen > NAME_MAX_BYTES || alen >= acap || !addr_spec_valid(as, alen))
        return -1;
    memcpy(name, ns, nlen);
    name[nlen] = '\0';
    memcpy(addr, as, alen);
    addr[alen] = '\0';
    if (memchr(name, '"', nlen) != NULL || memchr(name, '\\', nlen) != NULL)
        return -1; /* keep quoting trivial: such names are not supported */
    return 0;
}

int mailer_from_address(const char *from, char *buf, size_t cap)
{
    char name[NAME_MAX_BYTES + 1];
    return parse_from(from, name, sizeof name, buf, cap);
}

int mailer__from_parts(const char *from, char *name, size_t ncap, char *addr, size_t acap)
{
    return parse_from(from, name, ncap, addr, acap);
}

/*-----------------------------------------------------------------------------
 * Encoding
 */

static bool plain_ascii(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p >= 0x80 || *p < 0x20)
            return false;
    return strstr(s, "=?") == NULL; /* would read as an encoded-word */
}

/*
 * Append s as RFC 2047 base64 encoded-words, separated by CRLF SP, so that
 * every line holding one stays within 76 characters (RFC 2047 §2); col is
 * where the first word starts. UTF-8 sequences are never split across words.
 */
static void put_encoded_words(struct strbuf *b, const char *s, size_t col)
{
    size_t len = strlen(s), off = 0;
    char b64[sodium_base64_ENCODED_LEN(EW_CHUNK, sodium_base64_VARIANT_ORIGINAL)];
    while (off < len) {
        /* "=?UTF-8?B?" + "?=" take 12 characters; base64 turns 3 bytes into 4. */
        size_t room = col + 12 < EW_LINE_MAX ? (EW_LINE_MAX - col - 12) / 4 * 3 : 3;
        size_t n = len - off < room ? len - off : room;
        while (off + n < len && n > 1 && ((unsigned char)s[off + n] & 0xC0) == 0x80)
            n--;
        if (off > 0)
            strbuf_puts(b, "\r\n ");
        sodium_bin2base64(b64, sizeof b64, (const unsigned char *)s + off, n, sodium_base64_VARIANT_ORIGINAL);
        strbuf_printf(b, "=?UTF-8?B?%s?=", b64);
        off += n;
        col = 1;
    }
}

/* Plain ASCII folded at spaces so lines stay within 78 characters where possible. */
static void put_folded(struct strbuf *b, const char *s, size_t col)
{
    const char *p = s;
    while (*p) {
        const char *sp = strchr(p + 1, ' ');
        size_t wlen = sp ? (size_t)(sp - p) : strlen(p);
        if (p != s && *p == ' ' && col + wlen > 78) {
            strbuf_puts(b, "\r\n");
            col = 0;
        }
        strbuf_append(b, p, wlen);
        col += wlen;
        p += wlen;
    }
}

static void put_qp_byte(struct strbuf *b, unsigned char c, size_t *col)
{
    static const char hex[] = "0123456789ABCDEF";
    char enc[3] = {'=', hex[c >> 4], hex[c & 15]};
    if (*col + 3 > QP_LINE_MAX - 1) {
        strbuf_puts(b, "=\r\n");
        *col = 0;
    }
    strbuf_append(b, enc, 3);
    *col += 3;
}

/* Quoted-printable (RFC 2045 §6.7) with line breaks normalised to CRLF; always ends in CRLF. */
static void put_qp(struct strbuf *b, const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t col = 0;
    bool bol = true;
    while (*p) {
        unsigned char c = *p;
        if (c == '\r' || c == '\n') {
            strbuf_puts(b, "\r\n");
            col = 0;
            bol = true;
            p += (c == '\r' && p[1] == '\n') ? 2 : 1;
            continue;
        }
        bool eol = p[1] == '\0' || p[1] == '\r' || p[1] == '\n';
        bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !eol);
        if (bol && (c == '.' || (c == 'F' && strncmp((const char *)p, "From ", 5) == 0)))
            literal = false;
        bol = false;
        if (literal) {
            if (col + 1 > QP_LINE_MAX - 1) {
                strbuf_puts(b, "=\r\n");
                col = 0;
            }
            strbuf_putc(b, (char)c);
            col++;
        } else {
            put_qp_byte(b, c, &col);
        }
        p++;
    }
    if (!bol || b->len < 2 || memcmp(b->data + b->len - 2, "\r\n", 2) != 0)
        strbuf_puts(b, "\r\n");
}

static void put_date(struct strbuf *b, int64_t now_ms)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strbuf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday], tm.tm_mday,
                  months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void random_hex(char *out, size_t nbytes)
{
    unsigned char r[32];
    APP_ASSERT(nbytes <= sizeof r);
    random_bytes(r, nbytes);
    sodium_bin2hex(out, nbytes * 2 + 1, r, nbytes);
}

int mailer_build(const char *from, const struct mail *m, int64_t now_ms, struct strbuf *out, char *errbuf,
                 size_t errlen)
{
    char name[NAME_MAX_BYTES + 1], addr[ADDR_MAX + 1];
    if (mailer_check(m, errbuf, errlen) != 0)
        return -1;
    if (parse_from(from, name, sizeof name, addr, sizeof addr) != 0) {
        seterr(errbuf, errlen, "mail_from is not \"Name <addr@host>\" or \"addr@host\"");
        return -1;
    }

    put_date(out, now_ms);
    strbuf_puts(out, "From: ");
    if (name[0] != '\0') {
        if (plain_ascii(name)) {
            /* A quoted-string holds any printable ASCII but '"' and '\', refused by parse_from. */
            strbuf_printf(out, "\"%s\"", name);
        } else {
            put_encoded_words(out, name, strlen("From: "));
        }
        strbuf_printf(out, " <%s>\r\n", addr);
    } else {
        strbuf_printf(out, "%s\r\n", addr);
    }
    strbuf_printf(out, "To: %s\r\n", m->to);
    strbuf_puts(out, "Subject: ");
    if (plain_ascii(m->subject) && strlen(m->subject) <= SUBJECT_MAX)
        put_folded(out, m->subject, strlen("Subject: "));
    else
        put_encoded_words(out, m->subject, strlen("Subject: "));
    strbuf_puts(out, "\r\n");

    char rnd[33];
    random_hex(rnd, 16);
    const char *domain = strchr(addr, '@') + 1;
    if (m->message_id != NULL)
        strbuf_printf(out, "Message-ID: <%s@%s>\r\n", m->message_id, domain);
    else
        strbuf_printf(out, "Message-ID: <%lld.%s@%s>\r\n", (long long)now_ms, rnd, domain);
    strbuf_puts(out, "MIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n");

    if (m->html == NULL) {
        strbuf_puts(out, "Content-Type: text/plain; charset=utf-8\r\n"
                         "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
        put_qp(out, m->text);
        return 0;
    }
    char boundary[40];
    random_hex(rnd, 12);
    snprintf(boundary, sizeof boundary, "=_ac_%s", rnd);
    strbuf_printf(out, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", boundary);
    strbuf_printf(out, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                       "Content-Transfer-Encoding: quoted-printable\r\n\r\n", boundary);
    put_qp(out, m->text);
    strbuf_printf(out, "--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
                       "Content-Transfer-Encoding: quoted-printable\r\n\r\n", boundary);
    put_qp(out, m->html);
    strbuf_printf(out, "--%s--\r\n", boundary);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Outbox transport
 */

/*
 * Write the message as <dir>/<ms>-<id>.eml: a hidden temp file in the same
 * directory (0600: links in mail are credentials), fsync, rename, fsync the
 * directory, so readers see either nothing or the whole file.
 */
static int send_outbox(const struct config *cfg, const char *msg, size_t len, const char *id, int64_t now_ms,
                       char *errbuf, size_t errlen)
{
    char dir[2048], final[2400];
    if (cfg->mail_outbox != NULL && cfg->mail_outbox[0] != '\0')
        snprintf(dir, sizeof dir, "%s", cfg->mail_outbox);
    else
        snprintf(dir, sizeof dir, "%s/outbox", cfg->data_dir != NULL && cfg->data_dir[0] ? cfg->data_dir : ".");
    if (fs_mkdirs(dir, 0700) != 0) {
        seterr(errbuf, errlen, "outbox %s cannot be created: %s", dir, strerror(errno));
        return -1;
    }
    snprintf(final, sizeof final, "%s/%013lld-%s.eml", dir, (long long)now_ms, id);
    if (fs_write_atomic(final, msg, len, 0600) != 0) {
        seterr(errbuf, errlen, "outbox file cannot be written in %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/*-----------------------------------------------------------------------------
 * SMTP transport (libcurl)
 */

struct upload {
    const char *data;
    size_t len, off;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    struct upload *u = ud;
    size_t room = size * nitems, left = u->len - u->off;
    size_t n = left < room ? left : room;
    memcpy(buf, u->data + u->off, n);
    u->off += n;
    return n;
}

static int send_smtp(const struct config *cfg, const char *from_addr, const char *to, const char *msg, size_t len,
                     char *errbuf, size_t errlen)
{
    char cerr[CURL_ERROR_SIZE] = "";
    char envfrom[ADDR_MAX + 3], rcpt[ADDR_MAX + 3];
    struct curl_slist *rcpts = NULL;
    struct upload up = {.data = msg, .len = len};
    int ret = -1;
    bool implicit_tls = strncmp(cfg->smtp_url, "smtps://", 8) == 0;

    if (!implicit_tls && strncmp(cfg->smtp_url, "smtp://", 7) != 0) {
        seterr(errbuf, errlen, "smtp_url must start with smtp:// or smtps://");
        return -1;
    }
    CURL *c = curl_easy_init();
    if (c == NULL) {
        seterr(errbuf, errlen, "smtp: libcurl could not start");
        return -1;
    }
    snprintf(envfrom, sizeof envfrom, "<%s>", from_addr);
    snprintf(rcpt, sizeof rcpt, "<%s>", to);
    rcpts = curl_slist_append(NULL, rcpt);
    if (rcpts == NULL) {
        seterr(errbuf, errlen, "smtp: out of memory");
        goto out;
    }
    curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, envfrom);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_USE_SSL, implicit_tls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, SMTP_CONNECT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, SMTP_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    if (cfg->smtp_user != NULL && cfg->smtp_user[0] != '\0') {
        curl_easy_setopt(c, CURLOPT_USERNAME, cfg->smtp_user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->smtp_password != NULL ? cfg->smtp_password : "");
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        /* Neither the URL (it may hold credentials) nor the message goes into the error. */
        seterr(errbuf, errlen, "smtp: %s%s%s (last reply %ld)", curl_easy_strerror(rc), cerr[0] ? ": " : "", cerr,
               code);
        goto out;
    }
    ret = 0;
out:
    curl_slist_free_all(rcpts);
    curl_easy_cleanup(c);
    return ret;
}

/*-----------------------------------------------------------------------------
 * Sending
 */

static bool sendgrid_on(const struct config *cfg)
{
    return cfg->sendgrid_api_key != NULL && cfg->sendgrid_api_key[0] != '\0';
}

static const char *transport_name(const struct config *cfg)
{
    if (sendgrid_on(cfg))
        return "sendgrid";
    return cfg->smtp_url != NULL && cfg->smtp_url[0] != '\0' ? "smtp" : "outbox";
}

/* The RFC 5322 transports: SMTP or the .eml outbox. */
static int send_mime(const struct config *cfg, const struct mail *m, char *errbuf, size_t errlen)
{
    struct strbuf msg;
    char from_addr[ADDR_MAX + 1], id[80];
    int ret = -1;
    int64_t now = time_now_ms();

    strbuf_init(&msg, NULL, 2048);
    if (mailer_build(cfg->mail_from, m, now, &msg, errbuf, errlen) != 0)
        goto out;
    if (mailer_from_address(cfg->mail_from, from_addr, sizeof from_addr) != 0) {
        seterr(errbuf, errlen, "mail_from is malformed");
        goto out;
    }
    if (cfg->smtp_url != NULL && cfg->smtp_url[0] != '\0') {
        ret = send_smtp(cfg, from_addr, m->to, msg.data, msg.len, errbuf, errlen);
    } else {
        if (m->message_id != NULL)
            snprintf(id, sizeof id, "%s", m->message_id);
        else
            random_hex(id, 12);
        ret = send_outbox(cfg, msg.data, msg.len, id, now, errbuf, errlen);
    }
out:
    strbuf_free(&msg);
    return ret;
}

/*
 * Transport precedence: sendgrid_api_key set → SendGrid; else smtp_url set →
 * SMTP; else the outbox. A mail that fails mailer_check is permanent; SMTP
 * and outbox failures are reported transient (the job retries them).
 */
int mailer_send_result(const struct config *cfg, const struct mail *m, struct channel_result *out)
{
    memset(out, 0, sizeof *out);
    if (mailer_check(m, out->error, sizeof out->error) != 0) {
        out->permanent = true;
        return -1;
    }
    if (sendgrid_on(cfg))
        return mailer__send_sendgrid(cfg, m, out);
    int rc = send_mime(cfg, m, out->error, sizeof out->error);
    if (rc == 0 && m->message_id != NULL)
        snprintf(out->ref, sizeof out->ref, "%s", m->message_id);
    return rc;
}

int mailer_send(const struct config *cfg, const struct mail *m, char *errbuf, size_t errlen)
{
    struct channel_result r;
    int rc = mailer_send_result(cfg, m, &r);
    if (rc != 0)
        seterr(errbuf, errlen, "%s", r.error);
    return rc;
}

/*-----------------------------------------------------------------------------
 * Queue and job
 */

int mailer_enqueue(struct db *db, const struct mail *m, struct db_error *err)
{
    char msg[200];
    if (mailer_check(m, msg, sizeof msg) != 0) {
        memset(err, 0, sizeof *err);
        err->kind = DB_E_CHECK;
        snprintf(err->msg, sizeof err->msg, "mailer_enqueue: %s", msg);
        return -1;
    }
    json_t *p = json_pack("{s:s, s:s, s:s}", "to", m->to, "subject", m->subject, "text", m->text);
    if (m->html != NULL)
        json_object_set_new(p, "html", json_string(m->html));
    int rc = jobs_enqueue(db, MAILER_JOB_KIND, p, NULL, NULL, err);
    json_decref(p);
    return rc;
}

static void redact(struct job *job, const char *marker)
{
    struct db_error err;
    struct db_param p[] = {DB_TEXT(job->id), DB_TEXT(marker)};
    if (db_exec(job->db, sql_redact, p, 2, &err) < 0)
        log_warn("mail job payload not cleared", "id=%s error=%s: %s", job->id, db_errkind_name(err.kind), err.msg);
}

static int mail_job(struct job *job, const char **errmsg)
{
    json_t *p = job->payload;
    if (json_is_true(json_object_get(p, "sent")))
        return 0; /* delivered by an earlier run that died before recording it */
    struct mail m = {
        .to = json_string_value(json_object_get(p, "to")),
        .subject = json_string_value(json_object_get(p, "subject")),
        .text = json_string_value(json_object_get(p, "text")),
        .html = json_string_value(json_object_get(p, "html")),
        .message_id = message_id_valid(job->id) ? job->id : NULL,
    };
    if (m.to == NULL || m.subject == NULL || m.text == NULL) {
        *errmsg = "payload lacks to, subject or text";
        return -1;
    }
    const char *domain = strchr(m.to, '@');
    struct channel_result r = {0};
    if (mailer_send_result(job->app->cfg, &m, &r) == 0) {
        redact(job, "{\"sent\":true}");
        log_info("mail sent", "id=%s transport=%s to_domain=%s", job->id, transport_name(job->app->cfg),
                 domain ? domain + 1 : "?");
        return 0;
    }
    /* A refusal for good (SendGrid 4xx, an invalid mail) is not retried: it would only fail again. */
    if (r.permanent || job->attempt >= job->max_attempts)
        redact(job, "{\"redacted\":true}");
    *errmsg = arena_strdup(job->arena, r.error[0] ? r.error : "mail not sent");
    return r.permanent ? JOB_PERMANENT_FAILURE : -1;
}

void mailer_register_jobs(struct job_registry *r)
{
    jobs_register(r, MAILER_JOB_KIND, mail_job, MAIL_MAX_ATTEMPTS);
}
