/*
 * auth_passwords.c — password hashing, the password policy, email
 * normalisation, and the brute-force throttle of the login endpoint.
 *
 * Hashing is argon2id through libsodium's crypto_pwhash_str at its
 * INTERACTIVE limits (t=2, m=64 MiB, p=1; about 60 ms here). Each hash holds
 * 64 MiB while it runs, so hashing happens only on the bounded slow-work
 * pool (slow_workers threads, so at most slow_workers × 64 MiB at once).
 * A login for an account that does not exist (or has no password, or is
 * deleted) verifies against a dummy hash made at start-up with the same
 * parameters, so both paths cost the same.
 *
 * The policy follows ASVS 2.1 / NIST 800-63B: length 12–128 code points, no
 * composition rules, refuse the email or its local part, a built-in list of
 * common passwords (plus common word + suffix forms), a single repeated
 * character or short repeated unit, and keyboard/alphabet/digit walks.
 *
 * Throttle: see README.md "Brute-force protection" for the design.
 *
 * Caveats: the common list is small (a few hundred entries, written for this
 * project); a breached-password check (k-anonymity API) would be a later
 * addition. Email lower-casing covers ASCII, Latin-1, Latin Extended-A, Greek
 * and Cyrillic capitals, not full Unicode case folding.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/ids.h"
#include "base/log.h"
#include "db/db.h"
#include "http/validate.h"
#include "services/auth/auth.h"
#include "services/auth/auth_core_int.h"

#define PW_OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PW_MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE
#define PW_MIN_CP 12
#define PW_MAX_CP 128

static char dummy_hash[crypto_pwhash_STRBYTES];

/*-----------------------------------------------------------------------------
 * Hashing
 */

int auth__passwords_init(void)
{
    if (sodium_init() < 0) {
        log_error("libsodium failed to initialise", NULL);
        return -1;
    }
    if (dummy_hash[0] != '\0')
        return 0;
    char pw[32];
    unsigned char raw[16];
    random_bytes(raw, sizeof raw);
    sodium_bin2hex(pw, sizeof pw, raw, 15);
    if (crypto_pwhash_str(dummy_hash, pw, strlen(pw), PW_OPSLIMIT, PW_MEMLIMIT) != 0) {
        log_error("cannot compute the dummy password hash (out of memory?)", NULL);
        return -1;
    }
    sodium_memzero(pw, sizeof pw);
    return 0;
}

const char *auth__dummy_hash(void)
{
    return dummy_hash;
}

int auth_password_hash(const char *password, char *out, size_t cap)
{
    if (password == NULL || cap < crypto_pwhash_STRBYTES)
        return -1;
    if (crypto_pwhash_str(out, password, strlen(password), PW_OPSLIMIT, PW_MEMLIMIT) != 0) {
        log_error("password hashing failed (out of memory?)", NULL);
        return -1;
    }
    return 0;
}

bool auth_password_verify(const char *password, const char *hash)
{
    if (password == NULL || hash == NULL || *hash == '\0')
        return false;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

bool auth__password_needs_rehash(const char *hash)
{
    return crypto_pwhash_str_needs_rehash(hash, PW_OPSLIMIT, PW_MEMLIMIT) != 0;
}

/*-----------------------------------------------------------------------------
 * Lower-casing
 */

/* Lower case of one code point, for the scripts listed in the file header. */
static unsigned lower_cp(unsigned c)
{
    if (c >= 'A' && c <= 'Z')
        return c + 0x20;
    if (c < 0x80)
        return c;
    if (c >= 0xc0 && c <= 0xde && c != 0xd7)
        return c + 0x20;
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177))
        return (c % 2 == 0) ? c + 1 : c;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
        return (c % 2 == 1) ? c + 1 : c;
    if (c == 0x178)
        return 0xff;
    if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
        return c + 0x20;
    if (c >= 0x410 && c <= 0x42f)
        return c + 0x20;
    if (c >= 0x400 && c <= 0x40f)
        return c + 0x50;
    return c;
}

/* Lower-case a UTF-8 string; every mapping above keeps the encoded length. Invalid bytes are copied. */
static char *lower_utf8(const char *s, struct arena *a)
{
    size_t n = strlen(s);
    unsigned char *out = arena_alloc(a, n + 1);
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) {
            out[i] = (unsigned char)lower_cp(c);
            i++;
        } else if ((c & 0xe0) == 0xc0 && i + 1 < n && (p[i + 1] & 0xc0) == 0x80) {
            unsigned cp = ((c & 0x1f) << 6) | (p[i + 1] & 0x3f);
            unsigned lc = cp >= 0x80 ? lower_cp(cp) : cp;
            if (lc < 0x80 || lc > 0x7ff)
                lc = cp;
            out[i] = (unsigned char)(0xc0 | (lc >> 6));
            out[i + 1] = (unsigned char)(0x80 | (lc & 0x3f));
            i += 2;
        } else {
            out[i] = (unsigned char)c;
            i++;
        }
    }
    out[n] = '\0';
    return (char *)out;
}

char *auth_email_normalize(const char *email, struct arena *a)
{
    return lower_utf8(email, a);
}

/*-----------------------------------------------------------------------------
 * Policy
 */

/* Common passwords (lower case), written for this project from the usual patterns of leaked lists. */
static const char *const common_passwords[] = {
    "password", "password1", "password12", "password123", "password1234", "password12345", "password123456",
    "password1234567", "password12345678", "passw0rd", "p@ssw0rd", "p@ssword", "p@ssword123", "passw0rd123",
    "password!", "password1!", "password123!", "password2020", "password2021", "password2022", "password2023",
    "password2024", "password2025", "password2026", "passwordpassword", "mypassword", "mypassword1",
    "mypassword123", "yourpassword", "newpassword", "newpassword1", "newpassword123", "oldpassword",
    "thisismypassword", "secretpassword", "supersecret", "supersecret123", "secret123", "secret1234",
    "12345678", "123456789", "1234567890", "12345678910", "123456789012", "1234567890123", "12345678901234",
    "0123456789", "01234567890", "11111111", "111111111111", "00000000", "000000000000", "87654321",
    "987654321", "9876543210", "98765432100", "11223344", "112233445566", "12121212", "121212121212",
    "12344321", "123123123", "123123123123", "123321123", "123454321", "31415926", "3141592653", "66666666",
    "88888888", "99999999", "55555555", "1111111111", "999999999", "666666666", "5201314520", "147258369",
    "159753456", "741852963", "789456123", "123698745", "147852369", "963852741", "1122334455",
    "qwertyuiop", "qwerty123", "qwerty1234", "qwerty12345", "qwerty123456", "qwertyuiop123", "qwertyuiop1234",
    "qwertyuiop12345", "qwertyqwerty", "qwerty123!", "qwertyuiopasdf", "qwertyuiopasdfgh", "qwerasdfzxcv",
    "1q2w3e4r", "1q2w3e4r5t", "1q2w3e4r5t6y", "1q2w3e4r5t6y7u", "1q2w3e4r5t6y7u8i", "1qaz2wsx", "1qaz2wsx3edc",
    "1qaz2wsx3edc4rfv", "qazwsxedc", "qazwsxedcrfv", "qazwsxedc123", "zaq12wsx", "zaq1zaq1", "zaq1xsw2",
    "asdfghjkl", "asdfghjkl123", "asdfasdfasdf", "asdf1234", "asdf12345678", "zxcvbnm123", "zxcvbnm1234",
    "zxcv1234", "1234qwer", "1234abcd", "q1w2e3r4", "q1w2e3r4t5", "q1w2e3r4t5y6", "qwer1234", "123qweasd",
    "123qweasdzxc", "qweasdzxc", "qweasdzxc123", "qweasd123", "iloveyou", "iloveyou1", "iloveyou12",
    "iloveyou123", "iloveyou1234", "iloveyou12345", "iloveyou2", "iloveyouforever", "iloveyoubaby",
    "iloveyousomuch", "iloveu123", "iloveyou!", "ihateyou", "ihateyou123", "loveyou1", "lovelove",
    "lovelovelove", "loveme123", "lovely123", "letmein1", "letmein123", "letmein!", "letmeinnow",
    "letmeinplease", "welcome1", "welcome123", "welcome1234", "welcome2024", "welcome2025", "welcome123!",
    "welcomehome", "sunshine", "sunshine1", "sunshine123", "princess", "princess1", "princess123",
    "football", "football1", "football123", "baseball", "baseball1", "baseball123", "basketball",
    "basketball1", "basketball123", "superman", "superman1", "superman123", "batman123", "batmanbatman",
    "spiderman", "spiderman1", "spiderman123", "trustno1", "trustnoone", "trustme123", "starwars",
    "starwars1", "starwars123", "whatever", "whatever1", "whatever123", "dragon123", "dragon1234",
    "dragonball", "dragonballz", "master123", "masterkey", "michael1", "michael123", "jennifer", "jennifer1",
    "jordan23", "jordan2323", "charlie1", "charlie123", "computer", "computer1", "computer123", "internet",
    "internet1", "changeme", "changeme1", "changeme123", "changemenow", "default1", "default123",
    "administrator", "administrator1", "admin123", "admin1234", "admin12345", "admin123456", "adminadmin",
    "admin@123", "rootroot", "root1234", "toor1234", "test1234", "test12345", "test123456", "testtest",
    "testing1", "testing123", "testing1234", "abc12345", "abc123456", "abc1234567", "abcd1234", "abcd12345",
    "abcdefgh", "abcdefg1", "abcdefghijkl", "a1b2c3d4", "a1b2c3d4e5", "a1b2c3d4e5f6", "aa123456",
    "aaaaaaaa", "zzzzzzzz", "monkey123", "monkey1234", "shadow123", "freedom1", "freedom123", "access14",
    "mustang1", "michelle", "jessica1", "ashley123", "nicole123", "daniel123", "hello123", "hello1234",
    "helloworld", "helloworld1", "helloworld123", "hellohello", "summer2023", "summer2024", "summer2025",
    "winter2023", "winter2024", "winter2025", "spring2024", "spring2025", "autumn2024", "january1",
    "december1", "october1", "pokemon123", "minecraft", "minecraft1", "minecraft123", "fortnite1",
    "fortnite123", "chocolate", "chocolate1", "chocolate123", "butterfly", "butterfly1", "cookie123",
    "pepper123", "soccer123", "hockey123", "killer123", "ginger123", "maggie123", "buster123", "tigger123",
    "pussycat", "cheese123", "flower123", "hunter123", "hunter2hunter2", "matrix123", "mercedes",
    "mercedes1", "ferrari1", "porsche911", "corvette", "harley123", "yankees1", "liverpool", "liverpool1",
    "chelsea1", "arsenal1", "barcelona", "barcelona1", "realmadrid", "manchester", "manchesterunited",
    "unitedstates", "newyork1", "newyorkcity", "california", "sweetheart", "angel123", "babygirl1",
    "babygirl123", "blessed1", "jesus123", "jesuschrist", "godisgood", "godisgreat", "passpass",
    "passpasspass", "correcthorsebatterystaple", "onetwothreefour", "artistry", "artistry123",
    "artistrycart", "artistrycart1", "artistrycart123", "marketplace", "marketplace1", "handmade123",
    "shopping123", "shopping1234", "iamthebest", "youarethebest", "nopassword", "blahblah", "blahblahblah",
    "whatsup123", "goodluck", "goodluck123", "happyday", "happy123", "happy1234", "happiness", "beautiful",
    "beautiful1", "qwertyui", "asdfghjk", "zxcvbnm1", "1qazxsw2", "access123", "accessdenied",
};

/* Common words that people pad with digits or a symbol to pass length rules. */
static const char *const common_bases[] = {
    "password", "passw0rd", "p@ssw0rd", "p@ssword", "qwerty", "qwertyuiop", "iloveyou", "letmein", "welcome",
    "sunshine", "princess", "football", "baseball", "basketball", "superman", "batman", "spiderman", "starwars",
    "whatever", "dragon", "master", "monkey", "shadow", "michael", "jennifer", "charlie", "computer",
    "internet", "changeme", "admin", "administrator", "test", "testing", "hello", "helloworld", "summer",
    "winter", "spring", "autumn", "pokemon", "minecraft", "fortnite", "chocolate", "butterfly", "freedom",
    "trustno1", "secret", "abc", "abcd", "abcdef", "love", "loveyou", "artistry", "marketplace", "handmade",
};

static const char *const common_suffixes[] = {
    "", "1", "12", "123", "1234", "12345", "123456", "1234567", "12345678", "123456789", "!", "1!", "12!",
    "123!", "1234!", "!!", "@123", "#1", "01", "007", "69", "2020", "2021", "2022", "2023", "2024", "2025",
    "2026", "2024!", "2025!", "123123", "321", "4321", "54321", "654321", "111", "000",
};

static bool is_common(const char *lower)
{
    for (size_t i = 0; i < sizeof common_passwords / sizeof common_passwords[0]; i++)
        if (strcmp(lower, common_passwords[i]) == 0)
            return true;
    for (size_t i = 0; i < sizeof common_bases / sizeof common_bases[0]; i++) {
        size_t n = strlen(common_bases[i]);
        if (strncmp(lower, common_bases[i], n) != 0)
            continue;
        /* base + suffix, and the base written twice (+ suffix) */
        const char *rest = lower + n;
        if (strncmp(rest, common_bases[i], n) == 0)
            rest += n;
        for (size_t k = 0; k < sizeof common_suffixes / sizeof common_suffixes[0]; k++)
            if (strcmp(rest, common_suffixes[k]) == 0)
                return true;
    }
    return false;
}

/* One character, or a unit of at most 4 characters repeated, or at most 2 distinct characters. */
static bool is_repetitive(const char *s)
{
    size_t n = strlen(s);
    for (size_t unit = 1; unit <= 4 && unit < n; unit++) {
        size_t i;
        for (i = unit; i < n && s[i] == s[i - unit]; i++)
            ;
        if (i == n)
            return true;
    }
    unsigned char seen[256] = {0};
    int distinct = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!seen[*p]++)
            distinct++;
    return distinct <= 2;
}

/* Walks along the alphabet, the digits (wrapping) or a keyboard row, either direction. */
static bool is_sequence(const char *s)
{
    static const char *const walks[] = {
        "012345678901234567890123456789012345678901234567890123456789",
        "987654321098765432109876543210987654321098765432109876543210",
        "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
        "zyxwvutsrqponmlkjihgfedcbazyxwvutsrqponmlkjihgfedcba",
        "qwertyuiopasdfghjklzxcvbnm",
        "mnbvcxzlkjhgfdsapoiuytrewq",
        "qwertyuiop[]asdfghjkl;'zxcvbnm,./",
        "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",
        "qazwsxedcrfvtgbyhnujmikolp",
        "!@#$%^&*()_+!@#$%^&*()_+",
        "qwertzuiopasdfghjklyxcvbnm",
        "azertyuiopqsdfghjklmwxcvbn",
    };
    size_t n = strlen(s);
    if (n < 4)
        return false;
    for (size_t i = 0; i < sizeof walks / sizeof walks[0]; i++)
        if (strstr(walks[i], s) != NULL)
            return true;
    return false;
}

static void add(struct app_error *err, struct arena *a, const char *field, const char *code, const char *msg)
{
    app_error_add_field(err, a, field, code, msg);
}

int auth_password_policy(const char *password, const char *email, const char *field, struct app_error *err,
                         struct arena *a)
{
    size_t before = err->nfields;
    if (field == NULL)
        field = "password";
    if (password == NULL) {
        add(err, a, field, "required", "is required");
        goto out;
    }
    if (!utf8_valid(password, strlen(password))) {
        add(err, a, field, "invalid_utf8", "must be valid UTF-8");
        goto out;
    }
    size_t cps = utf8_length(password);
    if (cps < PW_MIN_CP)
        add(err, a, field, "too_short", "must be at least 12 characters");
    if (cps > PW_MAX_CP)
        add(err, a, field, "too_long", "must be at most 128 characters");
    const char *lower = lower_utf8(password, a);
    if (email != NULL && *email != '\0') {
        const char *e = lower_utf8(email, a);
        const char *at = strrchr(e, '@');
        size_t local_len = at ? (size_t)(at - e) : strlen(e);
        char *local = arena_strndup(a, e, local_len);
        if (strstr(lower, e) != NULL || strcmp(lower, local) == 0 || (local_len >= 3 && strstr(lower, local)))
            add(err, a, field, "contains_email", "must not contain your email address or its user name");
    }
    if (is_common(lower))
        add(err, a, field, "too_common", "is a commonly used password; choose another");
    else if (is_repetitive(lower))
        add(err, a, field, "repeated_characters", "is a repetition of the same few characters");
    else if (is_sequence(lower))
        add(err, a, field, "sequence", "is a simple keyboard or alphabet sequence");
out:
    if (err->nfields == before)
        return 0;
    if (err->code == NULL) {
        err->code = "validation_failed";
        err->msg = err->nfields == 1 ? arena_sprintf(a, "field '%s' %s", err->fields[0].field, err->fields[0].message)
                                     : arena_sprintf(a, "%zu fields are invalid; see errors", err->nfields);
    }
    return -1;
}

/*-----------------------------------------------------------------------------
 * Brute-force throttle
 */

static int64_t env_i64(const char *name, int64_t dflt, int64_t min, int64_t max)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return dflt;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (*end != '\0' || n < min || n > max) {
        log_warn("ignoring an invalid auth throttle setting", "%s=%s", name, v);
        return dflt;
    }
    return n;
}

void auth__throttle_defaults(struct auth_throttle *t)
{
    /* Hidden knobs (tests and incident response); documented in README.md. */
    t->free_failures = (int)env_i64("ARTISTRY_AUTH_FREE_FAILURES", 3, 1, 1000);
    t->base_delay_ms = env_i64("ARTISTRY_AUTH_BASE_DELAY_MS", 1000, 1, 86400000);
    t->max_delay_ms = env_i64("ARTISTRY_AUTH_MAX_DELAY_MS", 15 * 60 * 1000, 1, 86400000);
    t->account_threshold = (int)env_i64("ARTISTRY_AUTH_ACCOUNT_THRESHOLD", 20, 1, 100000);
    t->account_window_ms = env_i64("ARTISTRY_AUTH_ACCOUNT_WINDOW_MS", 60 * 60 * 1000, 1, INT64_C(30) * 86400000);
    t->account_lock_ms = env_i64("ARTISTRY_AUTH_ACCOUNT_LOCK_MS", 15 * 60 * 1000, 1, 86400000);
    t->known_ip_ms = env_i64("ARTISTRY_AUTH_KNOWN_IP_MS", INT64_C(30) * 86400000, 0, INT64_C(365) * 86400000);
}

static long seconds_until(int64_t until, int64_t now)
{
    int64_t ms = until - now;
    return ms <= 0 ? 1 : (long)((ms + 999) / 1000);
}

int auth__throttle_check(struct db *db, const struct auth_throttle *t, const char *email, const char *ip,
                         int64_t now, long *retry_after_s, struct db_error *err)
{
    int64_t pair_until = 0, last_success = 0, acct_until = 0;
    struct db_stmt *st = db_prepare(db, auth__sql(AUTH_Q_THROTTLE_GET), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(email));
    db_bind(st, 2, DB_TEXT(ip));
    int rc = db_step(st, err);
    if (rc == 1) {
        pair_until = db_column_is_null(st, 1) ? 0 : db_column_i64(st, 1);
        last_success = db_column_is_null(st, 2) ? 0 : db_column_i64(st, 2);
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    if (pair_until > now) {
        *retry_after_s = seconds_until(pair_until, now);
        return 1;
    }
    bool known = last_success > 0 && now - last_success < t->known_ip_ms;
    if (known)
        return 0;
    st = db_prepare(db, auth__sql(AUTH_Q_ACCOUNT_GET), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(email));
    rc = db_step(st, err);
    if (rc == 1)
        acct_until = db_column_is_null(st, 2) ? 0 : db_column_i64(st, 2);
    db_reset(st);
    if (rc < 0)
        return -1;
    if (acct_until > now) {
        *retry_after_s = seconds_until(acct_until, now);
        return 1;
    }
    return 0;
}

/* Run a statement that returns one integer (RETURNING); -1 on error. */
static int64_t returning_i64(struct db *db, const char *sql, const struct db_param *p, int n, struct db_error *err)
{
    struct db_stmt *st = db_prepare(db, sql, err);
    if (st == NULL)
        return -1;
    db_bind_all(st, p, n);
    int64_t v = -1;
    int rc = db_step(st, err);
    if (rc == 1)
        v = db_column_i64(st, 0);
    db_reset(st);
    return rc == 1 ? v : -1;
}

int auth__throttle_fail(struct db *db, const struct auth_throttle *t, const char *email, const char *ip,
                        int64_t now, struct db_error *err)
{
    /* A pair whose last failure is older than the account window starts counting again. */
    struct db_param pf[] = {DB_TEXT(email), DB_TEXT(ip), DB_I64(now), DB_I64(now - t->account_window_ms)};
    int64_t fails = returning_i64(db, auth__sql(AUTH_Q_THROTTLE_FAIL), pf, 4, err);
    if (fails < 0)
        return -1;
    if (fails > t->free_failures) {
        int64_t shift = fails - t->free_failures - 1, delay = t->base_delay_ms;
        while (shift-- > 0 && delay < t->max_delay_ms)
            delay *= 2;
        if (delay > t->max_delay_ms)
            delay = t->max_delay_ms;
        struct db_param pl[] = {DB_TEXT(email), DB_TEXT(ip), DB_I64(now + delay)};
        if (db_exec(db, auth__sql(AUTH_Q_THROTTLE_LOCK), pl, 3, err) < 0)
            return -1;
    }
    struct db_param pa[] = {DB_TEXT(email), DB_I64(now), DB_I64(now - t->account_window_ms)};
    int64_t acct = returning_i64(db, auth__sql(AUTH_Q_ACCOUNT_FAIL), pa, 3, err);
    if (acct < 0)
        return -1;
    if (acct >= t->account_threshold) {
        struct db_param pl[] = {DB_TEXT(email), DB_I64(now + t->account_lock_ms), DB_I64(now)};
        if (db_exec(db, auth__sql(AUTH_Q_ACCOUNT_LOCK), pl, 3, err) < 0)
            return -1;
    }
    return 0;
}

int auth__throttle_success(struct db *db, const char *email, const char *ip, int64_t now, struct db_error *err)
{
    struct db_param p[] = {DB_TEXT(email), DB_TEXT(ip), DB_I64(now)};
    return db_exec(db, auth__sql(AUTH_Q_THROTTLE_SUCCESS), p, 3, err) < 0 ? -1 : 0;
}

int auth__attempt_log(struct db *db, struct arena *a, const char *email, const char *user_id, const char *ip,
                      const char *reason, int64_t now, struct db_error *err)
{
    struct db_param p[] = {DB_TEXT(id_new(a, "lga")), DB_TEXT(email), DB_TEXT(user_id),
                           DB_TEXT(ip && *ip ? ip : NULL), DB_I64(reason == NULL ? 1 : 0), DB_TEXT(reason),
                           DB_I64(now)};
    return db_exec(db, auth__sql(AUTH_Q_ATTEMPT_INSERT), p, 7, err) < 0 ? -1 : 0;
}
