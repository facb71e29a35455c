/*
 * test_mailer.c — message building, the .eml outbox, SMTP delivery against
 * a sink in this file, and the "mail.send" job.
 *
 * The SMTP sink is a thread speaking just enough RFC 5321 (220, EHLO/HELO,
 * MAIL, RCPT, DATA with dot-unstuffing, QUIT) on 127.0.0.1:<ephemeral>; it
 * serves one connection and records the envelope and the message. It can
 * answer 550 to RCPT to exercise failures.
 *
 * The job cases run on a fresh SQLite database with the built-in migrations
 * (the queue itself is covered on both engines by test_jobs.c and the API
 * tests).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "base/config.h"
#include "base/strbuf.h"
#include "db/db.h"
#include "db/migrate.h"
#include "platform/jobs.h"
#include "platform/mailer.h"

#define FROM "Artistry Cart <no-reply@artistry.local>"
#define NOW_MS 1764104897123LL /* 2025-11-25T21:08:17.123Z, a Tuesday */

/*-----------------------------------------------------------------------------
 * Helpers: build, split, decode
 */

static char *build(const char *from, const struct mail *m)
{
    struct strbuf b;
    char err[256] = "";
    strbuf_init(&b, NULL, 1024);
    int rc = mailer_build(from, m, NOW_MS, &b, err, sizeof err);
    cr_assert_eq(rc, 0, "mailer_build failed: %s", err);
    return b.data; /* heap: caller frees */
}

/* Every line ends in CRLF; no bare CR or LF; no line longer than max (without CRLF). */
static void assert_crlf_lines(const char *msg, size_t max)
{
    size_t col = 0;
    for (const char *p = msg; *p; p++) {
        if (*p == '\r') {
            cr_assert_eq(p[1], '\n', "bare CR at offset %zu", (size_t)(p - msg));
            p++;
            col = 0;
            continue;
        }
        cr_assert_neq(*p, '\n', "bare LF at offset %zu", (size_t)(p - msg));
        col++;
        cr_assert(col <= max, "line longer than %zu at offset %zu", max, (size_t)(p - msg));
    }
    size_t n = strlen(msg);
    cr_assert(n >= 2 && strcmp(msg + n - 2, "\r\n") == 0, "message does not end in CRLF");
}

/* The raw value of header name (continuation lines included), heap copy, or NULL. */
static char *header_raw(const char *msg, const char *name)
{
    const char *end = strstr(msg, "\r\n\r\n");
    cr_assert_not_null(end, "no header/body separator");
    size_t nl = strlen(name);
    const char *p = msg;
    while (p < end) {
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            const char *e = v;
            while (e < end + 2) {
                const char *crlf = strstr(e, "\r\n");
                if (crlf[2] == ' ' || crlf[2] == '\t')
                    e = crlf + 2;
                else {
                    e = crlf;
                    break;
                }
            }
            return strndup(v, (size_t)(e - v));
        }
        p = strstr(p, "\r\n") + 2;
    }
    return NULL;
}

/* Decode a header value of RFC 2047 B encoded-words (separated by folding whitespace) or plain text. */
static char *decode_words(const char *v)
{
    struct strbuf out;
    strbuf_init(&out, NULL, 128);
    if (strncmp(v, "=?", 2) != 0) {
        /* plain: unfold */
        for (const char *p = v; *p; p++) {
            if (p[0] == '\r' && p[1] == '\n')
                p++;
            else
                strbuf_putc(&out, *p);
        }
        return out.data;
    }
    const char *p = v;
    while (*p) {
        while (*p == '\r' || *p == '\n' || *p == ' ')
            p++;
        if (*p == '\0')
            break;
        cr_assert(strncmp(p, "=?UTF-8?B?", 10) == 0, "not an encoded-word: %s", p);
        const char *s = p + 10, *e = strstr(s, "?=");
        cr_assert_not_null(e);
        cr_assert(e - p + 2 <= 75, "encoded-word longer than 75 characters");
        unsigned char bin[128];
        size_t blen = 0;
        cr_assert_eq(sodium_base642bin(bin, sizeof bin, s, (size_t)(e - s), NULL, &blen, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0, "bad base64 in encoded-word");
        strbuf_append(&out, bin, blen);
        p = e + 2;
    }
    return out.data;
}

/* Decode quoted-printable (soft breaks removed, CRLF kept). */
static char *qp_decode(const char *s, size_t len)
{
    struct strbuf out;
    strbuf_init(&out, NULL, len + 1);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '=') {
            if (s[i + 1] == '\r' && s[i + 2] == '\n') {
                i += 2;
                continue;
            }
            char hx[3] = {s[i + 1], s[i + 2], 0};
            strbuf_putc(&out, (char)strtol(hx, NULL, 16));
            i += 2;
        } else {
            strbuf_putc(&out, s[i]);
        }
    }
    return out.data;
}

static char *crlf(const char *lf)
{
    struct strbuf out;
    strbuf_init(&out, NULL, strlen(lf) + 16);
    for (const char *p = lf; *p; p++) {
        if (*p == '\n')
            strbuf_puts(&out, "\r\n");
        else
            strbuf_putc(&out, *p);
    }
    return out.data;
}

static const char *body_of(const char *msg)
{
    const char *b = strstr(msg, "\r\n\r\n");
    cr_assert_not_null(b);
    return b + 4;
}

/*-----------------------------------------------------------------------------
 * Building
 */

Test(mailer, plain_message_headers_and_body)
{
    const char *text = "Hello Ana,\n\nYour link: https://shop.example/reset-password?token=abc_DEF-123\n\nBye.\n";
    struct mail m = {.to = "ana@example.com", .subject = "Reset your password", .text = text};
    char *msg = build(FROM, &m);
    assert_crlf_lines(msg, 78);

    char *v;
    cr_assert_str_eq((v = header_raw(msg, "Date")), "Tue, 25 Nov 2025 21:08:17 +0000");
    free(v);
    cr_assert_str_eq((v = header_raw(msg, "From")), "\"Artistry Cart\" <no-reply@artistry.local>");
    free(v);
    cr_assert_str_eq((v = header_raw(msg, "To")), "ana@example.com");
    free(v);
    cr_assert_str_eq((v = header_raw(msg, "Subject")), "Reset your password");
    free(v);
    cr_assert_str_eq((v = header_raw(msg, "MIME-Version")), "1.0");
    free(v);
    cr_assert_str_eq((v = header_raw(msg, "Content-Type")), "text/plain; charset=utf-8");
    free(v);
    cr_assert_str_eq((v = header_raw(msg, "Content-Transfer-Encoding")), "quoted-printable");
    free(v);
    v = header_raw(msg, "Message-ID");
    cr_assert_not_null(v);
    cr_assert(v[0] == '<' && strstr(v, "@artistry.local>") != NULL, "Message-ID is %s", v);
    free(v);

    const char *b = body_of(msg);
    char *dec = qp_decode(b, strlen(b));
    char *want = crlf(text);
    cr_assert_str_eq(dec, want);
    /* The link survives intact on one line (no soft break inside a short URL). */
    cr_assert_not_null(strstr(b, "token=3Dabc_DEF-123"), "'=' must be encoded as =3D");
    free(want);
    free(dec);
    free(msg);
}

Test(mailer, utf8_subject_is_rfc2047_encoded)
{
    const char *subject = "Grüße aus der Werkstatt — 🎨 Ihre Bestellung ist unterwegs, schön verpackt und "
                          "versichert (Ελληνικά, кириллица)";
    struct mail m = {.to = "b@example.org", .subject = subject, .text = "x"};
    char *msg = build(FROM, &m);
    assert_crlf_lines(msg, 78);
    char *raw = header_raw(msg, "Subject");
    cr_assert(strncmp(raw, "=?UTF-8?B?", 10) == 0, "subject not encoded: %s", raw);
    cr_assert_not_null(strstr(raw, "\r\n "), "long subject should be folded into several encoded-words");
    char *dec = decode_words(raw);
    cr_assert_str_eq(dec, subject);
    free(dec);
    free(raw);
    free(msg);
}

Test(mailer, utf8_display_name_and_long_ascii_subject)
{
    const char *subject = "A fairly long plain ASCII subject line that certainly needs folding because it goes "
                          "well past seventy-eight columns";
    struct mail m = {.to = "b@example.org", .subject = subject, .text = "x"};
    char *msg = build("Zoë's Atelier <atelier@zoe.example>", &m);
    assert_crlf_lines(msg, 78);
    char *from = header_raw(msg, "From");
    cr_assert(strncmp(from, "=?UTF-8?B?", 10) == 0, "From: %s", from);
    cr_assert_not_null(strstr(from, "<atelier@zoe.example>"));
    char *raw = header_raw(msg, "Subject");
    char *dec = decode_words(raw);
    cr_assert_str_eq(dec, subject);
    free(dec);
    free(raw);
    free(from);
    /* an ASCII subject that looks like an encoded-word is encoded itself */
    struct mail m2 = {.to = "b@example.org", .subject = "=?UTF-8?B?SGk=?=", .text = "x"};
    char *msg2 = build("plain@example.org", &m2);
    raw = header_raw(msg2, "Subject");
    dec = decode_words(raw);
    cr_assert_str_eq(dec, "=?UTF-8?B?SGk=?=");
    char *f2 = header_raw(msg2, "From");
    cr_assert_str_eq(f2, "plain@example.org");
    free(f2);
    free(dec);
    free(raw);
    free(msg2);
    free(msg);
}

Test(mailer, quoted_printable_edge_cases)
{
    char longline[301];
    memset(longline, 'a', 300);
    longline[300] = '\0';
    struct strbuf t;
    strbuf_init(&t, NULL, 1024);
    strbuf_puts(&t, ".\n.leading dot\nFrom the start\ntrailing space \ntrailing tab\t\n");
    strbuf_puts(&t, "café ü 🎨 = sign\r\nwindows line\rold mac line\n");
    strbuf_puts(&t, longline);
    strbuf_puts(&t, "\nlast line without newline");
    struct mail m = {.to = "c@example.net", .subject = "qp", .text = t.data};
    char *msg = build(FROM, &m);
    assert_crlf_lines(msg, 78);
    const char *b = body_of(msg);
    /* 7-bit only, body lines within 76 characters */
    for (const unsigned char *p = (const unsigned char *)b; *p; p++)
        cr_assert(*p < 0x80, "8-bit byte in the QP body");
    cr_assert_null(strstr(b, "\r\n.\r\n"), "a lone dot line would end SMTP DATA");
    cr_assert(strncmp(b, "=2E\r\n=2Eleading", 15) == 0, "leading dots not encoded: %.20s", b);
    cr_assert_not_null(strstr(b, "\r\n=46rom the start"));
    cr_assert_not_null(strstr(b, "trailing space=20\r\n"));
    cr_assert_not_null(strstr(b, "trailing tab=09\r\n"));
    const char *s = b;
    size_t col = 0;
    for (; *s; s++) {
        if (*s == '\r') {
            s++;
            col = 0;
        } else {
            cr_assert(++col <= 76, "QP line over 76");
        }
    }
    char *dec = qp_decode(b, strlen(b));
    const char *want = ".\r\n.leading dot\r\nFrom the start\r\ntrailing space \r\ntrailing tab\t\r\n"
                       "café ü 🎨 = sign\r\nwindows line\r\nold mac line\r\n";
    cr_assert(strncmp(dec, want, strlen(want)) == 0, "decoded body differs:\n%s", dec);
    cr_assert_not_null(strstr(dec, longline));
    cr_assert(strlen(dec) >= 2 && strcmp(dec + strlen(dec) - strlen("last line without newline\r\n"),
                                         "last line without newline\r\n") == 0);
    free(dec);
    free(msg);
    strbuf_free(&t);
}

Test(mailer, html_alternative)
{
    struct mail m = {.to = "d@example.com", .subject = "s", .text = "plain part\n", .html = "<p>html part</p>\n"};
    char *msg = build(FROM, &m);
    assert_crlf_lines(msg, 78);
    char *ct = header_raw(msg, "Content-Type");
    cr_assert(strncmp(ct, "multipart/alternative; boundary=\"=_ac_", 38) == 0, "Content-Type: %s", ct);
    char boundary[64];
    const char *q = strchr(ct, '"') + 1;
    snprintf(boundary, sizeof boundary, "--%.*s", (int)(strchr(q, '"') - q), q);
    const char *b = body_of(msg);
    const char *p1 = strstr(b, boundary);
    cr_assert_not_null(p1);
    cr_assert_not_null(strstr(p1, "Content-Type: text/plain; charset=utf-8\r\n"));
    cr_assert_not_null(strstr(p1, "Content-Type: text/html; charset=utf-8\r\n"));
    cr_assert_not_null(strstr(p1, "plain part\r\n"));
    cr_assert_not_null(strstr(p1, "<p>html part</p>\r\n"));
    char closing[80];
    snprintf(closing, sizeof closing, "%s--\r\n", boundary);
    cr_assert_not_null(strstr(b, closing));
    free(ct);
    free(msg);
}

Test(mailer, given_message_id)
{
    struct mail m = {.to = "e@example.com", .subject = "s", .text = "t", .message_id = "job_01ABC"};
    char *msg = build(FROM, &m);
    char *v = header_raw(msg, "Message-ID");
    cr_assert_str_eq(v, "<job_01ABC@artistry.local>");
    free(v);
    free(msg);
}

Test(mailer, header_injection_refused)
{
    char err[256];
    static const char *const bad_to[] = {
        "a@example.com\r\nBcc: victim@example.org",
        "a@example.com\nBcc: victim@example.org",
        "a@example.com\r",
        "Name <a@example.com>",
        "a b@example.com",
        "a@example.com, b@example.com",
        "a@@example.com",
        "@example.com",
        "a@",
        "a..b@example.com",
        ".a@example.com",
        "a@exa_mple.com",
        "a@example..com",
        "\"quoted\"@example.com",
        "ü@example.com",
        "",
        NULL,
    };
    for (size_t i = 0; bad_to[i] != NULL; i++) {
        struct mail m = {.to = bad_to[i], .subject = "s", .text = "t"};
        cr_assert_eq(mailer_check(&m, err, sizeof err), -1, "accepted To %s", bad_to[i]);
        struct strbuf b;
        strbuf_init(&b, NULL, 64);
        cr_assert_eq(mailer_build(FROM, &m, NOW_MS, &b, err, sizeof err), -1);
        strbuf_free(&b);
    }
    static const char *const bad_subject[] = {
        "hello\r\nBcc: victim@example.org", "hello\nBcc: x", "hello\rX", "nul\x01", "del\x7f", "bad \xc3\x28 utf8",
        "overlong \xc0\xaf", "surrogate \xed\xa0\x80", NULL,
    };
    for (size_t i = 0; bad_subject[i] != NULL; i++) {
        struct mail m = {.to = "a@example.com", .subject = bad_subject[i], .text = "t"};
        cr_assert_eq(mailer_check(&m, err, sizeof err), -1, "accepted subject #%zu", i);
    }
    struct mail ok = {.to = "a.b+tag@sub.example.com", .subject = "tab\tis fine", .text = "body\r\nBcc: x\n"};
    cr_assert_eq(mailer_check(&ok, err, sizeof err), 0, "%s", err);
    /* A header-looking line in the body stays in the body. */
    char *msg = build(FROM, &ok);
    char *bcc = header_raw(msg, "Bcc");
    cr_assert_null(bcc, "body text became a header");
    free(msg);

    struct mail badid = {.to = "a@example.com", .subject = "s", .text = "t", .message_id = "x>\r\nBcc: y"};
    cr_assert_eq(mailer_check(&badid, err, sizeof err), -1);
    struct mail badbody = {.to = "a@example.com", .subject = "s", .text = "\xff"};
    cr_assert_eq(mailer_check(&badbody, err, sizeof err), -1);

    static const char *const bad_from[] = {"A <a@example.com>\r\nBcc: x", "A <a@example.com", "A <a@example.com> x",
                                           "not an address", "\"A\\\" <a@example.com>", NULL};
    for (size_t i = 0; bad_from[i] != NULL; i++) {
        struct strbuf b;
        strbuf_init(&b, NULL, 64);
        struct mail m = {.to = "a@example.com", .subject = "s", .text = "t"};
        cr_assert_eq(mailer_build(bad_from[i], &m, NOW_MS, &b, err, sizeof err), -1, "accepted From #%zu", i);
        strbuf_free(&b);
    }
    char addr[300];
    cr_assert_eq(mailer_from_address("\"Shop\" <shop@example.com>", addr, sizeof addr), 0);
    cr_assert_str_eq(addr, "shop@example.com");
}

/*-----------------------------------------------------------------------------
 * Outbox
 */

struct outbox_env {
    char dir[64];
    struct config cfg;
};

static void outbox_open(struct outbox_env *e)
{
    memset(e, 0, sizeof *e);
    snprintf(e->dir, sizeof e->dir, "/tmp/artistry-mailer-XXXXXX");
    cr_assert_not_null(mkdtemp(e->dir));
    config_defaults(&e->cfg);
    e->cfg.data_dir = e->dir; /* not owned by cfg */
}

static void rm_rf(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    cr_assert_eq(system(cmd), 0);
}

/* Names of the entries of dir (hidden included), count returned; names[i] heap. */
static int list_dir(const char *dir, char names[][256], int max)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n < max)
            snprintf(names[n], 256, "%.255s", de->d_name);
        n++;
    }
    closedir(d);
    return n;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "open %s", path);
    struct strbuf b;
    strbuf_init(&b, NULL, 4096);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_append(&b, buf, n);
    fclose(f);
    return b.data;
}

Test(mailer, outbox_default_dir)
{
    struct outbox_env e;
    outbox_open(&e);
    char err[256] = "";
    struct mail m = {.to = "f@example.com", .subject = "Outbox", .text = "hello\n", .message_id = "msg_1"};
    cr_assert_eq(mailer_send(&e.cfg, &m, err, sizeof err), 0, "%s", err);
    char outbox[128];
    snprintf(outbox, sizeof outbox, "%s/outbox", e.dir);
    char names[4][256];
    cr_assert_eq(list_dir(outbox, names, 4), 1, "expected exactly one file (no temp files left)");
    size_t nl = strlen(names[0]);
    cr_assert(nl > 4 && strcmp(names[0] + nl - 4, ".eml") == 0 && names[0][0] != '.', "name %s", names[0]);
    cr_assert_not_null(strstr(names[0], "-msg_1.eml"), "name %s", names[0]);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", outbox, names[0]);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
    char *msg = slurp(path);
    cr_assert(strncmp(msg, "Date: ", 6) == 0);
    assert_crlf_lines(msg, 78);
    char *to = header_raw(msg, "To");
    cr_assert_str_eq(to, "f@example.com");
    free(to);
    free(msg);
    /* A second mail: a second file. */
    m.message_id = NULL;
    cr_assert_eq(mailer_send(&e.cfg, &m, err, sizeof err), 0, "%s", err);
    cr_assert_eq(list_dir(outbox, names, 4), 2);
    rm_rf(e.dir);
    config_free(&e.cfg);
}

Test(mailer, outbox_configured_dir_created)
{
    struct outbox_env e;
    outbox_open(&e);
    char box[128], err[256] = "";
    snprintf(box, sizeof box, "%s/deep/er/box", e.dir);
    e.cfg.mail_outbox = box;
    struct mail m = {.to = "g@example.com", .subject = "s", .text = "t"};
    cr_assert_eq(mailer_send(&e.cfg, &m, err, sizeof err), 0, "%s", err);
    char names[2][256];
    cr_assert_eq(list_dir(box, names, 2), 1);
    /* An invalid mail writes nothing. */
    struct mail bad = {.to = "g@example.com", .subject = "s\r\nBcc: x", .text = "t"};
    cr_assert_eq(mailer_send(&e.cfg, &bad, err, sizeof err), -1);
    cr_assert_eq(list_dir(box, names, 2), 1);
    /* An outbox that cannot be created is a clear error. */
    char blocker[160];
    snprintf(blocker, sizeof blocker, "%s/file", e.dir);
    FILE *f = fopen(blocker, "w");
    fclose(f);
    char under[200];
    snprintf(under, sizeof under, "%s/sub", blocker);
    e.cfg.mail_outbox = under;
    cr_assert_eq(mailer_send(&e.cfg, &m, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "outbox"), "error: %s", err);
    e.cfg.mail_outbox = NULL;
    rm_rf(e.dir);
    config_free(&e.cfg);
}

/*-----------------------------------------------------------------------------
 * SMTP sink
 */

struct sink {
    int lfd;
    int port;
    bool reject_rcpt;
    pthread_t thread;
    char helo[128];
    char mail_from[256];
    char rcpt[4][256];
    int nrcpt;
    struct strbuf data;
    bool got_data, got_quit;
    char commands[1024]; /* verbs in order, space-separated */
};

static void say(int fd, const char *s)
{
    size_t n = strlen(s);
    cr_assert_eq(write(fd, s, n), (ssize_t)n);
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

static void *sink_main(void *arg)
{
    struct sink *k = arg;
    int fd = accept(k->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    FILE *in = fdopen(dup(fd), "r");
    char line[2048];
    say(fd, "220 sink.test ESMTP ready\r\n");
    while (fgets(line, sizeof line, in) != NULL) {
        chomp(line);
        char verb[8] = "";
        snprintf(verb, sizeof verb, "%.4s", line);
        strncat(k->commands, verb, sizeof k->commands - strlen(k->commands) - 2);
        strcat(k->commands, " ");
        if (strncasecmp(line, "EHLO ", 5) == 0 || strncasecmp(line, "HELO ", 5) == 0) {
            snprintf(k->helo, sizeof k->helo, "%.127s", line + 5);
            say(fd, "250 sink.test\r\n");
        } else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
            snprintf(k->mail_from, sizeof k->mail_from, "%.255s", line + 10);
            say(fd, "250 2.1.0 OK\r\n");
        } else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
            if (k->nrcpt < 4)
                snprintf(k->rcpt[k->nrcpt++], 256, "%.255s", line + 8);
            say(fd, k->reject_rcpt ? "550 5.1.1 mailbox unavailable\r\n" : "250 2.1.5 OK\r\n");
        } else if (strcasecmp(line, "DATA") == 0) {
            say(fd, "354 end with <CRLF>.<CRLF>\r\n");
            char dl[2048];
            while (fgets(dl, sizeof dl, in) != NULL) {
                if (strcmp(dl, ".\r\n") == 0) {
                    k->got_data = true;
                    break;
                }
                strbuf_puts(&k->data, dl[0] == '.' ? dl + 1 : dl); /* RFC 5321 §4.5.2 */
            }
            say(fd, "250 2.0.0 queued\r\n");
        } else if (strcasecmp(line, "QUIT") == 0) {
            k->got_quit = true;
            say(fd, "221 2.0.0 bye\r\n");
            break;
        } else if (strcasecmp(line, "RSET") == 0 || strcasecmp(line, "NOOP") == 0) {
            say(fd, "250 OK\r\n");
        } else {
            say(fd, "502 5.5.2 not implemented\r\n");
        }
    }
    fclose(in);
    close(fd);
    return NULL;
}

static void sink_start(struct sink *k, bool reject_rcpt)
{
    memset(k, 0, sizeof *k);
    k->reject_rcpt = reject_rcpt;
    strbuf_init(&k->data, NULL, 4096);
    k->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(k->lfd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(k->lfd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(k->lfd, 4), 0);
    socklen_t al = sizeof a;
    cr_assert_eq(getsockname(k->lfd, (struct sockaddr *)&a, &al), 0);
    k->port = ntohs(a.sin_port);
    cr_assert_eq(pthread_create(&k->thread, NULL, sink_main, k), 0);
}

static void sink_stop(struct sink *k)
{
    pthread_join(k->thread, NULL);
    close(k->lfd);
}

Test(mailer, smtp_delivery)
{
    struct sink k;
    sink_start(&k, false);
    struct config cfg;
    config_defaults(&cfg);
    char url[64], err[512] = "";
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", k.port);
    cfg.smtp_url = url;
    const char *text = "Hi,\n.\n..two dots\nend\n";
    struct mail m = {.to = "h@example.com", .subject = "Über SMTP", .text = text, .message_id = "job_42"};
    int rc = mailer_send(&cfg, &m, err, sizeof err);
    sink_stop(&k);
    cr_assert_eq(rc, 0, "mailer_send: %s", err);
    cr_assert_str_eq(k.mail_from, "<no-reply@artistry.local>");
    cr_assert_eq(k.nrcpt, 1);
    cr_assert_str_eq(k.rcpt[0], "<h@example.com>");
    cr_assert(k.got_data && k.got_quit, "commands: %s", k.commands);
    const char *msg = k.data.data;
    assert_crlf_lines(msg, 78);
    char *v = header_raw(msg, "To");
    cr_assert_str_eq(v, "h@example.com");
    free(v);
    v = header_raw(msg, "Message-ID");
    cr_assert_str_eq(v, "<job_42@artistry.local>");
    free(v);
    v = header_raw(msg, "Subject");
    char *dec = decode_words(v);
    cr_assert_str_eq(dec, "Über SMTP");
    free(dec);
    free(v);
    const char *b = body_of(msg);
    dec = qp_decode(b, strlen(b));
    char *want = crlf(text);
    cr_assert_str_eq(dec, want);
    free(want);
    free(dec);
    strbuf_free(&k.data);
    cfg.smtp_url = NULL;
    config_free(&cfg);
}

Test(mailer, smtp_rejection_is_a_clear_error)
{
    struct sink k;
    sink_start(&k, true);
    struct config cfg;
    config_defaults(&cfg);
    char url[64], err[512] = "";
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", k.port);
    cfg.smtp_url = url;
    struct mail m = {.to = "nobody@example.com", .subject = "s", .text = "t"};
    int rc = mailer_send(&cfg, &m, err, sizeof err);
    sink_stop(&k);
    cr_assert_eq(rc, -1);
    cr_assert_not_null(strstr(err, "smtp:"), "error: %s", err);
    cr_assert_not_null(strstr(err, "550"), "error should name the 550 reply: %s", err);
    cr_assert(!k.got_data, "no DATA after a refused recipient");
    strbuf_free(&k.data);
    cfg.smtp_url = NULL;
    config_free(&cfg);
}

Test(mailer, smtp_unreachable_and_bad_scheme)
{
    struct config cfg;
    config_defaults(&cfg);
    char err[512] = "";
    /* A port nobody listens on: bind, read the port, close. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(s, (struct sockaddr *)&a, sizeof a);
    socklen_t al = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &al);
    close(s);
    char url[64];
    snprintf(url, sizeof url, "smtp://user:secret@127.0.0.1:%d", ntohs(a.sin_port));
    cfg.smtp_url = url;
    struct mail m = {.to = "i@example.com", .subject = "s", .text = "t"};
    cr_assert_eq(mailer_send(&cfg, &m, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "smtp:"), "error: %s", err);
    cr_assert_null(strstr(err, "secret"), "the error leaks the URL's password: %s", err);
    cfg.smtp_url = "http://127.0.0.1:1/";
    cr_assert_eq(mailer_send(&cfg, &m, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "smtp://"), "error: %s", err);
    cfg.smtp_url = NULL;
    config_free(&cfg);
}

/*-----------------------------------------------------------------------------
 * The mail.send job
 */

struct job_env {
    char dir[64];
    char url[128];
    struct db *db;
    struct config cfg;
    struct app app;
};

static void job_env_open(struct job_env *e)
{
    struct db_error err;
    memset(e, 0, sizeof *e);
    snprintf(e->dir, sizeof e->dir, "/tmp/artistry-mailjob-XXXXXX");
    cr_assert_not_null(mkdtemp(e->dir));
    snprintf(e->url, sizeof e->url, "%s/test.db", e->dir);
    e->db = db_open(e->url, &err);
    cr_assert_not_null(e->db, "%s", err.msg);
    cr_assert(migrate_up(e->db, migrate_builtin, migrate_builtin_count, &err) >= 0, "%s", err.msg);
    config_defaults(&e->cfg);
    e->cfg.data_dir = e->dir;
    e->app.cfg = &e->cfg;
    e->app.jobs = jobs_registry_new();
    mailer_register_jobs(e->app.jobs);
}

static void job_env_close(struct job_env *e)
{
    db_close(e->db);
    jobs_registry_free(e->app.jobs);
    e->cfg.data_dir = NULL;
    e->cfg.smtp_url = NULL;
    config_free(&e->cfg);
    rm_rf(e->dir);
}

static void job_row(struct job_env *e, char *state, char *payload)
{
    static const char *const q = "SELECT state, payload FROM jobs";
    struct db_error err;
    struct db_stmt *st = db_prepare(e->db, q, &err);
    cr_assert_not_null(st);
    cr_assert_eq(db_step(st, &err), 1);
    snprintf(state, 32, "%s", db_column_text(st, 0));
    snprintf(payload, 512, "%s", db_column_text(st, 1));
    db_reset(st);
}

Test(mailer, job_delivers_and_clears_payload)
{
    struct job_env e;
    job_env_open(&e);
    struct db_error err;
    struct mail m = {.to = "j@example.com", .subject = "Link", .text = "https://x.example/r?token=SECRET123\n"};
    cr_assert_eq(mailer_enqueue(e.db, &m, &err), 0, "%s", err.msg);
    char state[32], payload[512];
    job_row(&e, state, payload);
    cr_assert_str_eq(state, "queued");
    cr_assert_not_null(strstr(payload, "SECRET123"));
    cr_assert_eq(jobs_run_one(&e.app, e.db, "w1"), 1);
    job_row(&e, state, payload);
    cr_assert_str_eq(state, "succeeded");
    cr_assert_str_eq(payload, "{\"sent\":true}");
    char outbox[128], names[2][256];
    snprintf(outbox, sizeof outbox, "%s/outbox", e.dir);
    cr_assert_eq(list_dir(outbox, names, 2), 1);
    cr_assert_not_null(strstr(names[0], "-job_"), "the file is named after the job: %s", names[0]);
    /* A job re-run after delivery (crash before its outcome was written) sends nothing again. */
    static const char *const requeue = "UPDATE jobs SET state = 'queued', run_at = 0";
    cr_assert(db_exec(e.db, requeue, NULL, 0, &err) >= 0);
    cr_assert_eq(jobs_run_one(&e.app, e.db, "w1"), 1);
    cr_assert_eq(list_dir(outbox, names, 2), 1);
    job_row(&e, state, payload);
    cr_assert_str_eq(state, "succeeded");
    /* Invalid mails are refused at enqueue time. */
    struct mail bad = {.to = "j@example.com\r\nBcc: k@example.com", .subject = "s", .text = "t"};
    cr_assert_eq(mailer_enqueue(e.db, &bad, &err), -1);
    cr_assert_eq(err.kind, DB_E_CHECK);
    job_env_close(&e);
}

Test(mailer, job_last_failure_redacts_payload)
{
    struct job_env e;
    job_env_open(&e);
    struct db_error err;
    e.cfg.smtp_url = "smtp://127.0.0.1:1"; /* nothing listens on port 1 */
    struct mail m = {.to = "l@example.com", .subject = "Link", .text = "token=SECRET456\n"};
    cr_assert_eq(mailer_enqueue(e.db, &m, &err), 0, "%s", err.msg);
    static const char *const two = "UPDATE jobs SET max_attempts = 2";
    static const char *const due = "UPDATE jobs SET run_at = 0";
    cr_assert(db_exec(e.db, two, NULL, 0, &err) >= 0);
    char state[32], payload[512];
    cr_assert_eq(jobs_run_one(&e.app, e.db, "w1"), 1);
    job_row(&e, state, payload);
    cr_assert_str_eq(state, "queued");
    cr_assert_not_null(strstr(payload, "SECRET456"), "kept for the retry");
    cr_assert(db_exec(e.db, due, NULL, 0, &err) >= 0);
    cr_assert_eq(jobs_run_one(&e.app, e.db, "w1"), 1);
    job_row(&e, state, payload);
    cr_assert_str_eq(state, "dead");
    cr_assert_str_eq(payload, "{\"redacted\":true}");
    job_env_close(&e);
}
