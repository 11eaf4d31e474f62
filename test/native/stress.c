/* sv_stress: many connections through src_vipa.so to a listener of its own on
 * 127.0.0.1, counted per source address; run it with LD_PRELOAD (or shim/src_vipa.sh) and
 * a configuration whose rule for 127.0.0.1 lists SOURCE... (e.g. rr:600 over them).
 *
 * usage: sv_stress threads T N SOURCE...   T threads x N connections each
 *        sv_stress forks N SOURCE...       the parent connects once per source, then
 *                                          forks N children that connect once each
 * Checks: every connection arrives, the total is exact, every source got exactly
 * total / number-of-sources connections (what rr gives), and every child exits 0.
 * Prints "SOURCE=COUNT ..." and "ok"/"FAILED: reason"; exit status 0 only if all hold.
 * Bounded: every wait has a timeout (10 s per accept, 60 s per child). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOURCES 64

static int nsources;
static struct in_addr sources[MAX_SOURCES];
static unsigned long counts[MAX_SOURCES + 1]; /* last: an address not in the list */
static int listen_fd;
static struct sockaddr_in server;
static long expected;
static int accept_failed;
static int client_errors;

static void fail(const char *what)
{
    printf("FAILED: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Records the source of every connection, answers one byte, closes. */
static void *acceptor(void *arg)
{
    (void)arg;
    for (long i = 0; i < expected; i++) {
        struct pollfd p = { listen_fd, POLLIN, 0 };
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        int fd, k;

        if (poll(&p, 1, 10000) != 1) {
            accept_failed = 1;
            return NULL;
        }
        fd = accept(listen_fd, (struct sockaddr *)&peer, &len);
        if (fd < 0) {
            accept_failed = 1;
            return NULL;
        }
        for (k = 0; k < nsources && peer.sin_addr.s_addr != sources[k].s_addr; k++)
            ;
        counts[k]++;
        (void)!write(fd, "k", 1);
        close(fd);
    }
    return NULL;
}

/* One connection, waiting until the server has recorded it; closed with a reset so that
 * tens of thousands of them leave no TIME_WAIT behind. 0 on success. */
static int connect_once(void)
{
    struct linger lg = { 1, 0 };
    struct timeval tv = { 10, 0 };
    char c;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&server, sizeof server) != 0 || read(fd, &c, 1) != 1) {
        close(fd);
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    return 0;
}

static long per_thread;

static void *client(void *arg)
{
    (void)arg;
    for (long i = 0; i < per_thread; i++)
        if (connect_once() != 0)
            __atomic_add_fetch(&client_errors, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void start_server(void)
{
    socklen_t len = sizeof server;

    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&server, 0, sizeof server);
    server.sin_family = AF_INET;
    server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&server, sizeof server) != 0 ||
        listen(listen_fd, 4096) != 0 || getsockname(listen_fd, (struct sockaddr *)&server, &len) != 0)
        fail("listener");
}

static int report(long total)
{
    long sum = 0;
    int ok = 1;

    for (int k = 0; k < nsources; k++) {
        printf("%s%s=%lu", k ? " " : "", inet_ntoa(sources[k]), counts[k]);
        sum += (long)counts[k];
        if ((long)counts[k] * nsources != total)
            ok = 0;
    }
    printf(" other=%lu\n", counts[nsources]);
    if (accept_failed || sum != total || counts[nsources] != 0 || client_errors != 0) {
        printf("FAILED: %ld of %ld connections from the sources, %d client errors%s\n", sum, total,
               client_errors, accept_failed ? ", accept timed out" : "");
        return 1;
    }
    if (!ok || total % nsources != 0) {
        printf("FAILED: counts are not exactly %ld per source\n", total / nsources);
        return 1;
    }
    printf("ok: %ld connections, exactly %ld per source\n", total, total / nsources);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: sv_stress threads T N SOURCE... | sv_stress forks N SOURCE...\n");
    return 2;
}

static int parse_sources(int argc, char **argv)
{
    nsources = argc;
    if (nsources < 1 || nsources > MAX_SOURCES)
        return -1;
    for (int k = 0; k < nsources; k++)
        if (inet_pton(AF_INET, argv[k], &sources[k]) != 1)
            return -1;
    return 0;
}

static int run_threads(long threads, long n)
{
    pthread_t acc, *tids = calloc((size_t)threads, sizeof *tids);

    if (tids == NULL)
        fail("calloc");
    per_thread = n;
    expected = threads * n;
    start_server();
    if (pthread_create(&acc, NULL, acceptor, NULL) != 0)
        fail("pthread_create");
    for (long t = 0; t < threads; t++)
        if (pthread_create(&tids[t], NULL, client, NULL) != 0)
            fail("pthread_create");
    for (long t = 0; t < threads; t++)
        pthread_join(tids[t], NULL);
    pthread_join(acc, NULL);
    free(tids);
    return report(expected);
}

static int run_forks(long children)
{
    pthread_t acc;
    pid_t *pids = calloc((size_t)children, sizeof *pids);
    int bad = 0;

    if (pids == NULL)
        fail("calloc");
    expected = nsources + children;
    start_server();
    if (pthread_create(&acc, NULL, acceptor, NULL) != 0)
        fail("pthread_create");
    /* the parent first: its engine and shared counter are what the children inherit */
    for (int k = 0; k < nsources; k++)
        if (connect_once() != 0)
            client_errors++;
    for (long i = 0; i < children; i++) {
        pids[i] = fork();
        if (pids[i] < 0)
            fail("fork");
        if (pids[i] == 0)
            exit(connect_once() == 0 ? 0 : 3); /* exit(): the shim's destructor detaches */
    }
    for (long i = 0; i < children; i++) {
        int status = 0;
        long waited = 0;

        while (waitpid(pids[i], &status, WNOHANG) == 0 && waited < 60000) {
            struct timespec ms = { 0, 1000000 };

            nanosleep(&ms, NULL);
            waited++;
        }
        if (waited >= 60000 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            bad++;
    }
    pthread_join(acc, NULL);
    free(pids);
    if (bad) {
        printf("FAILED: %d children did not exit 0\n", bad);
        report(expected);
        return 1;
    }
    return report(expected);
}

int main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "threads") == 0) {
        long t = atol(argv[2]), n = atol(argv[3]);

        if (t < 1 || t > 1024 || n < 1 || n > 1000000 || parse_sources(argc - 4, argv + 4) != 0)
            return usage();
        return run_threads(t, n);
    }
    if (argc >= 4 && strcmp(argv[1], "forks") == 0) {
        long n = atol(argv[2]);

        if (n < 1 || n > 10000 || parse_sources(argc - 3, argv + 3) != 0)
            return usage();
        return run_forks(n);
    }
    return usage();
}
