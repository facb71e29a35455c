/*
 * test_fsutil.c — mkdir -p and atomic writes.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.h"

static char root[64];

static void setup(void)
{
    snprintf(root, sizeof root, "/tmp/artistry-fsutil.XXXXXX");
    cr_assert_not_null(mkdtemp(root));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    cr_assert_eq(system(cmd), 0);
}

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

TestSuite(fsutil, .init = setup, .fini = teardown);

Test(fsutil, mkdirs_nested_existing_and_blocked)
{
    char path[160];
    snprintf(path, sizeof path, "%s/a/b/c", root);
    cr_assert_eq(fs_mkdirs(path, 0700), 0);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert(S_ISDIR(st.st_mode));
    cr_assert_eq(st.st_mode & 0777, 0700);
    cr_assert_eq(fs_mkdirs(path, 0700), 0, "existing is fine");
    /* A file in the way is an error with errno. */
    char file[160], under[200];
    snprintf(file, sizeof file, "%s/file", root);
    FILE *f = fopen(file, "w");
    fclose(f);
    snprintf(under, sizeof under, "%s/x", file);
    cr_assert_eq(fs_mkdirs(under, 0700), -1);
    cr_assert_eq(errno, ENOTDIR);
    cr_assert_eq(fs_mkdirs("", 0700), -1);
}

Test(fsutil, write_atomic_replaces_whole_file_and_leaves_nothing_else)
{
    char path[160];
    snprintf(path, sizeof path, "%s/msg.eml", root);
    cr_assert_eq(fs_write_atomic(path, "first", 5, 0600), 0);
    cr_assert_eq(fs_write_atomic(path, "second!", 7, 0640), 0);
    char buf[32] = {0};
    FILE *f = fopen(path, "r");
    cr_assert_eq(fread(buf, 1, sizeof buf - 1, f), 7);
    fclose(f);
    cr_assert_str_eq(buf, "second!");
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0640);
    cr_assert_eq(entries(root), 1, "no temporary file left");
    /* A missing directory: -1 with errno, nothing created. */
    char missing[200];
    snprintf(missing, sizeof missing, "%s/nodir/x.json", root);
    cr_assert_eq(fs_write_atomic(missing, "x", 1, 0600), -1);
    cr_assert_eq(errno, ENOENT);
    cr_assert_eq(entries(root), 1);
}
