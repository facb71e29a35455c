/*
 * api_client.h — harness for API tests: run the real binary, talk HTTP.
 *
 * A test starts the server with api_start(), which runs
 *   <bin> serve --listen 127.0.0.1:<free port> --database <fresh db>
 *         --data-dir <tmp> --threads 2 --job-workers 1 [extra args]
 * where <bin> is $ARTISTRY_BIN (default build/artistry). The database is a
 * new SQLite file in a new temporary directory, or, when
 * ARTISTRY_TEST_DATABASE_URL is set, a new PostgreSQL database created on
 * that server and dropped at stop, so tests never see each other's data.
 * The server's stdout and stderr go to <tmp>/server.log.
 *
 * api_start() returns once GET /readyz answers 200, and fails the test
 * (with the tail of the server log) if it does not within the start timeout
 * ($ARTISTRY_TEST_START_TIMEOUT seconds, default 15). Every server started
 * is also recorded so api_cleanup_all() (a Criterion .fini) can stop what a
 * failed test left behind; the child also gets SIGKILL if the test process
 * dies (PR_SET_PDEATHSIG).
 *
 * api_stop() sends SIGTERM and fails the test unless the server exits 0
 * (under the sanitizer build that catches leaks and sanitizer reports too).
 *
 * HTTP goes through one libcurl easy handle per server, so consecutive
 * requests reuse the connection (keep-alive). api_raw() sends bytes over a
 * plain socket for requests libcurl will not produce.
 */
#ifndef ARTISTRY_TESTS_API_CLIENT_H
#define ARTISTRY_TESTS_API_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*-----------------------------------------------------------------------------
 * Servers
 */

struct api_opts {
    const char *const *args; /* extra serve arguments, NULL-terminated; may be NULL */
    const char *const *env;  /* extra "KEY=VALUE" environment, NULL-terminated; may be NULL */
    bool seed_demo;          /* run `seed --demo` on the database once the server is ready */
    /*
     * When set, the harness passes no --listen flag: the test sets the
     * address itself (flag in args, env, config file) and `port` says where
     * the server is expected to listen.
     */
    bool no_listen_flag;
    int port;
    /* Path polled until it answers 200 at start; NULL means "/readyz". */
    const char *ready_path;
};

struct api_server {
    pid_t pid;      /* 0 when not running */
    int port;
    int exit_status; /* raw waitpid status of the last exit, or -1 */
    char base_url[64];
    char tmpdir[256];
    char log_path[300];
    char db_url[1024]; /* SQLite file path or postgres:// URL */
    char data_dir[300];
    char pg_name[64];  /* PostgreSQL database name, "" for SQLite */
    char pg_extra[4][80]; /* scratch databases made by api_scratch_db, dropped at stop */
    bool is_pg;
    struct api_opts opts; /* arrays borrowed from the caller: keep them alive */
    void *curl;           /* CURL *, one per server so requests reuse the connection */
};

/** Start a server (opts may be NULL). Fails the test on error. */
struct api_server *api_start(const struct api_opts *opts);

/** SIGTERM, wait, fail the test unless the exit was clean; drop the database and temp dir; free. */
void api_stop(struct api_server *s);

/** SIGTERM and wait up to timeout_ms (then SIGKILL). Returns the raw wait status. The server stays allocated. */
int api_terminate(struct api_server *s, int timeout_ms);

/** SIGKILL the server and reap it. */
void api_kill9(struct api_server *s);

/** Start the server again on the same database, data directory and port (a fresh port if taken). */
void api_restart(struct api_server *s);

/** Stop every server still running (for Criterion .fini); never asserts. */
void api_cleanup_all(void);

/**
 * A second, empty database for the test (SQLite: a new file in the server's
 * temp dir; PostgreSQL: a new database dropped with the server). Writes its
 * URL into url.
 */
void api_scratch_db(struct api_server *s, const char *name, char *url, size_t cap);

/** Run `<bin> seed --demo` on the server's database. Fails the test on error. */
void api_seed_demo(struct api_server *s);

/** A free loopback TCP port (bound to 0, read, closed). */
int api_free_port(void);

/** Path of the binary under test. */
const char *api_bin(void);

/** True when the tests run against PostgreSQL. */
bool api_pg(void);

/*-----------------------------------------------------------------------------
 * Running the command line
 */

struct api_cmd {
    int status;  /* exit code, or 128+signal */
    char *out;   /* stdout, NUL-terminated */
    char *err;   /* stderr, NUL-terminated */
};

/**
 * Run `<bin> args...` with extra env, stdin from /dev/null, capturing
 * output; killed after timeout_ms. Fills *res (free with api_cmd_free).
 */
void api_run(const char *const *args, const char *const *env, int timeout_ms, struct api_cmd *res);
void api_cmd_free(struct api_cmd *res);

/*-----------------------------------------------------------------------------
 * HTTP
 */

struct api_header {
    char *name;
    char *value;
};

struct api_response {
    long status;            /* 0 if the transfer failed */
    char curl_error[256];   /* when status is 0 */
    struct api_header *headers; /* of the final response */
    size_t nheaders;
    char *body;             /* NUL-terminated */
    size_t body_len;
    json_t *json;           /* parsed body when it is JSON, else NULL */
    long num_connects;      /* new connections this request opened (0: reused) */
};

/**
 * Send a request. headers is a NULL-terminated list of "Name: value" lines
 * (may be NULL); body may be NULL. Never fails the test: check status.
 */
struct api_response *api_request(struct api_server *s, const char *method, const char *path,
                                 const char *const *headers, const void *body, size_t len);

/** GET with no extra headers. */
struct api_response *api_get(struct api_server *s, const char *path);

/** POST a JSON text with Content-Type: application/json plus extra headers. */
struct api_response *api_post_json(struct api_server *s, const char *path, const char *json_text,
                                   const char *const *headers);

/** Last value of a response header (case-insensitive name), or NULL. */
const char *api_header(const struct api_response *r, const char *name);

void api_response_free(struct api_response *r);

/** Assert the response is an RFC 9457 problem with this status and code (fails the test otherwise). */
void api_assert_problem(const struct api_response *r, long status, const char *code);

/** Assert GET /healthz answers 200 (the server is still alive). */
void api_assert_alive(struct api_server *s);

/*-----------------------------------------------------------------------------
 * Accounts
 */

/** A signed-in test account. */
struct api_account {
    char id[64];        /* usr_... */
    char email[128];
    char token[1600];   /* access token */
    char auth[1700];    /* "Authorization: Bearer <token>" header line */
    char shop_id[64];   /* sellers: their shop (shp_...), else "" */
};

/** Password every api_account uses. */
#define API_PASSWORD "quartz-meadow-lantern-7"

/**
 * Register a fresh account (unique email from tag and a counter), then give
 * it role "buyer", "seller" (with an active shop named after tag, created
 * directly in the database as an approved application would) or "admin",
 * and sign in again so the token carries the role. Fails the test on error.
 * Registration is rate limited per address: start the server with
 * "--rate-limit-scale", "100" when a test makes many accounts.
 */
void api_account(struct api_server *s, const char *role, const char *tag, struct api_account *out);

/** Send method path with a JSON body (may be NULL) as this account (acct may be NULL: anonymous). */
struct api_response *api_as(struct api_server *s, const struct api_account *acct, const char *method,
                            const char *path, const char *json_text);

/**
 * Send the same request as acct on two new connections at once (two
 * threads, raw sockets, Connection: close) and store both statuses (0 when a
 * connection failed), for tests of racing writes.
 */
void api_as_twice(struct api_server *s, const struct api_account *acct, const char *method, const char *path,
                  const char *json_text, int status[2]);

/**
 * n signed-in accounts of role (see api_account) cheaply: the first is
 * registered through the API, the others are copies of it made in the
 * database (same password hash, fresh ids and emails) and signed in, so
 * only one hash per account is computed. out has room for n.
 */
void api_accounts(struct api_server *s, const char *role, const char *tag, int n, struct api_account *out);

/*-----------------------------------------------------------------------------
 * Fixtures
 */

/** A fresh valid id "<prefix>_<26 digits>" for rows a test inserts directly (unique within the test process). */
void api_test_id(char *buf, size_t cap, const char *prefix);

/** admin creates category slug (named slug) under parent (may be NULL); its id into out. Fails the test unless 201. */
void api_category(struct api_server *s, const struct api_account *admin, const char *slug, const char *parent,
                  char *out, size_t cap);

/* Products, carts, checkout, payment and the ledger: commerce_testlib.h. */

/*-----------------------------------------------------------------------------
 * Raw sockets
 */

/**
 * Connect to the server, send len bytes, read until the server closes or
 * timeout_ms passes without data. Returns what was read (NUL-terminated,
 * caller frees) and its length in *out_len; NULL if the connection failed.
 */
char *api_raw(struct api_server *s, const void *data, size_t len, int timeout_ms, size_t *out_len);

/** Status code of the first response in a raw reply ("HTTP/1.1 400 ..."), or 0. */
int api_raw_status(const char *reply);

/**
 * The raw HTTP/1.1 text of a request as acct (may be NULL) with a JSON
 * body (may be NULL) and Connection: close, for api_race (caller frees).
 */
char *api_raw_request(const char *method, const char *path, const struct api_account *acct, const char *json_text);

/**
 * Send requests[0..n-1] at once, each on its own connection and thread,
 * released together. status[i] gets each status (0: the connection
 * failed); replies (may be NULL) gets each raw reply (caller frees).
 */
void api_race(struct api_server *s, int n, char *const *requests, int *status, char **replies);

/*-----------------------------------------------------------------------------
 * Server log and database
 */

/** Contents of the server log (caller frees). */
char *api_log(struct api_server *s);

/** Print the last bytes of the server log to stderr (for failure messages). */
void api_log_tail(struct api_server *s, size_t bytes);

/**
 * Wait up to timeout_ms for a log line containing every one of the
 * NULL-terminated needles. Returns that line (caller frees) or NULL.
 */
char *api_log_wait_line(struct api_server *s, const char *const *needles, int timeout_ms);

/**
 * Run SQL on the server's database directly (libsqlite3 or libpq), with
 * text parameters $1..$n. Returns 0 or -1 (message printed).
 */
int api_sql_exec(struct api_server *s, const char *sql, const char *const *params, int n);

/**
 * Run a query and copy the first column of the first row into buf (""
 * for NULL). Returns 1 if there was a row, 0 if none, -1 on error.
 */
int api_sql_text(struct api_server *s, const char *sql, const char *const *params, int n, char *buf,
                 size_t cap);

/** Milliseconds since the epoch. */
long long api_now_ms(void);

/** Sleep ms milliseconds. */
void api_sleep_ms(int ms);

#endif
