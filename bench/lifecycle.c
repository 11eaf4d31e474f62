/* The lifecycle every benchmark measures: socket + connect + close of an INET socket, as
 * an unmodified program does it (the preload library, if any, comes from LD_PRELOAD).
 *
 *   lifecycle -p udp|tcp -f 4|6 -d DEST -P PORT [-m plain|bind|bindnp -s SRC] -n N -o OUT
 *             [-N N2]
 *
 * -m plain   the program does not bind (what src_vipa.so intercepts)
 *    bind    the program binds SRC port 0 itself, no socket option (one bind: the floor)
 *    bindnp  the same, after setsockopt(IP_BIND_ADDRESS_NO_PORT) for TCP, which is what
 *            src_vipa.so does for TCP: the floor for TCP (for UDP it equals `bind`)
 * -o count   N lifecycles, nothing printed
 *    cg      for `valgrind --tool=callgrind --instr-atstart=no`: one lifecycle (the preload
 *            loads its configuration there, uninstrumented, so a 100,000-rule load does not
 *            cost minutes), then N lifecycles and N2 lifecycles, each between
 *            CALLGRIND_ZERO_STATS and CALLGRIND_DUMP_STATS_AT("N"): the difference of the
 *            two dumps over N2 - N is the cost of one lifecycle, start-up cancelled
 *    time    one untimed lifecycle (the preload loads its configuration there), then N
 *            timed ones: prints {"ns": wall clock per lifecycle, "cpu_ns": CPU time (user +
 *            system, getrusage) per lifecycle, "errors": ...}
 *    first   times the first socket+connect of the process only (configuration load
 *            included): prints {"first_ns": ...}
 *    syscalls  times N each of getpid(), getsockname() and getsockopt(SO_TYPE) on a UDP
 *            socket, and N UDP socket+close pairs: what one extra system call costs here
 *    mem     prints VmRSS/VmSize/VmHWM (kB, /proc/self/status) before any socket ("idle"),
 *            after one lifecycle ("loaded") and after N more ("after")
 * Connections go only to DEST (127.0.0.0/8 or ::1 in the benchmark's namespace). Every
 * loop is bounded by N. Exit status 1 if any lifecycle failed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum mode { M_PLAIN, M_BIND, M_BINDNP };

static int family = AF_INET, type = SOCK_DGRAM;
static enum mode mode = M_PLAIN;
static struct sockaddr_storage dst, src;
static socklen_t addrlen;
static long errors;
static int first_errno;

static void fill(struct sockaddr_storage *ss, const char *text, int port)
{
    memset(ss, 0, sizeof *ss);
    if (family == AF_INET) {
        struct sockaddr_in *s = (struct sockaddr_in *)ss;
        s->sin_family = AF_INET;
        s->sin_port = htons((unsigned short)port);
        if (inet_pton(AF_INET, text, &s->sin_addr) != 1)
            goto bad;
    } else {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
        s->sin6_family = AF_INET6;
        s->sin6_port = htons((unsigned short)port);
        if (inet_pton(AF_INET6, text, &s->sin6_addr) != 1)
            goto bad;
    }
    return;
bad:
    fprintf(stderr, "lifecycle: bad address %s\n", text);
    exit(2);
}

static void failed(void)
{
    if (errors++ == 0)
        first_errno = errno;
}

/* socket + (bind) + connect; returns the descriptor (also on a failed connect), or -1 */
static int open_connect(void)
{
    int fd = socket(family, type, 0);

    if (fd < 0) {
        failed();
        return -1;
    }
    if (mode != M_PLAIN) {
        if (mode == M_BINDNP && type == SOCK_STREAM) {
            int one = 1;
            setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        }
        if (bind(fd, (struct sockaddr *)&src, addrlen) != 0)
            failed();
    }
    if (connect(fd, (struct sockaddr *)&dst, addrlen) != 0)
        failed();
    return fd;
}

static void lifecycle(void)
{
    int fd = open_connect();
    if (fd >= 0)
        close(fd);
}

static void __attribute__((noinline)) loop(long n)
{
    for (long i = 0; i < n; i++)
        lifecycle();
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
}

static void status(const char *stage, int last)
{
    char line[256];
    long rss = -1, vsz = -1, hwm = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f)) {
        sscanf(line, "VmRSS: %ld", &rss);
        sscanf(line, "VmSize: %ld", &vsz);
        sscanf(line, "VmHWM: %ld", &hwm);
    }
    fclose(f);
    printf("\"%s\": {\"rss_kb\": %ld, \"vsz_kb\": %ld, \"hwm_kb\": %ld}%s", stage, rss, vsz, hwm,
           last ? "" : ", ");
}

int main(int argc, char **argv)
{
    const char *dtext = "127.0.0.1", *stext = NULL, *out = "count";
    int port = 5001, opt;
    long n = 1000, n2 = 0;

    while ((opt = getopt(argc, argv, "p:f:d:P:m:s:n:N:o:")) != -1) {
        switch (opt) {
        case 'p': type = strcmp(optarg, "tcp") == 0 ? SOCK_STREAM : SOCK_DGRAM; break;
        case 'f': family = atoi(optarg) == 6 ? AF_INET6 : AF_INET; break;
        case 'd': dtext = optarg; break;
        case 'P': port = atoi(optarg); break;
        case 'm':
            mode = strcmp(optarg, "bind") == 0     ? M_BIND
                   : strcmp(optarg, "bindnp") == 0 ? M_BINDNP
                                                   : M_PLAIN;
            break;
        case 's': stext = optarg; break;
        case 'n': n = atol(optarg); break;
        case 'N': n2 = atol(optarg); break;
        case 'o': out = optarg; break;
        default:
            fprintf(stderr, "usage: lifecycle -p udp|tcp -f 4|6 -d DEST -P PORT "
                            "[-m plain|bind|bindnp -s SRC] -n N -o count|time|first|mem\n");
            return 2;
        }
    }
    if (n < 0 || n > 10000000 || n2 < 0 || n2 > 10000000) {
        fprintf(stderr, "lifecycle: -n out of range\n");
        return 2;
    }
    addrlen = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    fill(&dst, dtext, port);
    if (mode != M_PLAIN) {
        if (stext == NULL) {
            fprintf(stderr, "lifecycle: -m bind needs -s SRC\n");
            return 2;
        }
        fill(&src, stext, 0);
    }

    if (strcmp(out, "count") == 0) {
        loop(n);
    } else if (strcmp(out, "cg") == 0) {
        char label[32];
        lifecycle();
        CALLGRIND_START_INSTRUMENTATION;
        snprintf(label, sizeof label, "%ld", n);
        CALLGRIND_ZERO_STATS;
        loop(n);
        CALLGRIND_DUMP_STATS_AT(label);
        snprintf(label, sizeof label, "%ld", n2);
        CALLGRIND_ZERO_STATS;
        loop(n2);
        CALLGRIND_DUMP_STATS_AT(label);
    } else if (strcmp(out, "time") == 0) {
        double t0, c0, t1, c1;
        lifecycle();
        c0 = cpu_ns();
        t0 = now_ns();
        loop(n);
        t1 = now_ns();
        c1 = cpu_ns();
        printf("{\"ns\": %.1f, \"cpu_ns\": %.1f, \"n\": %ld, \"errors\": %ld}\n",
               (t1 - t0) / (double)n, (c1 - c0) / (double)n, n, errors);
    } else if (strcmp(out, "first") == 0) {
        double t0 = now_ns(), t1;
        int fd = open_connect();
        t1 = now_ns();
        if (fd >= 0)
            close(fd);
        printf("{\"first_ns\": %.0f, \"errors\": %ld}\n", t1 - t0, errors);
    } else if (strcmp(out, "syscalls") == 0) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0), type;
        struct sockaddr_storage ss;
        socklen_t len;
        double t0, t[4];
        if (fd < 0 || n < 1)
            return 1;
        t0 = now_ns();
        for (long i = 0; i < n; i++)
            getpid();
        t[0] = now_ns() - t0;
        t0 = now_ns();
        for (long i = 0; i < n; i++) {
            len = sizeof ss;
            getsockname(fd, (struct sockaddr *)&ss, &len);
        }
        t[1] = now_ns() - t0;
        t0 = now_ns();
        for (long i = 0; i < n; i++) {
            len = sizeof type;
            getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
        }
        t[2] = now_ns() - t0;
        close(fd);
        t0 = now_ns();
        for (long i = 0; i < n; i++)
            close(socket(AF_INET, SOCK_DGRAM, 0));
        t[3] = now_ns() - t0;
        printf("{\"getpid_ns\": %.1f, \"getsockname_ns\": %.1f, \"getsockopt_ns\": %.1f, "
               "\"socket_close_ns\": %.1f, \"n\": %ld}\n", t[0] / n, t[1] / n, t[2] / n,
               t[3] / n, n);
    } else if (strcmp(out, "mem") == 0) {
        printf("{");
        status("idle", 0);
        lifecycle();
        status("loaded", 0);
        loop(n);
        status("after", 0);
        printf("\"n\": %ld, \"errors\": %ld}\n", n, errors);
    } else {
        fprintf(stderr, "lifecycle: unknown -o %s\n", out);
        return 2;
    }
    if (errors)
        fprintf(stderr, "lifecycle: %ld calls failed, first: %s\n", errors, strerror(first_errno));
    return errors ? 1 : 0;
}
