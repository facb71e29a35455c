/*
 * test_chat.c — buyer–seller chat over REST: conversations (create, reuse
 * per pair and subject, the create race, who may write to whom), messages
 * (validation, attachments owned or not, client_msg_id dedupe, cursor
 * pagination), unread counts and read marks, inbox order, archive, the
 * 404 rule for strangers and the admins' read-only access to conversations
 * about disputed orders. The socket events are covered by tests/node.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"
#include "commerce_testlib.h"
#include "media_testlib.h"

TestSuite(chat, .fini = api_cleanup_all, .timeout = 240);

static const char *const scaled_args[] = {"--rate-limit-scale", "100", "--job-poll-ms", "50", NULL};

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static long long num(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

/* POST /conversations as a with body; asserts the status, copies the id into id (64 bytes) when not NULL. */
static void create_conv(struct api_server *s, const struct api_account *a, const char *body, long status, char *id)
{
    struct api_response *r = api_as(s, a, "POST", "/api/v1/conversations", body);
    cr_assert_eq(r->status, status, "POST /conversations %s: %ld %s", body, r->status, r->body);
    if (id != NULL)
        snprintf(id, 64, "%s", str(r->json, "id"));
    api_response_free(r);
}

static char *path_of(char *buf, size_t cap, const char *conv, const char *tail)
{
    snprintf(buf, cap, "/api/v1/conversations/%s%s", conv, tail);
    return buf;
}

/* Send text as a; returns the message id in id (64 bytes) when not NULL. */
static void send_text(struct api_server *s, const struct api_account *a, const char *conv, const char *text, char *id)
{
    char path[160], body[512];
    snprintf(body, sizeof body, "{\"body\": \"%s\"}", text);
    struct api_response *r = api_as(s, a, "POST", path_of(path, sizeof path, conv, "/messages"), body);
    cr_assert_eq(r->status, 201, "send: %ld %s", r->status, r->body);
    if (id != NULL)
        snprintf(id, 64, "%s", str(r->json, "id"));
    api_response_free(r);
}

static int count(struct api_server *s, const char *sql, const char *arg)
{
    char buf[32];
    const char *p[] = {arg};
    cr_assert_eq(api_sql_text(s, sql, p, arg ? 1 : 0, buf, sizeof buf), 1);
    return atoi(buf);
}

/* The conversation conv in a's inbox, as a new reference (NULL when absent). */
static json_t *inbox_entry(struct api_server *s, const struct api_account *a, const char *query, const char *conv)
{
    char path[160];
    snprintf(path, sizeof path, "/api/v1/conversations%s", query);
    struct api_response *r = api_as(s, a, "GET", path, NULL);
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    json_t *c, *found = NULL;
    size_t i;
    json_array_foreach(json_object_get(r->json, "data"), i, c) if (strcmp(str(c, "id"), conv) == 0) found =
        json_incref(c);
    api_response_free(r);
    return found;
}

/* A media object owned by owner, inserted as an upload would leave it; its id into id (64 bytes). */
static void media_of(struct api_server *s, const struct api_account *owner, char *id)
{
    char key[128], now[32];
    api_test_id(id, 64, "med");
    snprintf(key, sizeof key, "ab/%s/original.png", id);
    snprintf(now, sizeof now, "%lld", api_now_ms());
    const char *p[] = {id, owner->id, key, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO media_objects (id, owner_id, kind, mime, bytes, storage_key, status, "
                              "created_at, updated_at) VALUES ($1, $2, 'message_attachment', 'image/png', 10, $3, "
                              "'ready', CAST($4 AS BIGINT), CAST($4 AS BIGINT))",
                              p, 4),
                 0);
}

/*-----------------------------------------------------------------------------
 * Conversations
 */
Test(chat, create_reuse_and_who_may_write)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account buyers[2], sellers[2];
    api_accounts(s, "buyer", "chatb", 2, buyers);
    api_account(s, "seller", "chats0", &sellers[0]);
    api_account(s, "seller", "chats1", &sellers[1]);
    char prd[64], other_prd[64], conv[64], again[64], plain[64], body[512];
    api_product(s, &sellers[0], 1500, 3, prd);
    api_product(s, &sellers[1], 900, 3, other_prd);

    /* 401 */
    snprintf(body, sizeof body, "{\"seller_id\": \"%s\"}", sellers[0].id);
    struct api_response *r = api_as(s, NULL, "POST", "/api/v1/conversations", body);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);

    /* 422: yourself, a buyer, no recipient, bad subject id, subject without type, unknown field */
    const char *bad[] = {NULL, NULL, "{}", NULL, NULL, NULL};
    char b0[256], b1[256], b3[256], b4[256], b5[256];
    snprintf(b0, sizeof b0, "{\"recipient_id\": \"%s\"}", buyers[0].id);
    snprintf(b1, sizeof b1, "{\"recipient_id\": \"%s\"}", buyers[1].id);
    snprintf(b3, sizeof b3, "{\"seller_id\": \"%s\", \"subject_type\": \"product\", \"subject_id\": \"ord_x\"}",
             sellers[0].id);
    snprintf(b4, sizeof b4, "{\"seller_id\": \"%s\", \"subject_id\": \"%s\"}", sellers[0].id, prd);
    snprintf(b5, sizeof b5, "{\"seller_id\": \"%s\", \"subject_type\": \"shop\"}", sellers[0].id);
    bad[0] = b0, bad[1] = b1, bad[3] = b3, bad[4] = b4, bad[5] = b5;
    for (int i = 0; i < 6; i++) {
        r = api_as(s, &buyers[0], "POST", "/api/v1/conversations", bad[i]);
        api_assert_problem(r, 422, "validation_failed");
        api_response_free(r);
    }
    /* A whitespace-only first message is refused before anything is created. */
    snprintf(body, sizeof body, "{\"seller_id\": \"%s\", \"message\": \"   \"}", sellers[0].id);
    r = api_as(s, &buyers[0], "POST", "/api/v1/conversations", body);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    cr_assert_eq(count(s, "SELECT COUNT(*) FROM conversations", NULL), 0);

    /* 404: unknown user, another seller's product, an order that does not exist */
    char ghost[64];
    api_test_id(ghost, sizeof ghost, "usr");
    snprintf(body, sizeof body, "{\"seller_id\": \"%s\"}", ghost);
    r = api_as(s, &buyers[0], "POST", "/api/v1/conversations", body);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    snprintf(body, sizeof body, "{\"seller_id\": \"%s\", \"subject_type\": \"product\", \"subject_id\": \"%s\"}",
             sellers[0].id, other_prd);
    r = api_as(s, &buyers[0], "POST", "/api/v1/conversations", body);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);

    /* 201 then 200 for the same pair and subject; another subject is another conversation. */
    snprintf(body, sizeof body,
             "{\"seller_id\": \"%s\", \"subject_type\": \"product\", \"subject_id\": \"%s\", \"message\": \"hi\"}",
             sellers[0].id, prd);
    create_conv(s, &buyers[0], body, 201, conv);
    create_conv(s, &buyers[0], body, 200, again);
    cr_assert_str_eq(conv, again);
    snprintf(body, sizeof body, "{\"recipient_id\": \"%s\"}", sellers[0].id);
    create_conv(s, &buyers[0], body, 201, plain);
    cr_assert_str_neq(conv, plain);
    cr_assert_eq(count(s, "SELECT COUNT(*) FROM messages WHERE conversation_id = $1", conv), 2,
                 "the repeated first message is stored twice (no client_msg_id)");

    r = api_as(s, &buyers[0], "GET", path_of(body, sizeof body, conv, ""), NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(str(r->json, "buyer_id"), buyers[0].id);
    cr_assert_str_eq(str(r->json, "seller_id"), sellers[0].id);
    cr_assert_str_eq(str(json_object_get(r->json, "subject"), "type"), "product");
    cr_assert_str_eq(str(json_object_get(r->json, "subject"), "id"), prd);
    cr_assert_str_eq(str(json_object_get(r->json, "other_user"), "id"), sellers[0].id);
    cr_assert_not_null(json_object_get(json_object_get(r->json, "other_user"), "shop"));
    cr_assert_str_eq(str(json_object_get(r->json, "last_message"), "preview"), "hi");
    cr_assert_str_eq(str(r->json, "access"), "participant");
    api_response_free(r);

    /* A seller may not open a conversation with a buyer without an order between them... */
    snprintf(body, sizeof body, "{\"recipient_id\": \"%s\"}", buyers[1].id);
    r = api_as(s, &sellers[0], "POST", "/api/v1/conversations", body);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    /* ...but may about an order of theirs, and the buyer's own request lands in the same conversation. */
    char order[64], sconv[64], bconv[64];
    api_paid_order(s, &buyers[1], &sellers[0], 2500, order, NULL);
    snprintf(body, sizeof body, "{\"recipient_id\": \"%s\", \"subject_type\": \"order\", \"subject_id\": \"%s\"}",
             buyers[1].id, order);
    create_conv(s, &sellers[0], body, 201, sconv);
    snprintf(body, sizeof body, "{\"seller_id\": \"%s\", \"subject_type\": \"order\", \"subject_id\": \"%s\"}",
             sellers[0].id, order);
    create_conv(s, &buyers[1], body, 200, bconv);
    cr_assert_str_eq(sconv, bconv);
    /* Someone else's order is not found. */
    r = api_as(s, &buyers[0], "POST", "/api/v1/conversations", body);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);

    /* The create race: eight identical requests, one row, one 201. */
    char race_prd[64];
    api_product(s, &sellers[1], 700, 1, race_prd);
    snprintf(body, sizeof body, "{\"seller_id\": \"%s\", \"subject_type\": \"product\", \"subject_id\": \"%s\"}",
             sellers[1].id, race_prd);
    enum { N = 8 };
    char *req[N], *reply[N];
    int status[N], created = 0, reused = 0;
    for (int i = 0; i < N; i++)
        req[i] = api_raw_request("POST", "/api/v1/conversations", &buyers[0], body);
    api_race(s, N, req, status, reply);
    for (int i = 0; i < N; i++) {
        created += status[i] == 201;
        reused += status[i] == 200;
        if (status[i] != 201 && status[i] != 200)
            cr_log_error("request %d: %d %s", i, status[i], reply[i] ? reply[i] : "(none)");
        free(req[i]);
        free(reply[i]);
    }
    cr_assert_eq(created, 1);
    cr_assert_eq(reused, N - 1);
    cr_assert_eq(count(s, "SELECT COUNT(*) FROM conversations WHERE subject_id = $1", race_prd), 1);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Messages
 */
Test(chat, messages_validation_attachments_dedupe_pages)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account buyers[2], seller;
    api_accounts(s, "buyer", "msgb", 2, buyers);
    api_account(s, "seller", "msgs", &seller);
    char conv[64], path[160], body[9000];
    snprintf(body, sizeof body, "{\"seller_id\": \"%s\"}", seller.id);
    create_conv(s, &buyers[0], body, 201, conv);
    path_of(path, sizeof path, conv, "/messages");

    /* 401, 404 for a stranger and for an unknown conversation, 400 for a malformed id. */
    struct api_response *r = api_as(s, NULL, "POST", path, "{\"body\": \"x\"}");
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = api_as(s, NULL, "GET", path, NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = api_as(s, &buyers[1], "POST", path, "{\"body\": \"x\"}");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, &buyers[1], "GET", path, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    char ghost[64], gpath[160];
    api_test_id(ghost, sizeof ghost, "cnv");
    r = api_as(s, &buyers[0], "POST", path_of(gpath, sizeof gpath, ghost, "/messages"), "{\"body\": \"x\"}");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, &buyers[0], "GET", "/api/v1/conversations/nope/messages", NULL);
    cr_assert_eq(r->status, 400, "%s", r->body);
    api_response_free(r);

    /* 422: empty, white space only, too long, too many attachments, a wrong type, unknown field, bad ids. */
    char *long_body = malloc(4100 + 32);
    strcpy(long_body, "{\"body\": \"");
    memset(long_body + 10, 'a', 4001);
    strcpy(long_body + 4011, "\"}");
    const char *bad[] = {"{}",
                         "{\"body\": \"  \\n\\t \"}",
                         long_body,
                         "{\"body\": \"x\", \"attachments\": [\"med_1\",\"med_2\",\"med_3\",\"med_4\",\"med_5\","
                         "\"med_6\",\"med_7\",\"med_8\",\"med_9\",\"med_10\",\"med_11\"]}",
                         "{\"body\": 12}",
                         "{\"body\": \"x\", \"color\": \"red\"}",
                         "{\"body\": \"x\", \"attachments\": [\"prd_01HZZZZZZZZZZZZZZZZZZZZZZZ\"]}",
                         "{\"body\": \"x\", \"client_msg_id\": \"\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = api_as(s, &buyers[0], "POST", path, bad[i]);
        api_assert_problem(r, 422, "validation_failed");
        api_response_free(r);
    }
    free(long_body);
    cr_assert_eq(count(s, "SELECT COUNT(*) FROM messages", NULL), 0);

    /* Exactly 4000 characters (multi-byte) is fine, and trimmed. */
    strcpy(body, "{\"body\": \"  ");
    size_t at = strlen(body);
    for (int i = 0; i < 4000; i++) {
        memcpy(body + at, "\xc3\xa9", 2);
        at += 2;
    }
    strcpy(body + at, " \"}");
    r = api_as(s, &buyers[0], "POST", path, body);
    cr_assert_eq(r->status, 201, "%ld %.300s", r->status, r->body);
    cr_assert_eq(strlen(str(r->json, "body")), 8000);
    api_response_free(r);

    /* Attachments: mine yes (even without text), the seller's no, the same twice no. */
    char mine[64], theirs[64];
    media_of(s, &buyers[0], mine);
    media_of(s, &seller, theirs);
    snprintf(body, sizeof body, "{\"attachments\": [\"%s\"]}", mine);
    r = api_as(s, &buyers[0], "POST", path, body);
    cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
    cr_assert_str_eq(str(r->json, "body"), "");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(r->json, "attachments"), 0)), mine);
    api_response_free(r);
    snprintf(body, sizeof body, "{\"body\": \"look\", \"attachments\": [\"%s\"]}", theirs);
    r = api_as(s, &buyers[0], "POST", path, body);
    api_assert_problem(r, 422, "validation_failed");
    cr_assert_str_eq(str(json_array_get(json_object_get(r->json, "errors"), 0), "field"), "attachments[0]");
    api_response_free(r);
    snprintf(body, sizeof body, "{\"body\": \"look\", \"attachments\": [\"%s\", \"%s\"]}", mine, mine);
    r = api_as(s, &buyers[0], "POST", path, body);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);

    /* client_msg_id: the resend returns the stored message with 200; another sender's same id is separate. */
    char first[64];
    r = api_as(s, &buyers[0], "POST", path, "{\"body\": \"once\", \"client_msg_id\": \"c-1\"}");
    cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
    snprintf(first, sizeof first, "%s", str(r->json, "id"));
    cr_assert_str_eq(str(r->json, "client_msg_id"), "c-1");
    api_response_free(r);
    r = api_as(s, &buyers[0], "POST", path, "{\"body\": \"once\", \"client_msg_id\": \"c-1\"}");
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert_str_eq(str(r->json, "id"), first);
    api_response_free(r);
    r = api_as(s, &seller, "POST", path, "{\"body\": \"reply\", \"client_msg_id\": \"c-1\"}");
    cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
    api_response_free(r);
    cr_assert_eq(count(s, "SELECT COUNT(*) FROM messages WHERE client_msg_id = $1", "c-1"), 2);
    /* Each stored message emitted one message.received event. */
    cr_assert_eq(
        count(s, "SELECT COUNT(*) FROM jobs WHERE kind = 'events.dispatch' AND payload LIKE $1", "%message.received%"),
        4);

    /* Pagination: 25 more messages, pages of 10, newest first, nothing twice, nothing missed. */
    for (int i = 0; i < 25; i++) {
        char t[32];
        snprintf(t, sizeof t, "m%02d", i);
        send_text(s, i % 2 ? &seller : &buyers[0], conv, t, NULL);
    }
    int total = count(s, "SELECT COUNT(*) FROM messages WHERE conversation_id = $1", conv);
    cr_assert_eq(total, 29);
    char cursor[200] = "", page[400], prev_time[64] = "";
    int seen = 0, pages = 0;
    json_t *ids = json_object();
    for (;;) {
        snprintf(page, sizeof page, "%s?limit=10%s%s", path, cursor[0] ? "&cursor=" : "", cursor);
        r = api_as(s, &buyers[0], "GET", page, NULL);
        cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
        json_t *m;
        size_t i;
        json_array_foreach(json_object_get(r->json, "data"), i, m)
        {
            cr_assert_null(json_object_get(ids, str(m, "id")), "message %s twice", str(m, "id"));
            json_object_set_new(ids, str(m, "id"), json_true());
            if (prev_time[0])
                cr_assert(strcmp(str(m, "created_at"), prev_time) <= 0, "not newest first");
            snprintf(prev_time, sizeof prev_time, "%s", str(m, "created_at"));
            seen++;
        }
        if (pages == 0)
            cr_assert_str_eq(str(json_array_get(json_object_get(r->json, "data"), 0), "body"), "m24");
        pages++;
        const char *next = str(r->json, "next_cursor");
        if (next == NULL) {
            api_response_free(r);
            break;
        }
        snprintf(cursor, sizeof cursor, "%s", next);
        api_response_free(r);
        cr_assert(pages < 10);
    }
    json_decref(ids);
    cr_assert_eq(seen, 29);
    cr_assert_eq(pages, 3);
    snprintf(page, sizeof page, "%s?cursor=garbage", path);
    r = api_as(s, &buyers[0], "GET", page, NULL);
    api_assert_problem(r, 400, "invalid_cursor");
    api_response_free(r);
    snprintf(page, sizeof page, "%s?limit=500", path);
    r = api_as(s, &buyers[0], "GET", page, NULL);
    cr_assert_eq(r->status, 400, "%s", r->body);
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Unread counts, read marks, inbox order
 */
Test(chat, unread_counts_read_marks_and_inbox_order)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account buyer, stranger, sellers[2];
    api_account(s, "buyer", "unrb", &buyer);
    api_account(s, "buyer", "unrx", &stranger);
    api_account(s, "seller", "unrs0", &sellers[0]);
    api_account(s, "seller", "unrs1", &sellers[1]);
    char c1[64], c2[64], body[256], path[160], m[3][64];
    snprintf(body, sizeof body, "{\"seller_id\": \"%s\"}", sellers[0].id);
    create_conv(s, &buyer, body, 201, c1);
    snprintf(body, sizeof body, "{\"seller_id\": \"%s\"}", sellers[1].id);
    create_conv(s, &buyer, body, 201, c2);

    /* GET /conversations: 401; an empty inbox for the stranger. */
    struct api_response *r = api_as(s, NULL, "GET", "/api/v1/conversations", NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = api_as(s, &stranger, "GET", "/api/v1/conversations", NULL);
    cr_assert_eq(r->status, 200);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 0);
    api_response_free(r);

    /* Newest created first while nobody wrote. */
    r = api_as(s, &buyer, "GET", "/api/v1/conversations", NULL);
    cr_assert_str_eq(str(json_array_get(json_object_get(r->json, "data"), 0), "id"), c2);
    api_response_free(r);

    for (int i = 0; i < 3; i++) {
        char t[16];
        snprintf(t, sizeof t, "s%d", i);
        send_text(s, &sellers[0], c1, t, m[i]);
    }
    /* The buyer has no socket: each message notified them (message.new). */
    cr_assert_eq(count(s, "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND type = 'message.new'", buyer.id),
                 3);
    json_t *e = inbox_entry(s, &buyer, "", c1);
    cr_assert_not_null(e);
    cr_assert_eq(num(e, "unread_count"), 3);
    cr_assert_str_eq(str(json_object_get(e, "last_message"), "id"), m[2]);
    cr_assert_str_eq(str(json_object_get(e, "last_message"), "sender_id"), sellers[0].id);
    json_decref(e);
    e = inbox_entry(s, &sellers[0], "", c1);
    cr_assert_eq(num(e, "unread_count"), 0, "my own messages are read");
    cr_assert_str_eq(str(json_object_get(e, "other_user"), "id"), buyer.id);
    json_decref(e);

    /* c1 has the newest activity: first. ?unread=true lists only it. Pages of one walk both. */
    r = api_as(s, &buyer, "GET", "/api/v1/conversations", NULL);
    cr_assert_str_eq(str(json_array_get(json_object_get(r->json, "data"), 0), "id"), c1);
    api_response_free(r);
    r = api_as(s, &buyer, "GET", "/api/v1/conversations?unread=true", NULL);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 1);
    api_response_free(r);
    r = api_as(s, &buyer, "GET", "/api/v1/conversations?limit=1", NULL);
    cr_assert_str_eq(str(json_array_get(json_object_get(r->json, "data"), 0), "id"), c1);
    char next[200], p2[300];
    snprintf(next, sizeof next, "%s", str(r->json, "next_cursor"));
    api_response_free(r);
    snprintf(p2, sizeof p2, "/api/v1/conversations?limit=1&cursor=%s", next);
    r = api_as(s, &buyer, "GET", p2, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(str(json_array_get(json_object_get(r->json, "data"), 0), "id"), c2);
    cr_assert(json_is_null(json_object_get(r->json, "next_cursor")));
    api_response_free(r);

    /* Mark read up to the second message: one left. Older marks never move it back. */
    path_of(path, sizeof path, c1, "/read");
    snprintf(body, sizeof body, "{\"message_id\": \"%s\"}", m[1]);
    r = api_as(s, &buyer, "POST", path, body);
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert_eq(num(r->json, "unread_count"), 1);
    api_response_free(r);
    snprintf(body, sizeof body, "{\"message_id\": \"%s\"}", m[0]);
    r = api_as(s, &buyer, "POST", path, body);
    cr_assert_eq(num(r->json, "unread_count"), 1);
    api_response_free(r);
    r = api_as(s, &buyer, "POST", path, "{}");
    cr_assert_eq(num(r->json, "unread_count"), 0);
    cr_assert_str_eq(str(r->json, "last_read_message_id"), m[2]);
    api_response_free(r);
    e = inbox_entry(s, &buyer, "", c1);
    cr_assert_eq(num(e, "unread_count"), 0);
    json_decref(e);

    /* POST read: 401, stranger 404, a message of another conversation 422. */
    r = api_as(s, NULL, "POST", path, "{}");
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = api_as(s, &stranger, "POST", path, "{}");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    char other_msg[64];
    send_text(s, &sellers[1], c2, "other", other_msg);
    snprintf(body, sizeof body, "{\"message_id\": \"%s\"}", other_msg);
    r = api_as(s, &buyer, "POST", path, body);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);

    /* The buyer answers in c2 (now newest): the seller sees one unread there. */
    send_text(s, &buyer, c2, "thanks", NULL);
    r = api_as(s, &buyer, "GET", "/api/v1/conversations", NULL);
    cr_assert_str_eq(str(json_array_get(json_object_get(r->json, "data"), 0), "id"), c2);
    api_response_free(r);
    e = inbox_entry(s, &sellers[1], "", c2);
    cr_assert_eq(num(e, "unread_count"), 1);
    json_decref(e);

    /* GET /conversations/:id: stranger 404, unknown 404, 401. */
    r = api_as(s, &stranger, "GET", path_of(path, sizeof path, c1, ""), NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, NULL, "GET", path, NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    char ghost[64];
    api_test_id(ghost, sizeof ghost, "cnv");
    r = api_as(s, &buyer, "GET", path_of(path, sizeof path, ghost, ""), NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);

    /* Archive: gone from the inbox unless ?archived=true; 422 without a field; stranger 404. */
    path_of(path, sizeof path, c1, "");
    r = api_as(s, &buyer, "PATCH", path, "{\"archived\": true}");
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert(json_is_true(json_object_get(r->json, "archived")));
    api_response_free(r);
    e = inbox_entry(s, &buyer, "", c1);
    cr_assert_null(e);
    e = inbox_entry(s, &buyer, "?archived=true", c1);
    cr_assert_not_null(e);
    json_decref(e);
    r = api_as(s, &buyer, "PATCH", path, "{}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = api_as(s, &stranger, "PATCH", path, "{\"muted\": true}");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);

    /* Muted: a new message is stored and counted but not notified. */
    r = api_as(s, &buyer, "PATCH", path, "{\"muted\": true}");
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert(json_is_true(json_object_get(r->json, "muted")));
    api_response_free(r);
    send_text(s, &sellers[0], c1, "quiet", NULL);
    cr_assert_eq(count(s, "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND type = 'message.new'", buyer.id),
                 4, "three from c1 and \"other\" from c2, not \"quiet\"");
    e = inbox_entry(s, &buyer, "?archived=true", c1);
    cr_assert_eq(num(e, "unread_count"), 1);
    json_decref(e);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Admins and disputes
 */
Test(chat, admins_read_disputed_conversations_only)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account buyer, seller, admin;
    api_account(s, "buyer", "dspb", &buyer);
    api_account(s, "seller", "dsps", &seller);
    api_account(s, "admin", "dspa", &admin);
    char order[64], conv[64], plain[64], body[256], path[160];
    api_paid_order(s, &buyer, &seller, 3000, order, NULL);
    snprintf(body, sizeof body,
             "{\"seller_id\": \"%s\", \"subject_type\": \"order\", \"subject_id\": \"%s\", \"message\": \"where?\"}",
             seller.id, order);
    create_conv(s, &buyer, body, 201, conv);
    snprintf(body, sizeof body, "{\"seller_id\": \"%s\", \"message\": \"hello\"}", seller.id);
    create_conv(s, &buyer, body, 201, plain);

    /* No dispute yet: the admin is a stranger. */
    struct api_response *r = api_as(s, &admin, "GET", path_of(path, sizeof path, conv, ""), NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);

    char dsp[64], now[32];
    api_test_id(dsp, sizeof dsp, "dsp");
    snprintf(now, sizeof now, "%lld", api_now_ms());
    const char *p[] = {dsp, order, buyer.id, seller.id, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO disputes (id, order_id, opened_by, buyer_id, seller_id, reason, currency, "
                              "created_at, updated_at) VALUES ($1, $2, $3, $3, $4, 'not_received', 'USD', "
                              "CAST($5 AS BIGINT), CAST($5 AS BIGINT))",
                              p, 5),
                 0);

    /* Now the admin reads the order's conversation and its messages, and cannot write. */
    r = api_as(s, &admin, "GET", path_of(path, sizeof path, conv, ""), NULL);
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert_str_eq(str(r->json, "access"), "admin_read");
    cr_assert(json_is_null(json_object_get(r->json, "other_user")));
    api_response_free(r);
    r = api_as(s, &admin, "GET", path_of(path, sizeof path, conv, "/messages"), NULL);
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert_str_eq(str(json_array_get(json_object_get(r->json, "data"), 0), "body"), "where?");
    api_response_free(r);
    r = api_as(s, &admin, "POST", path, "{\"body\": \"admin here\"}");
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    r = api_as(s, &admin, "POST", path_of(path, sizeof path, conv, "/read"), "{}");
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    r = api_as(s, &admin, "PATCH", path_of(path, sizeof path, conv, ""), "{\"muted\": true}");
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    /* It is not in the admin's inbox, and the conversation without an order stays hidden. */
    r = api_as(s, &admin, "GET", "/api/v1/conversations", NULL);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 0);
    api_response_free(r);
    r = api_as(s, &admin, "GET", path_of(path, sizeof path, plain, "/messages"), NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);

    /* A cancelled dispute gives no access. */
    const char *q[] = {dsp};
    cr_assert_eq(api_sql_exec(s, "UPDATE disputes SET status = 'cancelled' WHERE id = $1", q, 1), 0);
    r = api_as(s, &admin, "GET", path_of(path, sizeof path, conv, ""), NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    cr_assert_eq(count(s, "SELECT COUNT(*) FROM messages WHERE conversation_id = $1", conv), 1);
    api_stop(s);
}

/* A first message given with POST /conversations is stored with the conversation, once. */
Test(chat, create_with_first_message)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account buyer, seller;
    api_account(s, "buyer", "fmb", &buyer);
    api_account(s, "seller", "fms", &seller);
    char conv[64], body[256], path[160];
    snprintf(body, sizeof body, "{\"seller_id\": \"%s\", \"message\": \"  is the blue glaze food safe?  \"}",
             seller.id);
    create_conv(s, &buyer, body, 201, conv);
    /* Reused with another first message: the same conversation, a second message. */
    snprintf(body, sizeof body, "{\"seller_id\": \"%s\", \"message\": \"and dishwasher safe?\"}", seller.id);
    char again[64];
    create_conv(s, &buyer, body, 200, again);
    cr_assert_str_eq(again, conv);

    struct api_response *r = api_as(s, &seller, "GET", path_of(path, sizeof path, conv, "/messages"), NULL);
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    json_t *data = json_object_get(r->json, "data");
    cr_assert_eq(json_array_size(data), 2);
    cr_assert_str_eq(str(json_array_get(data, 0), "body"), "and dishwasher safe?");
    cr_assert_str_eq(str(json_array_get(data, 1), "body"), "is the blue glaze food safe?");
    cr_assert_str_eq(str(json_array_get(data, 1), "sender_id"), buyer.id);
    api_response_free(r);
    json_t *c = inbox_entry(s, &seller, "", conv);
    cr_assert_not_null(c);
    cr_assert_eq(num(c, "unread_count"), 2);
    json_decref(c);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Attachments are shared with the other participant (media grants)
 */
TestSuite(chat_media, .fini = media_testlib_fini, .timeout = 180);

Test(chat_media, attachment_readable_by_the_recipient_only)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account buyers[2], seller;
    api_accounts(s, "buyer", "attb", 2, buyers);
    api_account(s, "seller", "atts", &seller);
    char conv[64], path[160], body[512], media[64], mpath[128];
    snprintf(body, sizeof body, "{\"seller_id\": \"%s\"}", seller.id);
    create_conv(s, &buyers[0], body, 201, conv);

    struct mbuf img = mt_image("png", 40, 30, false, 1);
    mt_upload_ok(s, &buyers[0], &img, "message_attachment", media, sizeof media);
    free(img.data);
    snprintf(mpath, sizeof mpath, "/api/v1/media/%s", media);

    /* Before it is sent, only its owner may read it. */
    struct api_response *r = mt_get(s, &seller, mpath, NULL);
    cr_assert_eq(r->status, 404, "%ld", r->status);
    api_response_free(r);
    r = mt_get(s, &buyers[0], mpath, NULL);
    cr_assert_eq(r->status, 200, "%ld", r->status);
    api_response_free(r);

    snprintf(body, sizeof body, "{\"body\": \"the glaze\", \"attachments\": [\"%s\"]}", media);
    r = api_as(s, &buyers[0], "POST", path_of(path, sizeof path, conv, "/messages"), body);
    cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
    api_response_free(r);

    /* Sent: the seller reads it (private, not cached by shared caches); a stranger still cannot. */
    r = mt_get(s, &seller, mpath, NULL);
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert_str_eq(api_header(r, "Cache-Control"), "private, no-cache");
    api_response_free(r);
    r = mt_get(s, &buyers[1], mpath, NULL);
    cr_assert_eq(r->status, 404, "%ld", r->status);
    api_response_free(r);
    r = mt_get(s, NULL, mpath, NULL);
    cr_assert_eq(r->status, 404, "%ld", r->status);
    api_response_free(r);
    api_stop(s);
}
