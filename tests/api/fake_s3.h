/*
 * fake_s3.h — a local S3-compatible object store for the API tests.
 *
 * An HTTP server (libmicrohttpd, in the test process) on 127.0.0.1 and a
 * free port, speaking Amazon S3's REST wire format with path-style URLs
 * /{bucket}/{key}:
 *   PUT    stores the body (200, ETag = quoted MD5 hex, as S3 does)
 *   GET    returns it (200), or one byte range (Range: bytes=a-b, a-, -n:
 *          206 with Content-Range; 416 InvalidRange when unsatisfiable)
 *   HEAD   as GET without a body
 *   DELETE removes it (204, also when missing)
 * Errors are S3's XML bodies (<Error><Code>…</Code><Message>…</Message>
 * <Resource>…</Resource><RequestId>…</RequestId></Error>): NoSuchBucket,
 * NoSuchKey, InvalidRange, MethodNotAllowed, AccessDenied, InvalidRequest,
 * AuthorizationHeaderMalformed, InvalidAccessKeyId, SignatureDoesNotMatch,
 * RequestTimeTooSkewed, XAmzContentSHA256Mismatch.
 *
 * Every request must be signed with AWS Signature Version 4: the fake
 * parses the Authorization header, rebuilds the canonical request from
 * what it received (method, URI, query, the signed headers, the
 * x-amz-content-sha256 payload hash), derives the signing key from its
 * secret with HMAC-SHA256 (OpenSSL) and compares signatures, so a request
 * signed with another secret — or altered after signing — is refused 403
 * SignatureDoesNotMatch. It also checks that host, x-amz-date and
 * x-amz-content-sha256 are signed, that the payload hash matches the body,
 * and that the date is within 15 minutes.
 */
#ifndef ARTISTRY_TESTS_FAKE_S3_H
#define ARTISTRY_TESTS_FAKE_S3_H

#include <stddef.h>

struct fake_s3;

/** Request counters since start. */
struct fake_s3_stats {
    int puts, gets, heads, deletes; /* accepted (authenticated) requests by method */
    int refused;                    /* requests answered with an error status */
    int bad_signatures;             /* of which SignatureDoesNotMatch */
};

/** Start the fake for one bucket and one key pair (strings copied). Aborts the test process on failure. */
struct fake_s3 *fake_s3_start(const char *bucket, const char *region, const char *access_key, const char *secret_key);

/** Stop and free. NULL is a no-op. */
void fake_s3_stop(struct fake_s3 *f);

/** Base URL ("http://127.0.0.1:<port>"), the s3_endpoint setting. */
const char *fake_s3_url(const struct fake_s3 *f);

/** Number of objects stored. */
int fake_s3_count(struct fake_s3 *f);

/** A copy of the object under key (caller frees), or NULL; *len gets its size. */
char *fake_s3_object(struct fake_s3 *f, const char *key, size_t *len);

/** Content-Type the object was stored with (copied into buf), or "" when missing. */
void fake_s3_object_type(struct fake_s3 *f, const char *key, char *buf, size_t cap);

/** Counters so far. */
struct fake_s3_stats fake_s3_stats(struct fake_s3 *f);

/** Code of the last error answered ("" if none), copied into buf. */
void fake_s3_last_error(struct fake_s3 *f, char *buf, size_t cap);

#endif
