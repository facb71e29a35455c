/*
 * api_client.c — see api_client.h.
 *
 * Processes: the server is a plain fork+execve child with PR_SET_PDEATHSIG,
 * so a test that crashes or times out never leaves a server behind.
 * Everything the child needs (argv, envp, the log descriptor) is prepared
 * before fork(), so the child only calls async-signal-safe functions.
 */
#include "api/api_client.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

extern char **environ;

#define MAX_SERVERS 16
#define MAX_ARGS 64
#define MAX_ENV 512

static struct api_server *live[MAX_SERVERS];

/*-----------------------------------------------------------------------------
 * Small utilities
 */

long long api_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void api_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n, sz);
    if (!p) {
        fprintf(stderr, "api_client: out of memory\n");
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p) {
        fprintf(stderr, "api_client: out of memory\n");
        abort();
    }
    return p;
}

static char *read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 4096, len = 0;
    char *buf;
    if (!f) {
        if (len_out)
            *len_out = 0;
        return xstrdup("");
    }
    buf = xcalloc(1, cap);
    for (;;) {
        size_t n;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf)
                abort();
        }
        n = fread(buf + len, 1, cap - len - 1, f);
        if (n == 0)
            break;
        len += n;
    }
    fclose(f);
    buf[len] = '\0';
    if (len_out)
        *len_out = len;
    return buf;
}

static void random_hex(char *out, size_t nbytes)
{
    unsigned char b[32];
    static const char hex[] = "0123456789abcdef";
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    size_t i;
    if (nbytes > sizeof b)
        nbytes = sizeof b;
    if (fd < 0 || read(fd, b, nbytes) != (ssize_t)nbytes) {
        unsigned long long x = (unsigned long long)api_now_ms() ^ ((unsigned long long)getpid() << 20);
        for (i = 0; i < nbytes; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            b[i] = (unsigned char)(x >> 56);
        }
    }
    if (fd >= 0)
        close(fd);
    for (i = 0; i < nbytes; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * nbytes] = '\0';
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void rm_rf(const char *dir)
{
    if (dir[0])
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *api_bin(void)
{
    const char *b = getenv("ARTISTRY_BIN");
    return b && *b ? b : "build/artistry";
}

static const char *pg_admin_url(void)
{
    const char *u = getenv("ARTISTRY_TEST_DATABASE_URL");
    return u && *u ? u : NULL;
}

bool api_pg(void)
{
    return pg_admin_url() != NULL;
}

static int start_timeout_ms(void)
{
    const char *t = getenv("ARTISTRY_TEST_START_TIMEOUT");
    int v = t ? atoi(t) : 0;
    return (v > 0 ? v : 15) * 1000;
}

static bool keep_files(void)
{
    const char *k = getenv("ARTISTRY_TEST_KEEP");
    return k && *k && strcmp(k, "0") != 0;
}

int api_free_port(void)
{
    for (int attempt = 0; attempt < 50; attempt++) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t alen = sizeof a;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int port = 0;
        if (fd < 0)
            continue;
        if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
            port = ntohs(a.sin_port);
        close(fd);
        if (port > 0)
            return port;
    }
    cr_assert_fail("api_free_port: could not find a free port: %s", strerror(errno));
    return 0;
}

/*-----------------------------------------------------------------------------
 * Environment and process spawning
 */

/* The child's environment: ours minus every ARTISTRY_* setting (so a
 * developer's shell cannot change what a test observes), plus extras. */
static char **build_env(const char *const *extra)
{
    char **envp = xcalloc(MAX_ENV, sizeof *envp);
    size_t n = 0;
    for (char **e = environ; *e && n < MAX_ENV - 64; e++) {
        if (strncmp(*e, "ARTISTRY_", 9) == 0)
            continue;
        envp[n++] = *e;
    }
    for (size_t i = 0; extra && extra[i] && n < MAX_ENV - 1; i++)
        envp[n++] = (char *)(uintptr_t)extra[i];
    envp[n] = NULL;
    return envp;
}

/* Fork and exec argv with envp; stdout/stderr to out_fd/err_fd, stdin from /dev/null. */
static pid_t spawn(char **argv, char **envp, int out_fd, int err_fd)
{
    pid_t parent = getpid();
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t pid;
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        if (devnull >= 0)
            close(devnull);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        signal(SIGPIPE, SIG_DFL);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        execve(argv[0], argv, envp);
        {
            /* Only async-signal-safe calls here: format errno by hand. */
            char msg[64] = "api_client: execve failed, errno ";
            size_t n = strlen(msg);
            int e = errno;
            char digits[12];
            int d = 0;
            do {
                digits[d++] = (char)('0' + e % 10);
                e /= 10;
            } while (e > 0 && d < 11);
            while (d > 0 && n < sizeof msg - 2)
                msg[n++] = digits[--d];
            msg[n++] = '\n';
            ssize_t w = write(2, msg, n);
            (void)w;
        }
        _exit(127);
    }
    if (devnull >= 0)
        close(devnull);
    return pid;
}

/* Wait for pid up to timeout_ms, then SIGKILL. Returns the wait status. */
static int wait_pid(pid_t pid, int timeout_ms)
{
    long long deadline = mono_ms() + timeout_ms;
    int st = 0;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return st;
        if (r < 0 && errno != EINTR)
            return -1;
        if (mono_ms() >= deadline)
            break;
        api_sleep_ms(10);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return st;
}

static int exit_code(int st)
{
    if (st == -1)
        return -1;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

void api_run(const char *const *args, const char *const *env, int timeout_ms, struct api_cmd *res)
{
    char *argv[MAX_ARGS];
    char **envp = build_env(env);
    int po[2], pe[2];
    size_t n = 0;
    struct {
        char *buf;
        size_t len, cap;
        int fd;
    } io[2];
    long long deadline = mono_ms() + timeout_ms;
    pid_t pid;
    int st;

    memset(res, 0, sizeof *res);
    argv[n++] = (char *)(uintptr_t)api_bin();
    for (size_t i = 0; args && args[i] && n < MAX_ARGS - 1; i++)
        argv[n++] = (char *)(uintptr_t)args[i];
    argv[n] = NULL;
    if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0)
        cr_assert_fail("api_run: pipe: %s", strerror(errno));
    pid = spawn(argv, envp, po[1], pe[1]);
    close(po[1]);
    close(pe[1]);
    free(envp);
    cr_assert(pid > 0, "api_run: fork failed");
    io[0].fd = po[0];
    io[1].fd = pe[0];
    for (int i = 0; i < 2; i++) {
        io[i].cap = 4096;
        io[i].len = 0;
        io[i].buf = xcalloc(1, io[i].cap);
    }
    while (io[0].fd >= 0 || io[1].fd >= 0) {
        struct pollfd p[2] = {{io[0].fd, POLLIN, 0}, {io[1].fd, POLLIN, 0}};
        long long left = deadline - mono_ms();
        if (left <= 0)
            break;
        if (poll(p, 2, (int)(left > 200 ? 200 : left)) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            ssize_t r;
            if (io[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (io[i].cap - io[i].len < 1024) {
                io[i].cap *= 2;
                io[i].buf = realloc(io[i].buf, io[i].cap);
                if (!io[i].buf)
                    abort();
            }
            r = read(io[i].fd, io[i].buf + io[i].len, io[i].cap - io[i].len - 1);
            if (r > 0) {
                io[i].len += (size_t)r;
            } else if (r == 0 || errno != EINTR) {
                close(io[i].fd);
                io[i].fd = -1;
            }
        }
    }
    for (int i = 0; i < 2; i++) {
        if (io[i].fd >= 0)
            close(io[i].fd);
        io[i].buf[io[i].len] = '\0';
    }
    {
        long long left = deadline - mono_ms();
        st = wait_pid(pid, left > 0 ? (int)left : 0);
    }
    res->status = exit_code(st);
    res->out = io[0].buf;
    res->err = io[1].buf;
}

void api_cmd_free(struct api_cmd *res)
{
    free(res->out);
    free(res->err);
    res->out = res->err = NULL;
}

/*-----------------------------------------------------------------------------
 * PostgreSQL databases per server
 */

/* Replace the database name in a postgres:// URL. */
static void pg_url_with_db(const char *url, const char *db, char *out, size_t cap)
{
    const char *auth = strstr(url, "://");
    const char *slash, *q;
    auth = auth ? auth + 3 : url;
    q = strchr(auth, '?');
    slash = strchr(auth, '/');
    if (slash && q && slash > q)
        slash = NULL;
    if (slash) {
        snprintf(out, cap, "%.*s/%s%s", (int)(slash - url), url, db, q ? q : "");
    } else if (q) {
        snprintf(out, cap, "%.*s/%s%s", (int)(q - url), url, db, q);
    } else {
        snprintf(out, cap, "%s/%s", url, db);
    }
}

static int pg_admin_exec(const char *sql)
{
    PGconn *c = PQconnectdb(pg_admin_url());
    int rc = -1;
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "api_client: cannot connect to %s: %s", pg_admin_url(), PQerrorMessage(c));
    } else {
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) == PGRES_COMMAND_OK)
            rc = 0;
        else
            fprintf(stderr, "api_client: %s: %s", sql, PQerrorMessage(c));
        PQclear(r);
    }
    PQfinish(c);
    return rc;
}

static void pg_drop_one(char *name)
{
    char sql[160];
    if (!name[0])
        return;
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
    pg_admin_exec(sql);
    name[0] = '\0';
}

static void pg_drop(struct api_server *s)
{
    pg_drop_one(s->pg_name);
    for (size_t i = 0; i < sizeof s->pg_extra / sizeof s->pg_extra[0]; i++)
        pg_drop_one(s->pg_extra[i]);
}

void api_scratch_db(struct api_server *s, const char *name, char *url, size_t cap)
{
    if (!s->is_pg) {
        snprintf(url, cap, "%s/%s.db", s->tmpdir, name);
        return;
    }
    for (size_t i = 0; i < sizeof s->pg_extra / sizeof s->pg_extra[0]; i++) {
        char sql[160];
        if (s->pg_extra[i][0])
            continue;
        snprintf(s->pg_extra[i], sizeof s->pg_extra[i], "%s_%s", s->pg_name, name);
        snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", s->pg_extra[i]);
        if (pg_admin_exec(sql) != 0) {
            s->pg_extra[i][0] = '\0';
            cr_assert_fail("api_scratch_db: cannot create %s_%s", s->pg_name, name);
        }
        pg_url_with_db(pg_admin_url(), s->pg_extra[i], url, cap);
        return;
    }
    cr_assert_fail("api_scratch_db: too many scratch databases");
}

/*-----------------------------------------------------------------------------
 * Servers
 */

static void track(struct api_server *s)
{
    for (int i = 0; i < MAX_SERVERS; i++) {
        if (!live[i]) {
            live[i] = s;
            return;
        }
    }
}

static void untrack(struct api_server *s)
{
    for (int i = 0; i < MAX_SERVERS; i++)
        if (live[i] == s)
            live[i] = NULL;
}

static void log_tail_to(struct api_server *s, size_t bytes, FILE *f)
{
    size_t len;
    char *log = read_file(s->log_path, &len);
    const char *start = len > bytes ? log + len - bytes : log;
    fprintf(f, "---- %s (last %zu bytes) ----\n%s\n---- end of server log ----\n", s->log_path, bytes, start);
    free(log);
    fflush(f);
}

void api_log_tail(struct api_server *s, size_t bytes)
{
    log_tail_to(s, bytes, stderr);
}

char *api_log(struct api_server *s)
{
    return read_file(s->log_path, NULL);
}

/* One GET on a throwaway handle (so the server's own handle's connection
 * count is not disturbed). Returns the status or 0. */
/*
 * True when process pid holds a socket listening on TCP port `port`: the
 * inode of a LISTEN row of /proc/net/tcp[6] for that port is one of the
 * process's fds. A readiness probe that answers 200 proves nothing on its
 * own: two tests can draw the same free port, and while the second server
 * is still failing to bind, the first one answers the second's probe.
 */
static bool pid_listens_on(pid_t pid, int port)
{
    unsigned long inodes[16];
    size_t n = 0;
    const char *tables[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    for (size_t t = 0; t < 2; t++) {
        FILE *f = fopen(tables[t], "r");
        if (f == NULL)
            continue;
        char line[512];
        while (fgets(line, sizeof line, f) != NULL && n < 16) {
            char local[128];
            unsigned st;
            unsigned long inode;
            /* sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode */
            if (sscanf(line, " %*s %127s %*s %x %*s %*s %*s %*s %*s %lu", local, &st, &inode) != 3)
                continue;
            const char *colon = strrchr(local, ':');
            if (st == 0x0A && colon != NULL && strtol(colon + 1, NULL, 16) == port)
                inodes[n++] = inode;
        }
        fclose(f);
    }
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
    for (int fd = 0; fd < 1024 && n > 0; fd++) {
        char path[96], target[128];
        snprintf(path, sizeof path, "%s/%d", dir, fd);
        ssize_t len = readlink(path, target, sizeof target - 1);
        if (len <= 0)
            continue;
        target[len] = '\0';
        unsigned long inode;
        if (sscanf(target, "socket:[%lu]", &inode) == 1)
            for (size_t i = 0; i < n; i++)
                if (inodes[i] == inode)
                    return true;
    }
    return false;
}

static long probe(const char *url)
{
    CURL *c = curl_easy_init();
    long code = 0;
    if (!c)
        return 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 500L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_NOBODY, 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, NULL);
    {
        FILE *sink = fopen("/dev/null", "w");
        curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
        if (curl_easy_perform(c) == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if (sink)
            fclose(sink);
    }
    curl_easy_cleanup(c);
    return code;
}

enum launch_result { LAUNCH_OK, LAUNCH_EXITED, LAUNCH_TIMEOUT };

static enum launch_result launch(struct api_server *s)
{
    char *argv[MAX_ARGS];
    char listen[64], url[128];
    char **envp;
    size_t n = 0;
    int logfd;
    long long deadline;

    argv[n++] = (char *)(uintptr_t)api_bin();
    argv[n++] = "serve";
    if (!s->opts.no_listen_flag) {
        snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);
        argv[n++] = "--listen";
        argv[n++] = listen;
    }
    argv[n++] = "--database";
    argv[n++] = s->db_url;
    argv[n++] = "--data-dir";
    argv[n++] = s->data_dir;
    argv[n++] = "--threads";
    argv[n++] = "2";
    argv[n++] = "--job-workers";
    argv[n++] = "1";
    for (size_t i = 0; s->opts.args && s->opts.args[i] && n < MAX_ARGS - 1; i++)
        argv[n++] = (char *)(uintptr_t)s->opts.args[i];
    argv[n] = NULL;

    snprintf(s->base_url, sizeof s->base_url, "http://127.0.0.1:%d", s->port);
    logfd = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    cr_assert(logfd >= 0, "api_start: cannot open %s: %s", s->log_path, strerror(errno));
    {
        char banner[128];
        int bl = snprintf(banner, sizeof banner, "==== api_client: starting server on port %d ====\n", s->port);
        ssize_t w = write(logfd, banner, (size_t)bl);
        (void)w;
    }
    envp = build_env(s->opts.env);
    s->pid = spawn(argv, envp, logfd, logfd);
    free(envp);
    close(logfd);
    cr_assert(s->pid > 0, "api_start: fork failed: %s", strerror(errno));

    snprintf(url, sizeof url, "%s%s", s->base_url, s->opts.ready_path ? s->opts.ready_path : "/readyz");
    deadline = mono_ms() + start_timeout_ms();
    while (mono_ms() < deadline) {
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            s->exit_status = st;
            return LAUNCH_EXITED;
        }
        if (probe(url) == 200 && pid_listens_on(s->pid, s->port))
            return LAUNCH_OK;
        api_sleep_ms(50);
    }
    return LAUNCH_TIMEOUT;
}

static bool log_says_addr_in_use(struct api_server *s)
{
    char *log = api_log(s);
    bool yes = strcasestr(log, "in use") != NULL || strcasestr(log, "EADDRINUSE") != NULL;
    free(log);
    return yes;
}

/* Launch with retries on a port taken between api_free_port() and bind(). */
static void launch_or_fail(struct api_server *s)
{
    enum launch_result r = LAUNCH_EXITED;
    for (int attempt = 0; attempt < 5; attempt++) {
        if (!s->opts.no_listen_flag && attempt > 0)
            s->port = api_free_port();
        r = launch(s);
        if (r == LAUNCH_OK)
            return;
        if (r != LAUNCH_EXITED || s->opts.no_listen_flag || !log_says_addr_in_use(s))
            break;
    }
    api_log_tail(s, 4000);
    if (r == LAUNCH_TIMEOUT) {
        int st = wait_pid(s->pid, 0);
        s->pid = 0;
        cr_assert_fail("server on port %d not ready within %d ms (killed, status %d); log: %s", s->port,
                       start_timeout_ms(), exit_code(st), s->log_path);
    }
    cr_assert_fail("server exited during start-up with status %d; log: %s", exit_code(s->exit_status),
                   s->log_path);
}

struct api_server *api_start(const struct api_opts *opts)
{
    struct api_server *s = xcalloc(1, sizeof *s);
    const char *tmp = getenv("TMPDIR");

    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (opts)
        s->opts = *opts;
    s->exit_status = -1;
    snprintf(s->tmpdir, sizeof s->tmpdir, "%s/artistry-api-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    cr_assert(mkdtemp(s->tmpdir) != NULL, "mkdtemp: %s", strerror(errno));
    snprintf(s->log_path, sizeof s->log_path, "%s/server.log", s->tmpdir);
    snprintf(s->data_dir, sizeof s->data_dir, "%s/data", s->tmpdir);
    mkdir(s->data_dir, 0755);

    if (api_pg()) {
        char sql[128], hex[17];
        random_hex(hex, 8);
        snprintf(s->pg_name, sizeof s->pg_name, "artistry_t_%s", hex);
        snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", s->pg_name);
        if (pg_admin_exec(sql) != 0) {
            s->pg_name[0] = '\0';
            rm_rf(s->tmpdir);
            free(s);
            cr_assert_fail("cannot create a PostgreSQL test database on %s", pg_admin_url());
        }
        pg_url_with_db(pg_admin_url(), s->pg_name, s->db_url, sizeof s->db_url);
        s->is_pg = true;
    } else {
        snprintf(s->db_url, sizeof s->db_url, "%s/artistry.db", s->tmpdir);
    }
    s->port = s->opts.no_listen_flag ? s->opts.port : api_free_port();
    s->curl = curl_easy_init();
    cr_assert(s->curl != NULL, "curl_easy_init failed");
    track(s);
    launch_or_fail(s);
    if (s->opts.seed_demo)
        api_seed_demo(s);
    return s;
}

int api_terminate(struct api_server *s, int timeout_ms)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        s->exit_status = wait_pid(s->pid, timeout_ms);
        s->pid = 0;
    }
    return s->exit_status;
}

void api_kill9(struct api_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        s->exit_status = wait_pid(s->pid, 5000);
        s->pid = 0;
    }
}

void api_restart(struct api_server *s)
{
    if (s->pid > 0)
        api_terminate(s, 10000);
    /* A new connection is needed anyway; drop the old one cleanly. */
    if (s->curl)
        curl_easy_cleanup(s->curl);
    s->curl = curl_easy_init();
    launch_or_fail(s);
}

static void release(struct api_server *s)
{
    if (s->curl)
        curl_easy_cleanup(s->curl);
    s->curl = NULL;
    pg_drop(s);
    if (!keep_files())
        rm_rf(s->tmpdir);
    untrack(s);
    free(s);
}

/* Sanitizer and crash reports the server wrote to its log. */
static const char *log_trouble(const char *log)
{
    static const char *const marks[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                                        "WARNING: ThreadSanitizer", NULL};
    for (int i = 0; marks[i]; i++)
        if (strstr(log, marks[i]))
            return marks[i];
    return NULL;
}

void api_stop(struct api_server *s)
{
    int st, code;
    const char *trouble;
    char *log;
    char msg[512];

    if (!s)
        return;
    st = s->pid > 0 ? api_terminate(s, 10000) : s->exit_status;
    code = exit_code(st);
    log = api_log(s);
    trouble = log_trouble(log);
    msg[0] = '\0';
    if (trouble)
        snprintf(msg, sizeof msg, "server log contains \"%s\" (exit status %d)", trouble, code);
    else if (code != 0 && code != -1)
        snprintf(msg, sizeof msg, "server did not exit cleanly on SIGTERM: status %d", code);
    free(log);
    if (msg[0])
        api_log_tail(s, 6000);
    release(s);
    cr_assert(msg[0] == '\0', "%s", msg);
}

void api_cleanup_all(void)
{
    for (int i = 0; i < MAX_SERVERS; i++) {
        struct api_server *s = live[i];
        if (!s)
            continue;
        if (s->pid > 0)
            api_terminate(s, 5000);
        release(s);
    }
}

void api_seed_demo(struct api_server *s)
{
    const char *args[] = {"seed", "--demo", "--database", s->db_url, "--data-dir", s->data_dir, NULL};
    struct api_cmd r;
    api_run(args, s->opts.env, 60000, &r);
    if (r.status != 0)
        fprintf(stderr, "seed --demo failed (%d):\nstdout: %s\nstderr: %s\n", r.status, r.out, r.err);
    {
        int status = r.status;
        api_cmd_free(&r);
        cr_assert_eq(status, 0, "`artistry seed --demo` exited with %d", status);
    }
}

/*-----------------------------------------------------------------------------
 * HTTP
 */

struct collect {
    char *buf;
    size_t len, cap;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    struct collect *c = ud;
    size_t n = size * nmemb;
    if (c->len + n + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        while (c->len + n + 1 > cap)
            cap *= 2;
        c->buf = realloc(c->buf, cap);
        if (!c->buf)
            abort();
        c->cap = cap;
    }
    memcpy(c->buf + c->len, data, n);
    c->len += n;
    c->buf[c->len] = '\0';
    return n;
}

static void clear_headers(struct api_response *r)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    r->headers = NULL;
    r->nheaders = 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    struct api_response *r = ud;
    size_t n = size * nmemb, len = n;
    const char *colon;
    while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        len--;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        clear_headers(r); /* a new (final or interim) response starts */
        return n;
    }
    colon = memchr(data, ':', len);
    if (colon) {
        const char *v = colon + 1;
        size_t vlen;
        struct api_header *h;
        while (v < data + len && (*v == ' ' || *v == '\t'))
            v++;
        vlen = (size_t)(data + len - v);
        r->headers = realloc(r->headers, (r->nheaders + 1) * sizeof *r->headers);
        if (!r->headers)
            abort();
        h = &r->headers[r->nheaders++];
        h->name = strndup(data, (size_t)(colon - data));
        h->value = strndup(v, vlen);
        if (!h->name || !h->value)
            abort();
    }
    return n;
}

static bool has_header(const char *const *headers, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; headers && headers[i]; i++)
        if (strncasecmp(headers[i], name, nl) == 0 && headers[i][nl] == ':')
            return true;
    return false;
}

struct api_response *api_request(struct api_server *s, const char *method, const char *path,
                                 const char *const *headers, const void *body, size_t len)
{
    struct api_response *r = xcalloc(1, sizeof *r);
    struct collect c = {0};
    struct curl_slist *hl = NULL;
    CURL *h = s->curl;
    char url[2048];
    CURLcode rc;
    const char *ct;

    snprintf(url, sizeof url, "%s%s", s->base_url, path);
    curl_easy_reset(h); /* keeps the connection cache */
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &c);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->curl_error);
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);

    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        /* libcurl would otherwise add application/x-www-form-urlencoded. */
        if (!has_header(headers, "Content-Type"))
            hl = curl_slist_append(hl, "Content-Type:");
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
    for (size_t i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    if (hl)
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);

    rc = curl_easy_perform(h);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    } else {
        r->status = 0;
        if (!r->curl_error[0])
            snprintf(r->curl_error, sizeof r->curl_error, "%s", curl_easy_strerror(rc));
    }
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &r->num_connects);
    curl_slist_free_all(hl);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);

    r->body = c.buf ? c.buf : xstrdup("");
    r->body_len = c.len;
    ct = api_header(r, "Content-Type");
    if (ct && strstr(ct, "json") && r->body_len > 0)
        r->json = json_loadb(r->body, r->body_len, 0, NULL);
    return r;
}

struct api_response *api_get(struct api_server *s, const char *path)
{
    return api_request(s, "GET", path, NULL, NULL, 0);
}

struct api_response *api_post_json(struct api_server *s, const char *path, const char *json_text,
                                   const char *const *headers)
{
    const char *hs[32];
    size_t n = 0;
    hs[n++] = "Content-Type: application/json";
    for (size_t i = 0; headers && headers[i] && n < 31; i++)
        hs[n++] = headers[i];
    hs[n] = NULL;
    return api_request(s, "POST", path, hs, json_text, json_text ? strlen(json_text) : 0);
}

const char *api_header(const struct api_response *r, const char *name)
{
    const char *v = NULL;
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            v = r->headers[i].value;
    return v;
}

void api_response_free(struct api_response *r)
{
    if (!r)
        return;
    clear_headers(r);
    free(r->body);
    if (r->json)
        json_decref(r->json);
    free(r);
}

void api_assert_problem(const struct api_response *r, long status, const char *code)
{
    const char *ct = api_header(r, "Content-Type");
    json_t *j = r->json;
    cr_assert_eq(r->status, status, "expected status %ld (%s), got %ld; body: %.500s %s", status, code, r->status,
                 r->body, r->curl_error);
    cr_assert(ct && strncasecmp(ct, "application/problem+json", 24) == 0,
              "expected Content-Type application/problem+json for %s, got %s", code, ct ? ct : "(none)");
    cr_assert(json_is_object(j), "problem body is not a JSON object: %.500s", r->body);
    cr_assert(json_is_string(json_object_get(j, "type")), "problem lacks type: %.500s", r->body);
    cr_assert(json_is_string(json_object_get(j, "title")), "problem lacks title: %.500s", r->body);
    cr_assert(json_is_string(json_object_get(j, "detail")), "problem lacks detail: %.500s", r->body);
    cr_assert(json_is_integer(json_object_get(j, "status")) &&
                  json_integer_value(json_object_get(j, "status")) == status,
              "problem status field is not %ld: %.500s", status, r->body);
    cr_assert(json_is_string(json_object_get(j, "code")) &&
                  strcmp(json_string_value(json_object_get(j, "code")), code) == 0,
              "expected code \"%s\": %.500s", code, r->body);
}

void api_assert_alive(struct api_server *s)
{
    struct api_response *r = api_get(s, "/healthz");
    long st = r->status;
    char err[256];
    snprintf(err, sizeof err, "%s", r->curl_error);
    api_response_free(r);
    if (st != 200)
        api_log_tail(s, 3000);
    cr_assert_eq(st, 200, "server no longer answers /healthz (status %ld %s)", st, err);
}

/*-----------------------------------------------------------------------------
 * Raw sockets
 */

char *api_raw(struct api_server *s, const void *data, size_t len, int timeout_ms, size_t *out_len)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    size_t off = 0, cap = 8192, got = 0;
    char *buf;
    if (fd < 0)
        return NULL;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return NULL;
    }
    buf = xcalloc(1, cap);
    /* Send what the server takes; it may answer and close early. */
    while (off < len) {
        struct pollfd p = {fd, POLLOUT, 0};
        ssize_t w;
        if (poll(&p, 1, timeout_ms) <= 0)
            break;
        w = send(fd, (const char *)data + off, len - off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            break;
        }
        off += (size_t)w;
    }
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t r;
        if (poll(&p, 1, timeout_ms) <= 0)
            break;
        if (cap - got < 4096) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf)
                abort();
        }
        r = recv(fd, buf + got, cap - got - 1, 0);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    if (out_len)
        *out_len = got;
    return buf;
}

int api_raw_status(const char *reply)
{
    int code = 0;
    if (!reply || strncmp(reply, "HTTP/1.", 7) != 0)
        return 0;
    if (sscanf(reply + 8, " %3d", &code) != 1)
        return 0;
    return code;
}

char *api_raw_request(const char *method, const char *path, const struct api_account *acct, const char *json_text)
{
    size_t cap = strlen(path) + (acct ? strlen(acct->auth) : 0) + (json_text ? strlen(json_text) : 0) + 256;
    char *request = malloc(cap);
    cr_assert_not_null(request);
    snprintf(request, cap,
             "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s", method,
             path, acct ? acct->auth : "", acct ? "\r\n" : "", json_text ? "Content-Type: application/json\r\n" : "",
             json_text ? strlen(json_text) : 0, json_text ? json_text : "");
    return request;
}

struct race_many {
    struct api_server *s;
    const char *request;
    pthread_barrier_t *go;
    int status;
    char *reply;
};

static void *race_one(void *arg)
{
    struct race_many *r = arg;
    size_t n;
    pthread_barrier_wait(r->go);
    r->reply = api_raw(r->s, r->request, strlen(r->request), 60000, &n);
    r->status = r->reply ? api_raw_status(r->reply) : 0;
    return NULL;
}

void api_race(struct api_server *s, int n, char *const *requests, int *status, char **replies)
{
    struct race_many *rs = calloc((size_t)n, sizeof *rs);
    pthread_t *th = calloc((size_t)n, sizeof *th);
    pthread_barrier_t go;
    cr_assert(rs != NULL && th != NULL);
    cr_assert_eq(pthread_barrier_init(&go, NULL, (unsigned)n), 0);
    for (int i = 0; i < n; i++) {
        rs[i] = (struct race_many){.s = s, .request = requests[i], .go = &go};
        cr_assert_eq(pthread_create(&th[i], NULL, race_one, &rs[i]), 0);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        status[i] = rs[i].status;
        if (replies != NULL)
            replies[i] = rs[i].reply;
        else
            free(rs[i].reply);
    }
    pthread_barrier_destroy(&go);
    free(th);
    free(rs);
}

/*-----------------------------------------------------------------------------
 * Log lines
 */

char *api_log_wait_line(struct api_server *s, const char *const *needles, int timeout_ms)
{
    long long deadline = mono_ms() + timeout_ms;
    for (;;) {
        char *log = api_log(s);
        char *line = log, *found = NULL;
        while (line && *line) {
            char *nl = strchr(line, '\n');
            bool all = true;
            if (nl)
                *nl = '\0';
            for (size_t i = 0; needles[i]; i++) {
                if (!strstr(line, needles[i])) {
                    all = false;
                    break;
                }
            }
            if (all) {
                found = xstrdup(line);
                break;
            }
            line = nl ? nl + 1 : NULL;
        }
        free(log);
        if (found)
            return found;
        if (mono_ms() >= deadline)
            return NULL;
        api_sleep_ms(20);
    }
}

/*-----------------------------------------------------------------------------
 * Direct SQL
 */

static int sqlite_run(const char *path, const char *sql, const char *const *params, int n, char *buf, size_t cap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1, step;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "api_sql: open %s: %s\n", path, db ? sqlite3_errmsg(db) : "?");
        goto out;
    }
    sqlite3_busy_timeout(db, 10000);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "api_sql: %s: %s\n", sql, sqlite3_errmsg(db));
        goto out;
    }
    for (int i = 0; i < n; i++) {
        char name[16];
        int idx;
        snprintf(name, sizeof name, "$%d", i + 1);
        idx = sqlite3_bind_parameter_index(st, name);
        if (idx > 0) {
            if (params[i])
                sqlite3_bind_text(st, idx, params[i], -1, SQLITE_TRANSIENT);
            else
                sqlite3_bind_null(st, idx);
        }
    }
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        if (buf)
            snprintf(buf, cap, "%s", t ? (const char *)t : "");
        rc = 1;
    } else if (step == SQLITE_DONE) {
        if (buf && cap)
            buf[0] = '\0';
        rc = 0;
    } else {
        fprintf(stderr, "api_sql: %s: %s\n", sql, sqlite3_errmsg(db));
    }
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

static int pg_run(const char *url, const char *sql, const char *const *params, int n, char *buf, size_t cap)
{
    PGconn *c = PQconnectdb(url);
    PGresult *r = NULL;
    int rc = -1;
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "api_sql: connect: %s", PQerrorMessage(c));
        goto out;
    }
    r = PQexecParams(c, sql, n, NULL, (const char *const *)params, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        if (PQntuples(r) > 0) {
            if (buf)
                snprintf(buf, cap, "%s", PQgetisnull(r, 0, 0) ? "" : PQgetvalue(r, 0, 0));
            rc = 1;
        } else {
            if (buf && cap)
                buf[0] = '\0';
            rc = 0;
        }
    } else if (PQresultStatus(r) == PGRES_COMMAND_OK) {
        if (buf && cap)
            buf[0] = '\0';
        rc = 0;
    } else {
        fprintf(stderr, "api_sql: %s: %s", sql, PQerrorMessage(c));
    }
out:
    PQclear(r);
    PQfinish(c);
    return rc;
}

int api_sql_exec(struct api_server *s, const char *sql, const char *const *params, int n)
{
    int rc = s->is_pg ? pg_run(s->db_url, sql, params, n, NULL, 0) : sqlite_run(s->db_url, sql, params, n, NULL, 0);
    return rc < 0 ? -1 : 0;
}

int api_sql_text(struct api_server *s, const char *sql, const char *const *params, int n, char *buf, size_t cap)
{
    return s->is_pg ? pg_run(s->db_url, sql, params, n, buf, cap) : sqlite_run(s->db_url, sql, params, n, buf, cap);
}

/*-----------------------------------------------------------------------------
 * Accounts
 */

static void account_login(struct api_server *s, struct api_account *a)
{
    char body[512];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\"}", a->email, API_PASSWORD);
    struct api_response *r = api_post_json(s, "/api/v1/auth/login", body, NULL);
    cr_assert_eq(r->status, 200, "login %s: %ld %s", a->email, r->status, r->body);
    const char *tok = json_string_value(json_object_get(r->json, "access_token"));
    cr_assert_not_null(tok);
    snprintf(a->token, sizeof a->token, "%s", tok);
    snprintf(a->auth, sizeof a->auth, "Authorization: Bearer %s", tok);
    api_response_free(r);
}

void api_account(struct api_server *s, const char *role, const char *tag, struct api_account *out)
{
    static unsigned counter;
    memset(out, 0, sizeof *out);
    snprintf(out->email, sizeof out->email, "%s.%u.%lld@example.com", tag, ++counter, api_now_ms());
    char body[512];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\",\"display_name\":\"%s\"}", out->email,
             API_PASSWORD, tag);
    struct api_response *r = api_post_json(s, "/api/v1/auth/register", body, NULL);
    if (r->status != 201)
        api_log_tail(s, 3000);
    cr_assert_eq(r->status, 201, "register %s: %ld %s %s", out->email, r->status, r->curl_error, r->body);
    snprintf(out->id, sizeof out->id, "%s", json_string_value(json_object_get(json_object_get(r->json, "user"), "id")));
    api_response_free(r);
    const char *p[] = {out->id, role};
    cr_assert_eq(api_sql_exec(s, "UPDATE users SET role = $2 WHERE id = $1", p, 2), 0);
    if (strcmp(role, "seller") == 0) {
        char shop_id[64], slug[128], name[128], now[32];
        snprintf(shop_id, sizeof shop_id, "shp_%026u", counter); /* a valid id: 26 Crockford digits */
        snprintf(slug, sizeof slug, "%s-%u-%lld", tag, counter, api_now_ms());
        for (char *c = slug; *c; c++)
            if (*c == '.' || *c == '_')
                *c = '-';
        snprintf(name, sizeof name, "%s shop %u", tag, counter);
        snprintf(now, sizeof now, "%lld", api_now_ms());
        const char *sp[] = {shop_id, out->id, slug, name, now};
        cr_assert_eq(api_sql_exec(s,
                                  "INSERT INTO shops (id, seller_id, slug, name, created_at, updated_at) "
                                  "VALUES ($1, $2, $3, $4, CAST($5 AS BIGINT), CAST($5 AS BIGINT))",
                                  sp, 5),
                     0);
        snprintf(out->shop_id, sizeof out->shop_id, "%s", shop_id);
    }
    account_login(s, out);
}

void api_accounts(struct api_server *s, const char *role, const char *tag, int n, struct api_account *out)
{
    cr_assert(n >= 1);
    api_account(s, role, tag, &out[0]);
    char hash[512];
    const char *p0[] = {out[0].id};
    cr_assert_eq(api_sql_text(s, "SELECT password_hash FROM users WHERE id = $1", p0, 1, hash, sizeof hash), 1);
    for (int i = 1; i < n; i++) {
        struct api_account *a = &out[i];
        char now[32];
        memset(a, 0, sizeof *a);
        api_test_id(a->id, sizeof a->id, "usr");
        snprintf(a->email, sizeof a->email, "%s.copy%d.%lld@example.com", tag, i, api_now_ms());
        snprintf(now, sizeof now, "%lld", api_now_ms());
        const char *p[] = {a->id, a->email, hash, role, tag, now};
        cr_assert_eq(api_sql_exec(s,
                                  "INSERT INTO users (id, email, email_normalized, password_hash, role, display_name, "
                                  "created_at, updated_at) VALUES ($1, $2, $2, $3, $4, $5, CAST($6 AS BIGINT), "
                                  "CAST($6 AS BIGINT))",
                                  p, 6),
                     0);
        cr_assert(strcmp(role, "seller") != 0, "api_accounts: sellers need shops, use api_account");
        account_login(s, a);
    }
}

struct api_response *api_as(struct api_server *s, const struct api_account *acct, const char *method,
                            const char *path, const char *json_text)
{
    const char *h[3] = {NULL, NULL, NULL};
    int n = 0;
    if (acct != NULL)
        h[n++] = acct->auth;
    if (json_text != NULL)
        h[n++] = "Content-Type: application/json";
    return api_request(s, method, path, h, json_text, json_text ? strlen(json_text) : 0);
}

struct racer {
    struct api_server *s;
    const char *request;
    int status;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    size_t n;
    char *reply = api_raw(r->s, r->request, strlen(r->request), 10000, &n);
    r->status = reply ? api_raw_status(reply) : 0;
    free(reply);
    return NULL;
}

void api_as_twice(struct api_server *s, const struct api_account *acct, const char *method, const char *path,
                  const char *json_text, int status[2])
{
    size_t cap = strlen(path) + (acct ? strlen(acct->auth) : 0) + (json_text ? strlen(json_text) : 0) + 256;
    char *request = malloc(cap);
    cr_assert_not_null(request);
    snprintf(request, cap, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
             method, path, acct ? acct->auth : "", acct ? "\r\n" : "",
             json_text ? "Content-Type: application/json\r\n" : "", json_text ? strlen(json_text) : 0,
             json_text ? json_text : "");
    struct racer a = {s, request, 0}, b = {s, request, 0};
    pthread_t ta, tb;
    cr_assert_eq(pthread_create(&ta, NULL, race, &a), 0);
    cr_assert_eq(pthread_create(&tb, NULL, race, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    free(request);
    status[0] = a.status;
    status[1] = b.status;
}

/*-----------------------------------------------------------------------------
 * Fixtures
 */

void api_test_id(char *buf, size_t cap, const char *prefix)
{
    static unsigned seq;
    snprintf(buf, cap, "%s_%026u", prefix, ++seq); /* digits are valid Crockford base32 */
}

void api_category(struct api_server *s, const struct api_account *admin, const char *slug, const char *parent,
                  char *out, size_t cap)
{
    char body[300];
    if (parent != NULL)
        snprintf(body, sizeof body, "{\"name\":\"%s\",\"slug\":\"%s\",\"parent_id\":\"%s\"}", slug, slug, parent);
    else
        snprintf(body, sizeof body, "{\"name\":\"%s\",\"slug\":\"%s\"}", slug, slug);
    struct api_response *r = api_as(s, admin, "POST", "/api/v1/categories", body);
    cr_assert_eq(r->status, 201, "create category %s: %ld %s", slug, r->status, r->body);
    snprintf(out, cap, "%s", json_string_value(json_object_get(r->json, "id")));
    api_response_free(r);
}
