/*
 * fake_fcm.h — a local Google OAuth2 token endpoint plus the Firebase Cloud
 * Messaging HTTP v1 API for the tests (PROTOCOLS.md §4), built on fake_http.
 *
 * The fake makes its own RSA-2048 service-account key at start (OpenSSL; no
 * key file is committed) and writes a service-account JSON file naming it
 * (fake_fcm_write_credentials).
 *
 *   POST /token  form grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer
 *                and assertion=<JWT>; the JWT must verify RS256 against the
 *                key's public half, with iss = client_email, scope =
 *                https://www.googleapis.com/auth/firebase.messaging, aud =
 *                <url>/token, iat not in the future, exp after now and at
 *                most 3600 s after iat. Else 400 {"error":"invalid_grant",
 *                "error_description"}. Success: {"access_token":"ya29.fake-N",
 *                "expires_in":3599,"token_type":"Bearer"}.
 *   POST /v1/projects/{project}/messages:send
 *                "Authorization: Bearer <a live token>" (else 401
 *                UNAUTHENTICATED); JSON {"message":{"token",…}} with data
 *                values all strings (else 400 INVALID_ARGUMENT). A dead token
 *                answers 404 NOT_FOUND with FcmError errorCode UNREGISTERED; a
 *                token starting "malformed" answers 400 INVALID_ARGUMENT "The
 *                registration token is not a valid FCM registration token".
 *                Success: {"name":"projects/{project}/messages/N"}.
 * Errors use Google's shape: {"error":{"code","message","status","details"}}.
 */
#ifndef ARTISTRY_TESTS_FAKE_FCM_H
#define ARTISTRY_TESTS_FAKE_FCM_H

#include "api/fake_http.h"

#define FAKE_FCM_CLIENT_EMAIL "push-sender@artistry-test.iam.gserviceaccount.com"

struct fake_fcm;

/** Start a fake for project_id (generates the key pair). Aborts on failure. */
struct fake_fcm *fake_fcm_start(const char *project_id);

/** Stop and free. NULL is a no-op. */
void fake_fcm_stop(struct fake_fcm *f);

/** Base URL (also the FCM API base); the token URI is <url>/token. */
const char *fake_fcm_url(const struct fake_fcm *f);

/** The recorder underneath (fake_http_count / fake_http_last). */
struct fake_http *fake_fcm_http(struct fake_fcm *f);

/**
 * Write a service-account JSON file to path: type, project_id,
 * private_key_id, private_key (PKCS#8 PEM), client_email, token_uri. When
 * sign_with_other_key, the private key is a different one (its assertions
 * fail the signature check).
 */
void fake_fcm_write_credentials(struct fake_fcm *f, const char *path, bool sign_with_other_key);

/** Sends to token answer 404 UNREGISTERED from now on (up to 8). */
void fake_fcm_kill_token(struct fake_fcm *f, const char *token);

/** Every access token issued so far stops working (answers 401). */
void fake_fcm_revoke_access_tokens(struct fake_fcm *f);

/** The next messages:send answers status (429 QUOTA_EXCEEDED, 500 INTERNAL, 503 UNAVAILABLE) once. */
void fake_fcm_fail_next(struct fake_fcm *f, unsigned status);

/** Access tokens issued, and messages accepted, so far. */
int fake_fcm_tokens_issued(struct fake_fcm *f);
int fake_fcm_accepted(struct fake_fcm *f);

#endif
