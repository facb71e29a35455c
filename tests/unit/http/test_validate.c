/*
 * test_validate.c — parameter and body validation, UTF-8, emails, problem JSON.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "base/arena.h"
#include "base/error.h"
#include "http/errors.h"
#include "http/http.h"
#include "http/validate.h"

static const char *const colours[] = {"red", "green", NULL};

static const struct field_spec item_fields[] = {
    {.name = "qty", .type = VT_INT, .required = true, .min = 1, .max = 10},
    {0},
};
static const struct field_spec item_spec[] = {{.name = "item", .type = VT_OBJECT, .fields = item_fields}, {0}};

static const struct field_spec body[] = {
    {.name = "name", .type = VT_STRING, .required = true, .min = 1, .max = 5},
    {.name = "email", .type = VT_EMAIL},
    {.name = "colour", .type = VT_ENUM, .enum_values = colours},
    {.name = "price", .type = VT_MONEY},
    {.name = "parent", .type = VT_ID, .id_prefix = "cat", .nullable = true},
    {.name = "items", .type = VT_ARRAY, .max = 3, .fields = item_spec},
    {.name = "when", .type = VT_TIME},
    {0},
};

static struct arena a;
static void setup(void)
{
    arena_init(&a, 0);
}
static void teardown(void)
{
    arena_destroy(&a);
}
TestSuite(validate, .init = setup, .fini = teardown);

static int check(const char *json, struct app_error *err)
{
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    cr_assert_not_null(j, "test JSON: %s", je.text);
    int rc = validate_body(body, j, "", err, &a);
    json_decref(j);
    return rc;
}

static bool has_error(const struct app_error *err, const char *field, const char *code)
{
    for (size_t i = 0; i < err->nfields; i++)
        if (strcmp(err->fields[i].field, field) == 0 && strcmp(err->fields[i].code, code) == 0)
            return true;
    return false;
}

Test(validate, accepts_valid_body)
{
    struct app_error err = {0};
    cr_assert_eq(check("{\"name\":\"Vasé\",\"email\":\"a@b.co\",\"colour\":\"red\",\"price\":0,\"parent\":null,"
                       "\"items\":[{\"qty\":2}],\"when\":\"2026-11-25T10:00:00Z\"}",
                       &err),
                 0);
    cr_assert_eq(err.nfields, 0);
}

Test(validate, lists_every_bad_field)
{
    struct app_error err = {0};
    cr_assert_eq(check("{\"name\":\"toolong\",\"email\":\"nope\",\"colour\":\"blue\",\"price\":-1,\"parent\":\"usr_x\","
                       "\"items\":[{\"qty\":0},{\"qty\":\"1\"},{}],\"when\":\"yesterday\",\"extra\":1}",
                       &err),
                 -1);
    cr_assert(has_error(&err, "name", "too_long"));
    cr_assert(has_error(&err, "email", "invalid_format"));
    cr_assert(has_error(&err, "colour", "invalid_value"));
    cr_assert(has_error(&err, "price", "out_of_range"));
    cr_assert(has_error(&err, "parent", "invalid_format"));
    cr_assert(has_error(&err, "items[0].qty", "out_of_range"));
    cr_assert(has_error(&err, "items[1].qty", "invalid_type"));
    cr_assert(has_error(&err, "items[2].qty", "required"));
    cr_assert(has_error(&err, "when", "invalid_format"));
    cr_assert(has_error(&err, "extra", "unknown_field"));
}

Test(validate, required_wrong_type_and_null)
{
    struct app_error err = {0};
    cr_assert_eq(check("{\"email\":5,\"colour\":null}", &err), -1);
    cr_assert(has_error(&err, "name", "required"));
    cr_assert(has_error(&err, "email", "invalid_type"));
    cr_assert(has_error(&err, "colour", "invalid_type"));
}

Test(validate, array_limits)
{
    struct app_error err = {0};
    cr_assert_eq(check("{\"name\":\"a\",\"items\":[{\"qty\":1},{\"qty\":1},{\"qty\":1},{\"qty\":1}]}", &err), -1);
    cr_assert(has_error(&err, "items", "too_long"));
}

Test(validate, lengths_count_code_points)
{
    struct app_error err = {0};
    cr_assert_eq(check("{\"name\":\"ñññññ\"}", &err), 0, "5 code points, 10 bytes");
    cr_assert_eq(check("{\"name\":\"\"}", &err), -1);
}

Test(validate, field_errors_are_capped)
{
    struct app_error err = {0};
    char big[8192] = "{";
    for (int i = 0; i < 200; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "%s\"f%d\":1", i ? "," : "", i);
    strcat(big, "}");
    cr_assert_eq(check(big, &err), -1);
    cr_assert_eq(err.nfields, APP_ERROR_MAX_FIELDS);
}

Test(validate, params)
{
    static const struct param_spec p_int = {"limit", PARAM_QUERY, VT_INT, false, 1, 100, NULL, NULL};
    static const struct param_spec p_bool = {"in_stock", PARAM_QUERY, VT_BOOL, false, 0, 0, NULL, NULL};
    static const struct param_spec p_id = {"id", PARAM_PATH, VT_ID, true, 0, 0, "prd", NULL};
    struct app_error err = {0};
    cr_assert_eq(validate_param(&p_int, "20", &err, &a), 0);
    cr_assert_eq(validate_param(&p_int, "0", &err, &a), -1);
    cr_assert_eq(validate_param(&p_int, "20x", &err, &a), -1);
    cr_assert_eq(validate_param(&p_int, "99999999999999999999", &err, &a), -1);
    cr_assert_eq(validate_param(&p_bool, "true", &err, &a), 0);
    cr_assert_eq(validate_param(&p_bool, "yes", &err, &a), -1);
    cr_assert_eq(validate_param(&p_id, "prd_01JDQ8V7R3X1W9ZK4M2N5P6Q7R", &err, &a), 0);
    cr_assert_eq(validate_param(&p_id, "usr_01JDQ8V7R3X1W9ZK4M2N5P6Q7R", &err, &a), -1);
    cr_assert_eq(validate_param(&p_id, "prd_1' OR 1=1 --", &err, &a), -1);
}

Test(validate, utf8)
{
    cr_assert(utf8_valid("plain", 5));
    cr_assert(utf8_valid("\xc3\xa9", 2));
    cr_assert(utf8_valid("\xf0\x9f\x8e\xa8", 4), "emoji");
    cr_assert_not(utf8_valid("\xc3", 1), "truncated");
    cr_assert_not(utf8_valid("\xc0\xaf", 2), "overlong");
    cr_assert_not(utf8_valid("\xed\xa0\x80", 3), "surrogate");
    cr_assert_not(utf8_valid("\xf4\x90\x80\x80", 4), "past U+10FFFF");
    cr_assert_not(utf8_valid("a\0b", 3), "NUL");
    cr_assert_not(utf8_valid("\xff", 1));
}

Test(validate, emails)
{
    cr_assert(email_valid("maker@studio.example"));
    cr_assert(email_valid("a.b+tag@sub.domain.co"));
    cr_assert_not(email_valid("no-at.example"));
    cr_assert_not(email_valid("@example.com"));
    cr_assert_not(email_valid("a@b"));
    cr_assert_not(email_valid("a@-b.com"));
    cr_assert_not(email_valid("a b@c.com"));
    cr_assert_not(email_valid("a@b..com"));
    cr_assert_not(email_valid("<script>@x.com"));
}

Test(validate, problem_json_shape)
{
    struct app_error err = {0};
    app_error_set(&err, &a, "validation_failed", "2 fields are invalid");
    app_error_add_field(&err, &a, "name", "required", "is required");
    cr_assert_eq(http_error_status("validation_failed"), 422);
    cr_assert_eq(http_error_status("no_such_code"), 500);
    json_t *p = http_problem_json(&err, 422, "/api/v1/x", "req_1");
    cr_assert_str_eq(json_string_value(json_object_get(p, "code")), "validation_failed");
    cr_assert_eq(json_integer_value(json_object_get(p, "status")), 422);
    cr_assert_str_eq(json_string_value(json_object_get(p, "type")),
                     "https://artistry.cart/problems/validation-failed");
    cr_assert_str_eq(json_string_value(json_object_get(p, "title")), "Validation failed");
    cr_assert_str_eq(json_string_value(json_object_get(p, "instance")), "/api/v1/x");
    json_t *errs = json_object_get(p, "errors");
    cr_assert_eq(json_array_size(errs), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(errs, 0), "field")), "name");
    json_decref(p);
}
