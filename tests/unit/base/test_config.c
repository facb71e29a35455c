/*
 * test_config.c — precedence (flags > environment > file > defaults) and errors.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"

static char eb[256];

static void clear_env(void)
{
    unsetenv("ARTISTRY_LISTEN");
    unsetenv("ARTISTRY_THREADS");
    unsetenv("ARTISTRY_CONFIG");
    unsetenv("ARTISTRY_DATABASE_URL");
}

TestSuite(config, .init = clear_env, .fini = clear_env);

static char *write_file(const char *text)
{
    static char path[] = "/tmp/artistry-config-XXXXXX";
    strcpy(path, "/tmp/artistry-config-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

Test(config, defaults)
{
    struct config c;
    config_defaults(&c);
    cr_assert_str_eq(c.listen_host, "127.0.0.1");
    cr_assert_eq(c.listen_port, 8080);
    cr_assert_str_eq(c.database, "./data/artistry.db");
    cr_assert_eq(c.max_body, 1048576);
    cr_assert(c.migrate_on_start);
    config_free(&c);
}

Test(config, precedence)
{
    char *file = write_file("# comment\nlisten = 127.0.0.1:1111\nthreads = 3\ndatabase = \"/tmp/f.db\"\n");
    struct config c;
    config_defaults(&c);
    setenv("ARTISTRY_THREADS", "5", 1);
    setenv("ARTISTRY_LISTEN", "127.0.0.1:2222", 1);
    char *argv[] = {"--config", file, "--listen=127.0.0.1:3333"};
    cr_assert_eq(config_load(&c, 3, argv, eb, sizeof eb), 0, "%s", eb);
    cr_assert_eq(c.listen_port, 3333, "flag beats env");
    cr_assert_eq(c.threads, 5, "env beats file");
    cr_assert_str_eq(c.database, "/tmp/f.db", "file beats default");
    config_free(&c);
    unlink(file);
}

Test(config, errors_name_the_source)
{
    struct config c;
    config_defaults(&c);
    char *a1[] = {"--bogus", "1"};
    cr_assert_eq(config_load(&c, 2, a1, eb, sizeof eb), -1);
    cr_assert(strstr(eb, "--bogus") != NULL, "%s", eb);
    char *a2[] = {"--threads", "abc"};
    cr_assert_eq(config_load(&c, 2, a2, eb, sizeof eb), -1);
    cr_assert(strstr(eb, "integer") != NULL, "%s", eb);
    char *a3[] = {"--threads", "9999"};
    cr_assert_eq(config_load(&c, 2, a3, eb, sizeof eb), -1);
    char *a4[] = {"--listen", "nohostport"};
    cr_assert_eq(config_load(&c, 2, a4, eb, sizeof eb), -1);
    char *a5[] = {"--listen"};
    cr_assert_eq(config_load(&c, 1, a5, eb, sizeof eb), -1);
    char *a6[] = {"positional"};
    cr_assert_eq(config_load(&c, 1, a6, eb, sizeof eb), -1);
    char *a7[] = {"--access-log", "maybe"};
    cr_assert_eq(config_load(&c, 2, a7, eb, sizeof eb), -1);
    setenv("ARTISTRY_THREADS", "x", 1);
    cr_assert_eq(config_load(&c, 0, NULL, eb, sizeof eb), -1);
    cr_assert(strstr(eb, "ARTISTRY_THREADS") != NULL, "%s", eb);
    unsetenv("ARTISTRY_THREADS");
    char *file = write_file("listen 1\n");
    char *a8[] = {"--config", file};
    cr_assert_eq(config_load(&c, 2, a8, eb, sizeof eb), -1);
    cr_assert(strstr(eb, ":1") != NULL, "names the line: %s", eb);
    unlink(file);
    file = write_file("nosuch = 1\n");
    char *a9[] = {"--config", file};
    cr_assert_eq(config_load(&c, 2, a9, eb, sizeof eb), -1);
    cr_assert(strstr(eb, "nosuch") != NULL, "%s", eb);
    unlink(file);
    char *a10[] = {"--config", "/nonexistent/artistry.conf"};
    cr_assert_eq(config_load(&c, 2, a10, eb, sizeof eb), -1);
    config_free(&c);
}

Test(config, ipv6_listen_and_bools)
{
    struct config c;
    config_defaults(&c);
    char *argv[] = {"--listen", "[::1]:9000", "--access-log", "off", "--migrate-on-start=no"};
    cr_assert_eq(config_load(&c, 5, argv, eb, sizeof eb), 0, "%s", eb);
    cr_assert_str_eq(c.listen_host, "::1");
    cr_assert_eq(c.listen_port, 9000);
    cr_assert_not(c.access_log);
    cr_assert_not(c.migrate_on_start);
    config_free(&c);
}
