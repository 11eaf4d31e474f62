/* hostile: programs that treat src_vipa.so the way real programs sometimes do (issue 8):
 * cancellation and siglongjmp during the configuration load, signal handlers that call
 * intercepted functions at the worst moment, invalid pointers, descriptors closed behind
 * the library's back, address forms the kernel accepts but that are easy to overlook.
 * Run by test/hostile/run.sh inside a private namespace (loopback, fd00::5 on lo, a
 * silent nameserver for the slow host names), with and without LD_PRELOAD.
 *
 * usage: hostile SCENARIO [ARG...]
 *   first-connect [ADDR]  one TCP connect to a listener of our own on ADDR (127.0.0.1):
 *                 prints "connect=RC errno=NAME source=IP ms=N rss_kb=N hwm_kb=N"
 *   cancel        pthread_cancel of the thread whose connect loads the configuration
 *   longjmp       setitimer + siglongjmp out of the first connect
 *   sig-first timer|thread|process  close(-1) from handlers during the very first call
 *   sig-malloc    the first INET call (connect) from a handler that interrupted malloc
 *   efault        every intercepted call with invalid pointers: one line per case
 *   oddmem        valid sockaddrs in unusual memory still get the configured source
 *   unseen-close SOURCE  a number closed behind the library's back (fclose of fdopen),
 *                 reused through F_DUPFD, F_DUPFD_CLOEXEC, dup, socket
 *   unseen-accept the same number back from accept(), with an lc rule of two sources
 *                 (after the same steps with a close the library sees, as a control)
 *   bypass        AF_INET addresses on AF_INET6 sockets; the 24-byte sockaddr_in6
 *   bind-einval   connect on a socket bound with a raw system call
 *   stress THREADS FORKS  first connects from many threads at once, forks meanwhile
 * Checks print "ok - ..." / "not ok - ..."; the exit status is 1 if one failed. Every wait
 * is bounded: a blocked call is reported as such and the program ends with _exit. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096

static int failures;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
    va_list ap;

    printf("%s - ", ok ? "ok" : "not ok");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    if (!ok)
        failures++;
}

static void die(const char *what)
{
    printf("not ok - %s: %s\n", what, strerror(errno));
    fflush(stdout);
    _exit(1);
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* to an absolute deadline: a relative nanosleep restarted under a signal storm would
 * start over at every signal and never end */
static void sleep_ms(long ms)
{
    struct timespec dl;

    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += ms / 1000;
    dl.tv_nsec += (ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL) == EINTR)
        ;
}

static const char *errno_name(int e)
{
    static char buf[16];

    switch (e) {
    case 0: return "0";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EPIPE: return "EPIPE";
    case ENOTCONN: return "ENOTCONN";
    case EDESTADDRREQ: return "EDESTADDRREQ";
    case EISCONN: return "EISCONN";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EINTR: return "EINTR";
    default: snprintf(buf, sizeof buf, "errno%d", e); return buf;
    }
}

/* ---- addresses and sockets ------------------------------------------------------------ */

static socklen_t make_addr(struct sockaddr_storage *ss, const char *text, unsigned port)
{
    memset(ss, 0, sizeof *ss);
    if (strchr(text, ':')) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, text, &in6->sin6_addr) != 1)
            die(text);
        return sizeof *in6;
    }
    struct sockaddr_in *in = (struct sockaddr_in *)ss;

    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, text, &in->sin_addr) != 1)
        die(text);
    return sizeof *in;
}

static const char *addr_text(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
    const void *a = ss->ss_family == AF_INET ? (const void *)&((struct sockaddr_in *)ss)->sin_addr
                                             : (const void *)&((struct sockaddr_in6 *)ss)->sin6_addr;

    if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6)
        return "unbound";
    return inet_ntop(ss->ss_family, a, buf, (socklen_t)cap) ? buf : "?";
}

/* the local address of fd as text, in the caller's buffer */
static const char *local_of(int fd, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return "error";
    return addr_text(&ss, buf, cap);
}

/* a listener (TCP) or receiver (UDP) bound to ADDR, port chosen by the kernel. An explicit
 * address: the library passes such binds through without loading anything. */
static int server(int type, const char *addr, unsigned *port)
{
    struct sockaddr_storage ss;
    socklen_t len = make_addr(&ss, addr, 0);
    int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);

    if (fd < 0)
        die("server socket");
    if (ss.ss_family == AF_INET6) {
        int one = 1;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    if (bind(fd, (struct sockaddr *)&ss, len) != 0)
        die("server bind");
    if (type == SOCK_STREAM && listen(fd, 128) != 0)
        die("listen");
    len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        die("getsockname");
    *port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                          : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

/* the listener every connect of a scenario goes to */
static struct sockaddr_storage dst;
static socklen_t dst_len;
static int lfd;

static void listen_on(const char *addr)
{
    unsigned port;

    lfd = server(SOCK_STREAM, addr, &port);
    dst_len = make_addr(&dst, addr, port);
}

/* socket + connect to dst; the source in buf. 0 or an errno value. */
static int connect_dst(char *buf, size_t cap)
{
    int fd = socket(dst.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc, err;

    if (fd < 0)
        return errno;
    rc = connect(fd, (struct sockaddr *)&dst, dst_len);
    err = rc == 0 ? 0 : errno;
    if (buf && rc == 0)
        local_of(fd, buf, cap);
    else if (buf)
        snprintf(buf, cap, "none");
    close(fd);
    return err;
}

static long status_kb(const char *key)
{
    char line[256];
    long v = -1;
    size_t n = strlen(key);
    FILE *f = fopen("/proc/self/status", "r");

    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0 && line[n] == ':') {
            v = atol(line + n + 1);
            break;
        }
    fclose(f);
    return v;
}

/* ---- bounded waits ------------------------------------------------------------------- */

/* The main thread's own calls are bounded by an alarm whose handler reports and ends the
 * process (the blocked call cannot be abandoned any other way). */
static const char *watch_what;
static int watch_secs;

static void watchdog_fired(int sig)
{
    char msg[300];
    int n = snprintf(msg, sizeof msg, "not ok - %s: still blocked after %d s\n", watch_what,
                     watch_secs);

    (void)sig;
    (void)!write(STDOUT_FILENO, msg, (size_t)n);
    _exit(1);
}

static void watchdog(int secs, const char *what)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = watchdog_fired;
    sigaction(SIGALRM, &sa, NULL);
    watch_what = what;
    watch_secs = secs;
    alarm((unsigned)secs);
}

struct job {
    pthread_t tid;
    int err;
    double ms;
    char source[INET6_ADDRSTRLEN + 8];
};

static void *connect_job(void *arg)
{
    struct job *j = arg;
    double t0 = now_ms();

    j->err = connect_dst(j->source, sizeof j->source);
    j->ms = now_ms() - t0;
    return NULL;
}

/* a thread's connect, waited for at most SECS: 1 if it ended in time */
static int thread_connect(struct job *j, int secs)
{
    struct timespec dl;

    memset(j, 0, sizeof *j);
    if (pthread_create(&j->tid, NULL, connect_job, j) != 0)
        die("pthread_create");
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += secs;
    return pthread_timedjoin_np(j->tid, NULL, &dl) == 0;
}

/* ---- first-connect ------------------------------------------------------------------- */

static int first_connect(const char *addr)
{
    char src[INET6_ADDRSTRLEN + 8];
    double t0;
    int err;

    listen_on(addr);
    t0 = now_ms();
    err = connect_dst(src, sizeof src);
    printf("connect=%d errno=%s source=%s ms=%.0f rss_kb=%ld hwm_kb=%ld\n", err ? -1 : 0,
           errno_name(err), src, now_ms() - t0, status_kb("VmRSS"), status_kb("VmHWM"));
    return 0;
}

/* ---- cancel, longjmp: the later connects complete --------------------------------- */

static void later_connects(const char *after)
{
    struct job j;
    char what[200], src[INET6_ADDRSTRLEN + 8];
    double t0;
    int err;

    snprintf(what, sizeof what, "connect from another thread after %s", after);
    if (!thread_connect(&j, 10)) {
        check(0, "%s: still blocked after 10 s", what);
        printf("not ok - connect from the main thread after %s: not tried (the other thread is blocked)\n",
               after);
        fflush(stdout);
        _exit(1);
    }
    check(j.err == 0, "%s: completed in %.0f ms (%s, source %s)", what, j.ms, errno_name(j.err),
          j.source);
    snprintf(what, sizeof what, "connect from the main thread after %s", after);
    watchdog(10, what);
    t0 = now_ms();
    err = connect_dst(src, sizeof src);
    alarm(0);
    check(err == 0, "%s: completed in %.0f ms (%s, source %s)", what, now_ms() - t0,
          errno_name(err), src);
}

static volatile int cancel_started;

static void *cancel_victim(void *arg)
{
    (void)arg;
    cancel_started = 1;
    connect_dst(NULL, 0);
    return NULL;
}

static int cancel(void)
{
    pthread_t t;
    struct timespec dl;
    double t0;
    int rc;

    listen_on("127.0.0.1");
    if (pthread_create(&t, NULL, cancel_victim, NULL) != 0)
        die("pthread_create");
    sleep_ms(300); /* the victim is loading: the host names wait for the silent nameserver */
    t0 = now_ms();
    pthread_cancel(t);
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 10;
    rc = pthread_timedjoin_np(t, NULL, &dl);
    check(rc == 0, "the cancelled thread ends (%s after %.0f ms)", rc == 0 ? "joined" : "not joined",
          now_ms() - t0);
    if (rc != 0)
        _exit(1);
    later_connects("the cancel");
    return 0;
}

static sigjmp_buf jump_env;

static void jump_out(int sig)
{
    (void)sig;
    siglongjmp(jump_env, 1);
}

static int longjmp_out(void)
{
    struct sigaction sa;
    struct itimerval it = { { 0, 0 }, { 0, 300000 } };
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    volatile double t0;

    listen_on("127.0.0.1");
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = jump_out;
    sigaction(SIGALRM, &sa, NULL);
    t0 = now_ms();
    if (sigsetjmp(jump_env, 1) == 0) {
        setitimer(ITIMER_REAL, &it, NULL);
        connect_dst(NULL, 0);
        setitimer(ITIMER_REAL, &off, NULL);
        printf("# the first connect returned after %.0f ms, before the timer\n", now_ms() - t0);
    } else {
        printf("# left the first connect by siglongjmp after %.0f ms\n", now_ms() - t0);
    }
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_DFL);
    later_connects("the siglongjmp");
    return 0;
}

/* ---- sig-first: an intercepted call from a handler during the very first one ------ */

/* set just before the first intercepted call: a handler that ran before would itself make
 * the first call, and the window under test would be gone */
static volatile sig_atomic_t armed;

static void close_minus_one(int sig)
{
    int saved = errno;

    (void)sig;
    if (armed)
        close(-1);
    errno = saved;
}

static volatile int stop_flag;
static pthread_t main_tid;

static void *kill_loop(void *arg)
{
    long i;

    (void)arg;
    for (i = 0; i < 5000000 && !stop_flag; i++)
        pthread_kill(main_tid, SIGUSR1);
    return NULL;
}

/* a child process that signals its parent until the parent kills it (at most 10 s); it
 * dies with the parent, and never signals a process that took over the parent's number */
static pid_t signalling_child(void)
{
    pid_t parent = getpid(), p = fork();
    double t0;

    if (p != 0)
        return p;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(STDOUT_FILENO); /* a runner reading our output does not wait for this child */
    t0 = now_ms();
    while (now_ms() - t0 < 10000 && getppid() == parent && kill(parent, SIGUSR1) == 0)
        ;
    _exit(0);
}

/* MODE: timer (a 20 us interval timer), thread (pthread_kill from another thread) or
 * process (kill from a child process) */
static int sig_first(const char *mode)
{
    struct sigaction sa;
    struct itimerval it = { { 0, 20 }, { 0, 20 } };
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    pthread_t t;
    pid_t child = 0;
    int timer = strcmp(mode, "timer") == 0, thread = strcmp(mode, "thread") == 0, err;
    char src[INET6_ADDRSTRLEN + 8];

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = close_minus_one;
    sa.sa_flags = SA_RESTART;
    sigaction(timer ? SIGALRM : SIGUSR1, &sa, NULL);
    main_tid = pthread_self();
    if (thread) {
        if (pthread_create(&t, NULL, kill_loop, NULL) != 0)
            die("pthread_create");
    } else if (timer) {
        setitimer(ITIMER_REAL, &it, NULL);
    } else {
        child = signalling_child();
        if (child < 0)
            die("fork");
    }
    sleep_ms(2);
    /* the process's first intercepted calls: socket, bind, then connect */
    armed = 1;
    listen_on("127.0.0.1");
    err = connect_dst(src, sizeof src);
    if (thread) {
        stop_flag = 1;
        pthread_join(t, NULL);
    } else if (timer) {
        setitimer(ITIMER_REAL, &off, NULL);
    } else {
        signal(SIGUSR1, SIG_IGN);
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    check(err == 0, "first calls under a storm of close(-1) handlers (%s): connect %s, source %s",
          mode, errno_name(err), src);
    return 0;
}

/* ---- sig-malloc: the first INET call from a handler that interrupted malloc ---------- */

static int udp_fd;
static volatile int handler_entered, handler_done, handler_err;

static void connect_from_handler(int sig)
{
    int saved = errno;

    (void)sig;
    if (__atomic_exchange_n(&handler_entered, 1, __ATOMIC_SEQ_CST) == 0) {
        handler_err = connect(udp_fd, (struct sockaddr *)&dst, dst_len) == 0 ? 0 : errno;
        handler_done = 1;
    }
    errno = saved;
}

static void *malloc_loop(void *arg)
{
    static const size_t sizes[] = { 24, 200, 1500, 9000, 70000, 40, 3000 };
    void *keep[8] = { 0 };
    long i;

    (void)arg;
    for (i = 0; i < 200000000 && !stop_flag; i++) {
        unsigned k = (unsigned)i % 8;

        free(keep[k]);
        keep[k] = malloc(sizes[i % 7]);
        if (keep[k])
            *(volatile char *)keep[k] = 1;
    }
    for (i = 0; i < 8; i++)
        free(keep[i]);
    return NULL;
}

static int sig_malloc(void)
{
    struct sigaction sa;
    pthread_t t;
    unsigned port;
    int rfd, i;
    double t0;

    rfd = server(SOCK_DGRAM, "127.0.0.1", &port);
    dst_len = make_addr(&dst, "127.0.0.1", port);
    udp_fd = socket(AF_INET, SOCK_DGRAM, 0); /* created before: the handler only connects */
    if (udp_fd < 0)
        die("socket");
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = connect_from_handler;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    if (pthread_create(&t, NULL, malloc_loop, NULL) != 0)
        die("pthread_create");
    sleep_ms(5);
    for (i = 0; i < 100000 && !handler_entered; i++)
        pthread_kill(t, SIGUSR1);
    t0 = now_ms();
    while (!handler_done && now_ms() - t0 < 3000)
        sleep_ms(1);
    if (!handler_done) {
        check(0, "connect() in a handler that interrupted malloc: still blocked after 3 s");
        _exit(1);
    }
    stop_flag = 1;
    pthread_join(t, NULL);
    check(handler_err == 0, "connect() in a handler that interrupted malloc: returned %s",
          errno_name(handler_err));
    close(rfd);
    return 0;
}

/* ---- efault: invalid pointers, one line per case, each in a child ------------------- */

struct bad {
    const char *name;
    void *p;
};

static struct bad bads[4];

static void bad_pointers(int family)
{
    char *two = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *gone = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *none = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct sockaddr *end;

    if (two == MAP_FAILED || gone == MAP_FAILED || none == MAP_FAILED)
        die("mmap");
    munmap(two + PAGE, PAGE);
    munmap(gone, PAGE);
    /* the last 8 bytes of a page: family, port and a part of the address; the rest of the
     * sockaddr would be on the unmapped page that follows */
    end = (struct sockaddr *)(two + PAGE - 8);
    memset(end, 0, 8);
    end->sa_family = (sa_family_t)family;
    ((struct sockaddr_in *)end)->sin_port = htons(9);
    bads[0] = (struct bad){ "ptr1", (void *)1 };
    bads[1] = (struct bad){ "unmapped", gone };
    bads[2] = (struct bad){ "protnone", none };
    bads[3] = (struct bad){ "pageend", end };
}

static int efault_case(const char *call, int family, int type, void *p)
{
    socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    char byte = 'x';
    struct iovec iov = { &byte, 1 };
    struct msghdr mh;
    struct mmsghdr mm[1];
    int fd = socket(family, type, 0);

    if (fd < 0)
        return -2;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    memset(mm, 0, sizeof mm);
    mm[0].msg_hdr = mh;
    if (strcmp(call, "connect") == 0)
        return connect(fd, p, len);
    if (strcmp(call, "bind") == 0)
        return bind(fd, p, len);
    if (strcmp(call, "sendto") == 0)
        return (int)sendto(fd, &byte, 1, MSG_NOSIGNAL, p, len);
    if (strcmp(call, "sendmsg-hdr") == 0)
        return (int)sendmsg(fd, p, MSG_NOSIGNAL);
    if (strcmp(call, "sendmsg-name") == 0) {
        mh.msg_name = p;
        mh.msg_namelen = len;
        return (int)sendmsg(fd, &mh, MSG_NOSIGNAL);
    }
    if (strcmp(call, "sendmmsg-vec") == 0)
        return sendmmsg(fd, p, 1, MSG_NOSIGNAL);
    mm[0].msg_hdr.msg_name = p;
    mm[0].msg_hdr.msg_namelen = len;
    return sendmmsg(fd, mm, 1, MSG_NOSIGNAL);
}

static int efault(void)
{
    static const char *const calls[] = { "connect", "bind", "sendto", "sendmsg-hdr",
                                         "sendmsg-name", "sendmmsg-vec", "sendmmsg-name" };
    static const struct { const char *name; int family, type; } socks[] = {
        { "tcp4", AF_INET, SOCK_STREAM }, { "udp4", AF_INET, SOCK_DGRAM },
        { "tcp6", AF_INET6, SOCK_STREAM }, { "udp6", AF_INET6, SOCK_DGRAM } };
    unsigned c, s, b;

    for (c = 0; c < sizeof calls / sizeof *calls; c++)
        for (s = 0; s < 4; s++) {
            bad_pointers(socks[s].family);
            for (b = 0; b < 4; b++) {
                int status, pfd[2];
                pid_t pid;
                char res[64] = "";
                ssize_t n;

                if (pipe(pfd) != 0)
                    die("pipe");
                fflush(stdout);
                pid = fork();
                if (pid < 0)
                    die("fork");
                if (pid == 0) {
                    int rc, err;

                    alarm(5);
                    close(pfd[0]);
                    errno = 0;
                    rc = efault_case(calls[c], socks[s].family, socks[s].type, bads[b].p);
                    err = errno;
                    n = snprintf(res, sizeof res, "rc=%d errno=%s", rc, rc < 0 ? errno_name(err) : "0");
                    (void)!write(pfd[1], res, (size_t)n);
                    _exit(0);
                }
                close(pfd[1]);
                n = read(pfd[0], res, sizeof res - 1);
                close(pfd[0]);
                res[n > 0 ? n : 0] = '\0';
                if (waitpid(pid, &status, 0) != pid)
                    die("waitpid");
                if (WIFSIGNALED(status))
                    snprintf(res, sizeof res, "killed by signal %d (%s)", WTERMSIG(status),
                             strsignal(WTERMSIG(status)));
                printf("%s %s %s: %s\n", calls[c], socks[s].name, bads[b].name, res);
            }
        }
    return 0;
}

/* ---- oddmem: valid sockaddrs in unusual places ---------------------------------------- */

static struct sockaddr_storage static_addr;
static int odd_family;
static const char *odd_want;

static void odd_connect(const char *where, const struct sockaddr *sa, socklen_t len)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char src[INET6_ADDRSTRLEN + 8] = "none";
    int rc = connect(fd, sa, len), err = errno;

    if (rc == 0)
        local_of(fd, src, sizeof src);
    check(rc == 0 && strcmp(src, odd_want) == 0, "sockaddr_in%s in %s: source %s (want %s)%s%s",
          sa->sa_family == AF_INET6 ? "6" : "", where, src, odd_want, rc ? ", connect " : "",
          rc ? errno_name(err) : "");
    close(fd);
}

static void *odd_thread(void *arg)
{
    struct sockaddr_storage *heap = malloc(sizeof *heap);

    (void)arg;
    memcpy(heap, &dst, dst_len);
    odd_connect("heap memory of a second thread", (struct sockaddr *)heap, dst_len);
    free(heap);
    return NULL;
}

static int oddmem(const char *addr, const char *want)
{
    char *page = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pthread_t t;

    if (page == MAP_FAILED)
        die("mmap");
    munmap(page + PAGE, PAGE);
    listen_on(addr);
    odd_family = dst.ss_family;
    odd_want = want;
    memcpy(page, &dst, dst_len);
    odd_connect("an mmap'ed page", (struct sockaddr *)page, dst_len);
    memcpy(&static_addr, &dst, dst_len);
    odd_connect("static data", (struct sockaddr *)&static_addr, dst_len);
    if (pthread_create(&t, NULL, odd_thread, NULL) != 0)
        die("pthread_create");
    pthread_join(t, NULL);
    memcpy(page + PAGE - dst_len, &dst, dst_len);
    odd_connect("the last bytes of a page (unmapped page after it)",
                (struct sockaddr *)(page + PAGE - dst_len), dst_len);
    return 0;
}

/* ---- unseen-close: a number closed behind our back, reused ------------------------------ */

static void unseen(const char *how, const char *want)
{
    char src[INET6_ADDRSTRLEN + 8] = "none";
    int fd = socket(AF_INET, SOCK_STREAM, 0), s = socket(AF_INET, SOCK_STREAM, 0), n = -1, rc;
    FILE *f;

    if (fd < 0 || s < 0)
        die("socket");
    if (connect(fd, (struct sockaddr *)&dst, dst_len) != 0)
        die("connect");
    local_of(fd, src, sizeof src);
    check(strcmp(src, want) == 0, "%s: the first socket's source %s (want %s)", how, src, want);
    f = fdopen(fd, "r+");
    if (!f)
        die("fdopen");
    fclose(f); /* closes fd without the library seeing it */
    if (strcmp(how, "socket") == 0) {
        close(s);
        s = -1;
        n = socket(AF_INET, SOCK_STREAM, 0);
    } else if (strcmp(how, "F_DUPFD") == 0)
        n = fcntl(s, F_DUPFD, fd);
    else if (strcmp(how, "F_DUPFD_CLOEXEC") == 0)
        n = fcntl(s, F_DUPFD_CLOEXEC, fd);
    else
        n = dup(s);
    if (n != fd) {
        check(0, "%s: got number %d, the closed one was %d (test setup)", how, n, fd);
        return;
    }
    if (s >= 0)
        close(s);
    rc = connect(n, (struct sockaddr *)&dst, dst_len);
    strcpy(src, "none");
    if (rc == 0)
        local_of(n, src, sizeof src);
    check(rc == 0 && strcmp(src, want) == 0,
          "%s: the unbound socket given the closed number gets source %s (want %s)", how, src, want);
    close(n);
}

/* lc with two sources: the number of a socket closed behind our back comes back from
 * accept(); the closed socket's count must not stay taken. One connection h is held, then a
 * gets the other source (counts 1 and 1); a is closed (HOW: "seen" with close(), the
 * control; "unseen" with fclose(fdopen())) and its number comes back from accept(). The
 * next connection must get a's source again: the only least-loaded one once a's count is
 * given back (a count left taken would make it a tie). */
static void unseen_accept(const char *how)
{
    char hs[INET6_ADDRSTRLEN + 8] = "none", as[INET6_ADDRSTRLEN + 8] = "none";
    char bs[INET6_ADDRSTRLEN + 8] = "none";
    unsigned port2;
    int l2 = server(SOCK_STREAM, "127.0.0.2", &port2); /* no rule for 127.0.0.2 */
    int h = socket(AF_INET, SOCK_STREAM, 0), a = socket(AF_INET, SOCK_STREAM, 0);
    int c = socket(AF_INET, SOCK_STREAM, 0), acc, b;
    struct sockaddr_storage d2;
    socklen_t d2len = make_addr(&d2, "127.0.0.2", port2);

    if (h < 0 || a < 0 || c < 0)
        die("socket");
    if (connect(h, (struct sockaddr *)&dst, dst_len) != 0 ||
        connect(a, (struct sockaddr *)&dst, dst_len) != 0)
        die("connect");
    local_of(h, hs, sizeof hs);
    local_of(a, as, sizeof as);
    if (strcmp(hs, as) == 0) {
        check(0, "accept (%s): lc gave the held and the second connection the same source %s "
                 "(test setup: the configuration needs two sources)", how, hs);
        return;
    }
    if (strcmp(how, "seen") == 0) {
        close(a);
    } else {
        FILE *f = fdopen(a, "r+");

        if (!f)
            die("fdopen");
        fclose(f); /* closes a without the library seeing it */
    }
    if (connect(c, (struct sockaddr *)&d2, d2len) != 0)
        die("connect 127.0.0.2");
    acc = accept(l2, NULL, NULL);
    if (acc != a) {
        check(0, "accept (%s): got number %d, the closed one was %d (test setup)", how, acc, a);
        return;
    }
    b = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(b, (struct sockaddr *)&dst, dst_len) == 0)
        local_of(b, bs, sizeof bs);
    check(strcmp(bs, as) == 0,
          "accept (%s close): its number back from accept(), the next lc connection gets %s "
          "(want %s, the closed socket's: its count given back)", how, bs, as);
    close(b);
    close(acc);
    close(c);
    close(h);
    close(l2);
}

/* ---- bypass: AF_INET addresses on AF_INET6 sockets; 24-byte sockaddr_in6 ----------------- */

static void recv_source(int rfd, const char *what, const char *want)
{
    struct sockaddr_storage from;
    socklen_t flen = sizeof from;
    char buf[16], text[INET6_ADDRSTRLEN + 8] = "nothing";
    struct timeval tv = { 2, 0 };

    setsockopt(rfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (recvfrom(rfd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen) >= 0)
        addr_text(&from, text, sizeof text);
    check(strcmp(text, want) == 0, "%s: the receiver sees source %s (want %s)", what, text, want);
}

static int bypass(void)
{
    struct sockaddr_storage s4, s6;
    socklen_t l4;
    unsigned p4, p6;
    int r4 = server(SOCK_DGRAM, "127.0.0.1", &p4), fd, rc, zero = 0, t;
    int l6 = server(SOCK_STREAM, "::1", &p6), r6;
    char src[INET6_ADDRSTRLEN + 8];
    unsigned short pr6;

    (void)l6; /* kept open: the TCP listener for the 24-byte connect */
    l4 = make_addr(&s4, "127.0.0.1", p4);
    /* sendto with an AF_INET sockaddr on a dual-stack AF_INET6 UDP socket */
    fd = socket(AF_INET6, SOCK_DGRAM, 0);
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    rc = (int)sendto(fd, "a", 1, 0, (struct sockaddr *)&s4, l4);
    check(rc == 1, "udp6 sendto(AF_INET 127.0.0.1): %s", rc == 1 ? "sent" : errno_name(errno));
    recv_source(r4, "udp6 sendto(AF_INET 127.0.0.1)", "127.0.0.5");
    check(strcmp(local_of(fd, src, sizeof src), "::ffff:127.0.0.5") == 0,
          "udp6 sendto(AF_INET 127.0.0.1): the socket's own address %s (want ::ffff:127.0.0.5)", src);
    close(fd);
    /* connect with an AF_INET sockaddr on a dual-stack AF_INET6 UDP socket */
    fd = socket(AF_INET6, SOCK_DGRAM, 0);
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    rc = connect(fd, (struct sockaddr *)&s4, l4);
    check(rc == 0, "udp6 connect(AF_INET 127.0.0.1): %s", rc == 0 ? "connected" : errno_name(errno));
    if (send(fd, "b", 1, 0) != 1)
        check(0, "udp6 connect(AF_INET 127.0.0.1): send: %s", errno_name(errno));
    recv_source(r4, "udp6 connect(AF_INET 127.0.0.1)", "127.0.0.5");
    close(fd);
    /* the RFC 2133 length (24 bytes, no scope id) to ::1 */
    make_addr(&s6, "::1", p6);
    fd = socket(AF_INET6, SOCK_STREAM, 0);
    rc = connect(fd, (struct sockaddr *)&s6, 24);
    check(rc == 0 && strcmp(local_of(fd, src, sizeof src), "fd00::5") == 0,
          "tcp6 connect(::1, addrlen 24): %s, source %s (want fd00::5)",
          rc == 0 ? "connected" : errno_name(errno), rc == 0 ? src : "none");
    close(fd);
    r6 = server(SOCK_DGRAM, "::1", &p6);
    pr6 = (unsigned short)p6;
    make_addr(&s6, "::1", pr6);
    fd = socket(AF_INET6, SOCK_DGRAM, 0);
    rc = connect(fd, (struct sockaddr *)&s6, 24);
    t = rc == 0 && send(fd, "c", 1, 0) == 1;
    check(t, "udp6 connect(::1, addrlen 24) and send: %s", t ? "sent" : errno_name(errno));
    recv_source(r6, "udp6 connect(::1, addrlen 24)", "fd00::5");
    close(fd);
    return 0;
}

/* ---- bind-einval: the source cannot be bound (raw bind before) -------------------------- */

static int bind_einval(void)
{
    struct sockaddr_storage ss;
    socklen_t len = make_addr(&ss, "127.0.0.1", 0);
    char src[INET6_ADDRSTRLEN + 8];
    int fd, rc;

    listen_on("127.0.0.1");
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (syscall(SYS_bind, fd, (struct sockaddr *)&ss, len) != 0)
        die("raw bind");
    rc = connect(fd, (struct sockaddr *)&dst, dst_len);
    check(rc == 0, "connect on a socket bound behind the library's back: %s, source %s",
          rc == 0 ? "connected" : errno_name(errno), rc == 0 ? local_of(fd, src, sizeof src) : "none");
    close(fd);
    return 0;
}

/* ---- stress: many first connects at once, forks during the load ---------------------- */

static pid_t kids[64];
static volatile int nkids;

/* forks from a thread of its own: a fork that waits for the load is then seen as such */
static void *forker(void *arg)
{
    int i, n = *(int *)arg;

    for (i = 0; i < n; i++) {
        pid_t p;

        sleep_ms(50);
        fflush(stdout);
        p = fork();
        if (p < 0)
            break;
        if (p == 0) {
            alarm(20);
            _exit(connect_dst(NULL, 0) == 0 ? 0 : 3);
        }
        kids[nkids] = p;
        nkids = nkids + 1;
    }
    return NULL;
}

static int stress(int nthreads, int nforks)
{
    struct job jobs[64];
    pthread_t ft;
    int i, n = 0, bad = 0, waited = 0, status;
    struct timespec dl;
    double t0 = now_ms();

    if (nthreads > 64 || nforks > 64)
        die("too many");
    listen_on("127.0.0.1");
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 15;
    for (i = 0; i < nthreads; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].err = -1;
        if (pthread_create(&jobs[i].tid, NULL, connect_job, &jobs[i]) != 0)
            die("pthread_create");
    }
    if (pthread_create(&ft, NULL, forker, &nforks) != 0)
        die("pthread_create");
    for (i = 0; i < nthreads; i++) {
        if (pthread_timedjoin_np(jobs[i].tid, NULL, &dl) != 0) {
            check(0, "thread %d's first connect still blocked after 15 s", i);
            _exit(1);
        }
        n += jobs[i].err == 0;
    }
    check(n == nthreads, "%d of %d threads connected (%.0f ms)", n, nthreads, now_ms() - t0);
    if (pthread_timedjoin_np(ft, NULL, &dl) != 0) {
        check(0, "fork() during the load: %d of %d forks returned within 15 s", nkids, nforks);
        _exit(1);
    }
    while (waited < nkids && now_ms() - t0 < 20000) {
        pid_t p = waitpid(-1, &status, WNOHANG);

        if (p > 0) {
            waited++;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                bad++;
        } else {
            sleep_ms(10);
        }
    }
    if (waited < nkids)
        for (i = 0; i < nkids; i++)
            kill(kids[i], SIGKILL);
    while (waitpid(-1, &status, 0) > 0)
        ;
    check(waited == nforks && bad == 0,
          "%d forked children ended within 20 s, %d of them abnormally (want %d, 0)", waited, bad,
          nforks);
    return 0;
}

int main(int argc, char **argv)
{
    const char *s = argc > 1 ? argv[1] : "";

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (strcmp(s, "first-connect") == 0)
        first_connect(argc > 2 ? argv[2] : "127.0.0.1");
    else if (strcmp(s, "cancel") == 0)
        cancel();
    else if (strcmp(s, "longjmp") == 0)
        longjmp_out();
    else if (strcmp(s, "sig-first") == 0 && argc > 2)
        sig_first(argv[2]);
    else if (strcmp(s, "sig-malloc") == 0)
        sig_malloc();
    else if (strcmp(s, "efault") == 0)
        efault();
    else if (strcmp(s, "oddmem") == 0 && argc > 3)
        oddmem(argv[2], argv[3]);
    else if (strcmp(s, "unseen-close") == 0 && argc > 2) {
        listen_on("127.0.0.1");
        unseen("F_DUPFD", argv[2]);
        unseen("F_DUPFD_CLOEXEC", argv[2]);
        unseen("dup", argv[2]);
        unseen("socket", argv[2]);
    } else if (strcmp(s, "unseen-accept") == 0) {
        listen_on("127.0.0.1");
        unseen_accept("seen");
        unseen_accept("unseen");
    } else if (strcmp(s, "bypass") == 0)
        bypass();
    else if (strcmp(s, "bind-einval") == 0)
        bind_einval();
    else if (strcmp(s, "stress") == 0 && argc > 3)
        stress(atoi(argv[2]), atoi(argv[3]));
    else {
        fprintf(stderr, "usage: hostile SCENARIO [ARG...] (see the header of hostile.c)\n");
        return 2;
    }
    return failures ? 1 : 0;
}
