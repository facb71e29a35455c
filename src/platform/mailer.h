/*
 * mailer.h — outgoing email: RFC 5322 messages, an .eml outbox by default,
 * SMTP (libcurl) when configured, and the "mail.send" job that delivers them.
 *
 * Sending is slow (SMTP round trips, disk syncs), so request handlers never
 * call mailer_send(): they call mailer_enqueue() inside their transaction,
 * and a job worker delivers the mail. Transport is chosen by configuration:
 *   - smtp_url empty (embedded default): the message is written atomically
 *     as <outbox>/<epoch-ms>-<id>.eml, outbox = mail_outbox, or
 *     data_dir/outbox when that is empty;
 *   - smtp_url = smtp://host[:port] (STARTTLS when offered) or
 *     smtps://host[:port] (implicit TLS): delivered through libcurl, with
 *     smtp_user / smtp_password when set;
 *   - sendgrid_api_key set: SendGrid v3 Mail Send over HTTPS
 *     (mailer_sendgrid.c); it takes precedence over smtp_url.
 *
 * Header injection is impossible by construction: every header field is
 * checked (no CR, LF or other control characters; addresses must be plain
 * addr-specs), the subject is RFC 2047-encoded when it is not plain ASCII,
 * and bodies are quoted-printable, so no input can start a new header line.
 *
 * Privacy: message bodies, subjects and tokens are never logged; only the
 * recipient's domain is. The "mail.send" job replaces its payload (which
 * may hold a single-use link) with a marker once the mail is delivered or
 * its last attempt failed; see mailer.c.
 */
#ifndef ARTISTRY_PLATFORM_MAILER_H
#define ARTISTRY_PLATFORM_MAILER_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct db;
struct db_error;
struct job_registry;
struct strbuf;
struct channel_result;

/** Job kind that delivers one mail (payload: {to, subject, text[, html]}). */
#define MAILER_JOB_KIND "mail.send"

/** One message. Strings are UTF-8 and borrowed for the duration of the call. */
struct mail {
    const char *to;         /* one addr-spec: "ana@example.com" (ASCII, no display name) */
    const char *subject;    /* any UTF-8 text without CR/LF; RFC 2047-encoded when needed */
    const char *text;       /* plain-text body; LF or CRLF line ends */
    const char *html;       /* optional HTML alternative (multipart/alternative); NULL: none */
    const char *message_id; /* optional left part of Message-ID ([A-Za-z0-9._-]); NULL: random */
};

/**
 * Check a mail without building it: address syntax, no CR/LF or control
 * characters in header fields, valid UTF-8 everywhere. Returns 0, or -1 with
 * a message in errbuf.
 */
int mailer_check(const struct mail *m, char *errbuf, size_t errlen);

/**
 * Build the complete RFC 5322 message (CRLF line ends, ending in CRLF) for
 * m, sent from `from` ("Name <addr@host>" or "addr@host"), dated now_ms.
 * Appends to out (the caller's strbuf, which owns the bytes). Returns 0, or
 * -1 with a message in errbuf (out may then hold a partial message).
 */
int mailer_build(const char *from, const struct mail *m, int64_t now_ms, struct strbuf *out, char *errbuf,
                 size_t errlen);

/**
 * The envelope sender (addr-spec) of a From value, copied into buf.
 * Returns 0, or -1 when from is malformed.
 */
int mailer_from_address(const char *from, char *buf, size_t cap);

/**
 * Deliver m now through the configured transport (outbox or SMTP).
 * Blocks (disk sync, network up to ~60 s): call only from a job or another
 * worker thread, never from a request thread. Returns 0, or -1 with a
 * message (no body, no secrets) in errbuf.
 */
int mailer_send(const struct config *cfg, const struct mail *m, char *errbuf, size_t errlen);

/**
 * mailer_send() reporting like the other channels (platform/sms.h): 0 sent
 * (out->ref: SendGrid's X-Message-Id, or the message id), -1 with
 * out->error and out->permanent (an invalid mail, a 4xx from SendGrid
 * other than 408/429). Blocking: jobs only.
 */
int mailer_send_result(const struct config *cfg, const struct mail *m, struct channel_result *out);

/**
 * Queue m for delivery as a "mail.send" job on db (inside the caller's
 * transaction when one is open). m is checked first, so a mail that could
 * never be built fails here rather than as a dead job. Returns 0, or -1
 * with err set (kind DB_E_CHECK when the mail itself is invalid).
 */
int mailer_enqueue(struct db *db, const struct mail *m, struct db_error *err);

/** Register the "mail.send" job kind. Call once per registry, at start-up. */
void mailer_register_jobs(struct job_registry *r);

#endif
