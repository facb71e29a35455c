/*
 * fake_openai.h — a local OpenAI-compatible images API for the API tests.
 *
 * An HTTP server (libmicrohttpd, in the test process) on 127.0.0.1 and a
 * free port, speaking the wire format of PROTOCOLS.md §3:
 *   POST /v1/images/generations, JSON {model, prompt, n, size, quality,
 *   style, response_format, user} →
 *   200 {"created": <unix>, "data": [{"b64_json": "<PNG>", "revised_prompt": "…"}]}
 * The PNG is a real image of the asked size (libvips), one flat colour.
 *
 * Errors are OpenAI's {"error": {"message", "type", "param", "code"}}:
 *   401 invalid_api_key when the Bearer key differs from the configured one;
 *   400 invalid_request_error for a missing prompt, a prompt over 4000
 *       characters, n other than 1 or a size DALL-E 3 does not take
 *       (model "dall-e-3" only), response_format other than url/b64_json;
 *   400 content_policy_violation when the prompt contains "forbidden";
 *   the next N requests answer a chosen status (fake_openai_fail_next):
 *       429 rate_limit_exceeded with "Retry-After: 0", or 5xx server_error.
 * With url_only set it answers {"data":[{"url": …}]} (a server ignoring
 * response_format).
 */
#ifndef ARTISTRY_TESTS_FAKE_OPENAI_H
#define ARTISTRY_TESTS_FAKE_OPENAI_H

#include <jansson.h>
#include <stdbool.h>

struct fake_openai;

/** Start with the expected API key (NULL: no key checked). Aborts the test process on failure. */
struct fake_openai *fake_openai_start(const char *api_key);
void fake_openai_stop(struct fake_openai *f);
/** "http://127.0.0.1:<port>" — the openai_base_url setting. */
const char *fake_openai_url(const struct fake_openai *f);
/** The next n requests answer status (429 or 5xx) before anything else is checked. */
void fake_openai_fail_next(struct fake_openai *f, int status, int n);
/** Answer with a URL instead of b64_json. */
void fake_openai_url_only(struct fake_openai *f, bool on);
/** Requests received (all statuses). */
int fake_openai_requests(struct fake_openai *f);
/** The JSON body of the last request (new reference, caller decrefs), or NULL. */
json_t *fake_openai_last_body(struct fake_openai *f);
/** Authorization header of the last request, copied into buf ("" if none). */
void fake_openai_last_auth(struct fake_openai *f, char *buf, size_t cap);

#endif
