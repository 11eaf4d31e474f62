/* shim_test: C-level checks of src_vipa.so, run through LD_PRELOAD by test/native/run.sh
 * inside a private network namespace (loopback, fd00::5/6 on lo), with the configuration
 * that run.sh writes for each scenario. Only loopback and fd00::/8 addresses are used.
 *
 * usage: shim_test SCENARIO [ARG...]
 *   basic        connect/bind/send behaviour with run.sh's "basic" configuration
 *   lc           lc bookkeeping: close, shutdown, dup2, close_range, fd reuse, vfork
 *   lrr          per-process round robin and fork
 *   ipv6         IPv6 rules, mapped destinations, dual-stack wildcard binds (left alone)
 *   source       one TCP connection to 127.0.0.1: prints its source address
 *   hold FILE    like source, then keeps running until FILE exists (at most 20 s)
 *   connect-loop N  N UDP socket+connect+close (run.sh counts syscalls)
 *   udp-repeat N [raw]  N datagrams from one unbound UDP socket (run.sh counts syscalls);
 *                raw: the socket comes from a raw socket system call (unknown to the shim)
 *   passthrough  connections work and leave from the default source (127.0.0.1)
 * Prints "ok - ..." / "not ok - ..." lines; exit status 1 if any check failed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
    exit(1);
}

/* ---- addresses ---------------------------------------------------------------------- */

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

    return inet_ntop(ss->ss_family, a, buf, (socklen_t)cap) ? buf : "?";
}

static unsigned port_of(const struct sockaddr_storage *ss)
{
    return ntohs(ss->ss_family == AF_INET ? ((struct sockaddr_in *)ss)->sin_port
                                          : ((struct sockaddr_in6 *)ss)->sin6_port);
}

/* the local address of fd as text (static buffer: use before the next call) */
static const char *local_of(int fd)
{
    static char buf[INET6_ADDRSTRLEN];
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return "error";
    return addr_text(&ss, buf, sizeof buf);
}

static unsigned local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    return port_of(&ss);
}

/* ---- sockets ------------------------------------------------------------------------ */

static int listener(const char *addr, unsigned *port)
{
    struct sockaddr_storage ss;
    socklen_t len = make_addr(&ss, addr, 0);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 128) != 0)
        die("listener");
    *port = local_port(fd);
    return fd;
}

/* a connected TCP socket to addr:port of listener lfd (the accepted end is closed) */
static int tcp_to(int family, const char *addr, unsigned port, int lfd)
{
    struct sockaddr_storage ss;
    socklen_t len = make_addr(&ss, addr, port);
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), a;

    if (fd < 0)
        die("socket");
    if (connect(fd, (struct sockaddr *)&ss, len) != 0)
        die("connect");
    a = accept(lfd, NULL, NULL);
    if (a < 0)
        die("accept");
    close(a);
    return fd;
}

static int udp_receiver(const char *addr, unsigned *port)
{
    struct sockaddr_storage ss;
    socklen_t len = make_addr(&ss, addr, 0);
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct timeval tv = { 5, 0 };

    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0)
        die("udp receiver");
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    *port = local_port(fd);
    return fd;
}

/* the source address of the next datagram on fd */
static const char *received_from(int fd)
{
    static char buf[INET6_ADDRSTRLEN];
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char data[64];

    if (recvfrom(fd, data, sizeof data, 0, (struct sockaddr *)&ss, &len) < 0)
        return "nothing";
    return addr_text(&ss, buf, sizeof buf);
}

/* ---- scenarios ------------------------------------------------------------------------ */

/* run.sh "basic": 127.0.0.0/8 onevipa 127.0.0.5; 127.0.1.0/24 onevipa 192.0.2.1 (not
 * local); .INADDR_ANY 7000-7010 onevipa 127.0.0.7; .INADDR_ANY 7020 onevipa 192.0.2.1 */
static void scenario_basic(void)
{
    struct sockaddr_storage ss;
    socklen_t len;
    unsigned port, uport, closed_port;
    int lfd = listener("127.0.0.1", &port), fd, a, v, rc;
    socklen_t vlen = sizeof v;

    fd = tcp_to(AF_INET, "127.0.0.1", port, lfd);
    check(strcmp(local_of(fd), "127.0.0.5") == 0, "TCP connect leaves from the VIPA (%s)", local_of(fd));
    v = 0;
    getsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &v, &vlen);
    check(v == 1, "TCP: IP_BIND_ADDRESS_NO_PORT set before the bind");
    close(fd);

    /* errno: untouched on success, the real connect's on failure */
    len = make_addr(&ss, "127.0.0.1", port);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    errno = 4242;
    rc = connect(fd, (struct sockaddr *)&ss, len);
    check(rc == 0 && errno == 4242, "successful connect leaves errno alone (errno %d)", errno);
    close(accept(lfd, NULL, NULL));
    close(fd);

    fd = socket(AF_INET, SOCK_STREAM, 0);
    a = socket(AF_INET, SOCK_STREAM, 0);
    len = make_addr(&ss, "127.0.0.1", 0);
    bind(a, (struct sockaddr *)&ss, len);
    closed_port = local_port(a);
    close(a); /* nobody listens there now */
    len = make_addr(&ss, "127.0.0.1", closed_port);
    rc = connect(fd, (struct sockaddr *)&ss, len);
    check(rc == -1 && errno == ECONNREFUSED, "refused connect: errno ECONNREFUSED (%s)", strerror(errno));
    close(fd);

    rc = connect(-1, (struct sockaddr *)&ss, len);
    check(rc == -1 && errno == EBADF, "connect(-1): errno EBADF (%s)", strerror(errno));
    {
        int p[2];

        if (pipe(p) != 0)
            die("pipe");
        rc = connect(p[0], (struct sockaddr *)&ss, len);
        check(rc == -1 && errno == ENOTSOCK, "connect(pipe): errno ENOTSOCK (%s)", strerror(errno));
        close(p[0]);
        close(p[1]);
    }

    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    len = make_addr(&ss, "127.0.0.1", port);
    rc = connect(fd, (struct sockaddr *)&ss, len);
    check((rc == 0 || errno == EINPROGRESS) && strcmp(local_of(fd), "127.0.0.5") == 0,
          "non-blocking connect: %s from %s", rc == 0 ? "done" : strerror(errno), local_of(fd));
    close(accept(lfd, NULL, NULL));
    close(fd);

    /* explicit binds are left alone */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    len = make_addr(&ss, "127.0.0.9", 0);
    bind(fd, (struct sockaddr *)&ss, len);
    len = make_addr(&ss, "127.0.0.1", port);
    connect(fd, (struct sockaddr *)&ss, len);
    close(accept(lfd, NULL, NULL));
    check(strcmp(local_of(fd), "127.0.0.9") == 0, "explicit bind 127.0.0.9 kept (%s)", local_of(fd));
    close(fd);

    fd = socket(AF_INET, SOCK_STREAM, 0);
    len = make_addr(&ss, "0.0.0.0", 0);
    bind(fd, (struct sockaddr *)&ss, len);
    len = make_addr(&ss, "127.0.0.1", port);
    connect(fd, (struct sockaddr *)&ss, len);
    close(accept(lfd, NULL, NULL));
    check(strcmp(local_of(fd), "127.0.0.1") == 0, "wildcard bind without rule kept (%s)", local_of(fd));
    close(fd);

    /* wildcard, port 0, no port reserved: looks unbound to getsockname; still the app's */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    v = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &v, sizeof v);
    len = make_addr(&ss, "0.0.0.0", 0);
    bind(fd, (struct sockaddr *)&ss, len);
    len = make_addr(&ss, "127.0.0.1", port);
    connect(fd, (struct sockaddr *)&ss, len);
    close(accept(lfd, NULL, NULL));
    check(strcmp(local_of(fd), "127.0.0.1") == 0,
          "wildcard bind with IP_BIND_ADDRESS_NO_PORT kept (%s)", local_of(fd));
    close(fd);

    /* the same, after a vfork child closed its copy: the parent still knows it is the app's */
    {
        pid_t pid;
        int status;

        fd = socket(AF_INET, SOCK_STREAM, 0);
        v = 1;
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &v, sizeof v);
        len = make_addr(&ss, "0.0.0.0", 0);
        bind(fd, (struct sockaddr *)&ss, len);
        pid = vfork();
        if (pid == 0) {
            close(fd);
            _exit(0);
        }
        waitpid(pid, &status, 0);
        len = make_addr(&ss, "127.0.0.1", port);
        connect(fd, (struct sockaddr *)&ss, len);
        close(accept(lfd, NULL, NULL));
        check(strcmp(local_of(fd), "127.0.0.1") == 0,
              "wildcard bind kept after a vfork child closed the socket (%s)", local_of(fd));
        close(fd);
    }

    /* bound behind the shim's back (a raw system call) after our socket(): the shim's
     * own bind fails, and the connect goes on from the application's source, errno kept */
    for (int udp = 0; udp <= 1; udp++) {
        fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
        len = make_addr(&ss, "127.0.0.9", 0);
        if (syscall(SYS_bind, fd, (struct sockaddr *)&ss, len) != 0)
            die("raw bind");
        len = make_addr(&ss, "127.0.0.1", port);
        errno = 4242;
        rc = connect(fd, (struct sockaddr *)&ss, len);
        if (!udp)
            close(accept(lfd, NULL, NULL));
        check(rc == 0 && errno == 4242 && strcmp(local_of(fd), "127.0.0.9") == 0,
              "%s bound by a raw bind: source kept, errno kept (%s, errno %d)", udp ? "UDP" : "TCP",
              local_of(fd), errno);
        close(fd);
    }

    /* a source that cannot be bound: the connect goes on from the default source */
    {
        unsigned p1;
        int l1 = listener("127.0.1.1", &p1);

        fd = socket(AF_INET, SOCK_STREAM, 0);
        len = make_addr(&ss, "127.0.1.1", p1);
        errno = 4242;
        rc = connect(fd, (struct sockaddr *)&ss, len);
        check(rc == 0 && errno == 4242 && strcmp(local_of(fd), "127.0.0.1") == 0,
              "non-local VIPA: connect still succeeds from the default source (%s)", local_of(fd));
        close(accept(l1, NULL, NULL));
        close(fd);
        close(l1);
    }

    /* .INADDR_ANY */
    {
        const struct sockaddr_in want = { .sin_family = AF_INET, .sin_port = htons(7005) };
        struct sockaddr_in arg = want;

        fd = socket(AF_INET, SOCK_STREAM, 0);
        rc = bind(fd, (struct sockaddr *)&arg, sizeof arg);
        check(rc == 0 && strcmp(local_of(fd), "127.0.0.7") == 0 && local_port(fd) == 7005,
              ".INADDR_ANY 7000-7010: wildcard bind on 7005 gets 127.0.0.7 (%s:%u)", local_of(fd),
              local_port(fd));
        check(memcmp(&arg, &want, sizeof arg) == 0, ".INADDR_ANY: the caller's sockaddr is unchanged");
        len = make_addr(&ss, "127.0.0.1", port);
        connect(fd, (struct sockaddr *)&ss, len);
        close(accept(lfd, NULL, NULL));
        check(strcmp(local_of(fd), "127.0.0.7") == 0 && local_port(fd) == 7005,
              ".INADDR_ANY: connect keeps the bound source (%s:%u)", local_of(fd), local_port(fd));
        close(fd);

        arg.sin_port = htons(7020);
        fd = socket(AF_INET, SOCK_STREAM, 0);
        errno = 4242;
        rc = bind(fd, (struct sockaddr *)&arg, sizeof arg);
        check(rc == 0 && errno == 4242 && strcmp(local_of(fd), "0.0.0.0") == 0 && local_port(fd) == 7020,
              ".INADDR_ANY with a non-local source: the wildcard bind is done (%s:%u)", local_of(fd),
              local_port(fd));
        close(fd);

        arg.sin_port = htons(7030);
        fd = socket(AF_INET, SOCK_STREAM, 0);
        rc = bind(fd, (struct sockaddr *)&arg, sizeof arg);
        check(rc == 0 && strcmp(local_of(fd), "0.0.0.0") == 0, "wildcard bind outside every port range left alone");
        /* the port is taken now: the application sees EADDRINUSE, as without the shim */
        a = socket(AF_INET, SOCK_STREAM, 0);
        arg.sin_port = htons(7030);
        listen(fd, 1);
        rc = bind(a, (struct sockaddr *)&arg, sizeof arg);
        check(rc == -1 && errno == EADDRINUSE, "bind to a busy port: errno EADDRINUSE (%s)", strerror(errno));
        close(a);
        close(fd);

        arg.sin_port = htons(7006);
        fd = socket(AF_INET, SOCK_STREAM, 0);
        a = socket(AF_INET, SOCK_STREAM, 0);
        bind(fd, (struct sockaddr *)&arg, sizeof arg);
        listen(fd, 1);
        rc = bind(a, (struct sockaddr *)&arg, sizeof arg);
        check(rc == -1 && errno == EADDRINUSE, ".INADDR_ANY source busy: errno EADDRINUSE of the retry (%s)",
              strerror(errno));
        close(a);
        close(fd);
    }

    /* UDP: sendto, sendmsg, sendmmsg bind before the first datagram */
    {
        int r = udp_receiver("127.0.0.1", &uport);
        struct sockaddr_storage dst;
        socklen_t dlen = make_addr(&dst, "127.0.0.1", uport);
        struct iovec iov = { "x", 1 };
        struct msghdr mh = { .msg_name = &dst, .msg_namelen = dlen, .msg_iov = &iov, .msg_iovlen = 1 };
        struct mmsghdr mm[2] = { { .msg_hdr = mh }, { .msg_hdr = mh } };

        fd = socket(AF_INET, SOCK_DGRAM, 0);
        errno = 4242;
        rc = (int)sendto(fd, "x", 1, 0, (struct sockaddr *)&dst, dlen);
        check(rc == 1 && errno == 4242, "sendto succeeds, errno untouched");
        check(strcmp(received_from(r), "127.0.0.5") == 0, "UDP sendto leaves from the VIPA");
        sendto(fd, "y", 1, 0, (struct sockaddr *)&dst, dlen);
        check(strcmp(received_from(r), "127.0.0.5") == 0, "UDP: the second datagram too");
        close(fd);

        fd = socket(AF_INET, SOCK_DGRAM, 0);
        sendmsg(fd, &mh, 0);
        check(strcmp(received_from(r), "127.0.0.5") == 0, "UDP sendmsg leaves from the VIPA");
        close(fd);

        fd = socket(AF_INET, SOCK_DGRAM, 0);
        rc = sendmmsg(fd, mm, 2, 0);
        check(rc == 2 && strcmp(received_from(r), "127.0.0.5") == 0 &&
                  strcmp(received_from(r), "127.0.0.5") == 0,
              "UDP sendmmsg: both datagrams from the VIPA");
        close(fd);

        fd = socket(AF_INET, SOCK_DGRAM, 0);
        len = make_addr(&ss, "127.0.0.1", uport);
        connect(fd, (struct sockaddr *)&ss, len);
        send(fd, "z", 1, 0);
        check(strcmp(received_from(r), "127.0.0.5") == 0, "UDP connect + send leaves from the VIPA");
        close(fd);

        rc = (int)sendto(-1, "x", 1, 0, (struct sockaddr *)&dst, dlen);
        check(rc == -1 && errno == EBADF, "sendto(-1): errno EBADF (%s)", strerror(errno));
        close(r);
    }

    /* TCP Fast Open: sendto with MSG_FASTOPEN connects; bound first */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    len = make_addr(&ss, "127.0.0.1", port);
    rc = (int)sendto(fd, "hello", 5, MSG_FASTOPEN, (struct sockaddr *)&ss, len);
    if (rc < 0 && errno == EOPNOTSUPP) {
        printf("ok - TCP Fast Open not enabled for clients here: skipped\n");
    } else {
        a = accept(lfd, NULL, NULL);
        check(rc == 5 && strcmp(local_of(fd), "127.0.0.5") == 0,
              "TCP Fast Open sendto leaves from the VIPA (%s)", local_of(fd));
        close(a);
    }
    close(fd);
    close(lfd);
}

/* run.sh "lc": 127.0.0.1/32 lc 127.0.0.21 127.0.0.22 */
static void scenario_lc(void)
{
    unsigned port;
    int lfd = listener("127.0.0.1", &port);
    int c1, c2, c3, c4, c5, spare;
    char s1[64];

    c1 = tcp_to(AF_INET, "127.0.0.1", port, lfd);
    snprintf(s1, sizeof s1, "%s", local_of(c1));
    c2 = tcp_to(AF_INET, "127.0.0.1", port, lfd);
    check(strcmp(s1, local_of(c2)) != 0, "lc: two sockets, two sources (%s, %s)", s1, local_of(c2));

    close(c1);
    c3 = tcp_to(AF_INET, "127.0.0.1", port, lfd);
    check(strcmp(local_of(c3), s1) == 0, "lc: close gives the source back (%s)", local_of(c3));

    shutdown(c2, SHUT_RDWR);
    {
        char s2[64];

        snprintf(s2, sizeof s2, "%s", local_of(c2));
        c4 = tcp_to(AF_INET, "127.0.0.1", port, lfd);
        check(strcmp(local_of(c4), s2) == 0, "lc: shutdown(SHUT_RDWR) gives the source back (%s)", local_of(c4));
        close(c2); /* no second release: the count is gone already */
    }

    /* now c3 (s1) and c4 (the other) are open: dup2 over c3 releases s1 */
    spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
    dup2(spare, c3);
    c5 = tcp_to(AF_INET, "127.0.0.1", port, lfd);
    check(strcmp(local_of(c5), s1) == 0, "lc: dup2 over a socket gives its source back (%s)", local_of(c5));
    close(c3);

    /* close_range over c5 (s1) */
    close_range((unsigned)c5, (unsigned)c5, 0);
    c1 = tcp_to(AF_INET, "127.0.0.1", port, lfd);
    check(strcmp(local_of(c1), s1) == 0, "lc: close_range gives the source back (%s)", local_of(c1));

    /* closed behind the shim's back (raw system call): the next socket() with that
     * number gives the stale count back */
    syscall(SYS_close, c1);
    c2 = socket(AF_INET, SOCK_STREAM, 0);
    {
        struct sockaddr_storage ss;
        socklen_t len = make_addr(&ss, "127.0.0.1", port);

        if (c2 != c1 || connect(c2, (struct sockaddr *)&ss, len) != 0)
            die("socket reusing the number");
        close(accept(lfd, NULL, NULL));
    }
    check(strcmp(local_of(c2), s1) == 0, "lc: a number reused after an unseen close releases (%s)", local_of(c2));

    /* a vfork child closing our socket changes nothing in the parent */
    {
        pid_t pid = vfork();
        int status;

        if (pid == 0) {
            close(c2);
            _exit(0);
        }
        waitpid(pid, &status, 0);
        c3 = tcp_to(AF_INET, "127.0.0.1", port, lfd);
        check(strcmp(local_of(c3), s1) != 0, "lc: a vfork child's close does not release the parent's count (%s)",
              local_of(c3));
        close(c3);
    }
    close(c2);
    close(c4);
    close(spare);
    close(lfd);
}

/* run.sh "lrr": 127.0.0.1/32 lrr 127.0.0.11 127.0.0.12 127.0.0.13 */
static void scenario_lrr(void)
{
    const char *srcs[] = { "127.0.0.11", "127.0.0.12", "127.0.0.13" };
    unsigned port;
    int lfd = listener("127.0.0.1", &port), first = -1, good = 1, i, k;

    for (i = 0; i < 6; i++) {
        int fd = tcp_to(AF_INET, "127.0.0.1", port, lfd);
        const char *s = local_of(fd);

        for (k = 0; k < 3 && strcmp(s, srcs[k]) != 0; k++)
            ;
        if (first < 0)
            first = k;
        if (k == 3 || k != (first + i) % 3)
            good = 0;
        close(fd);
    }
    check(good, "lrr: 6 connections walk the 3 sources in order");

    /* fork: the child works, and 3 children of one parent do not all start alike */
    {
        int pipefd[2], n = 0;
        char seen[3][32];

        if (pipe(pipefd) != 0)
            die("pipe");
        for (i = 0; i < 3; i++) {
            pid_t pid = fork();

            if (pid == 0) {
                int fd = tcp_to(AF_INET, "127.0.0.1", port, lfd);
                char line[32];

                snprintf(line, sizeof line, "%-31s", local_of(fd));
                (void)!write(pipefd[1], line, 31);
                close(fd);
                exit(0);
            }
            waitpid(pid, NULL, 0);
        }
        close(pipefd[1]);
        while (n < 3 && read(pipefd[0], seen[n], 31) == 31) {
            seen[n][31] = '\0';
            n++;
        }
        close(pipefd[0]);
        check(n == 3 && strcmp(seen[0], seen[1]) != 0 && strcmp(seen[1], seen[2]) != 0 &&
                  strcmp(seen[0], seen[2]) != 0,
              "lrr + fork: 3 children start at 3 different sources");
    }

    /* a socket the kernel bound at its first connect (no rule for 127.0.0.2) is not
     * decided on again at its second: lrr does not move */
    {
        struct sockaddr_storage ss;
        socklen_t len;
        int u = socket(AF_INET, SOCK_DGRAM, 0), fd = tcp_to(AF_INET, "127.0.0.1", port, lfd);
        int k1, k2;

        for (k1 = 0; k1 < 3 && strcmp(local_of(fd), srcs[k1]) != 0; k1++)
            ;
        close(fd);
        len = make_addr(&ss, "127.0.0.2", 9);
        connect(u, (struct sockaddr *)&ss, len);
        len = make_addr(&ss, "127.0.0.1", 9);
        connect(u, (struct sockaddr *)&ss, len);
        fd = tcp_to(AF_INET, "127.0.0.1", port, lfd);
        for (k2 = 0; k2 < 3 && strcmp(local_of(fd), srcs[k2]) != 0; k2++)
            ;
        check(k1 < 3 && k2 == (k1 + 1) % 3 && strcmp(local_of(u), "127.0.0.1") == 0,
              "lrr: a reconnect of a socket bound by its first connect takes no turn (%s)",
              local_of(u));
        close(fd);
        close(u);
    }

    /* vfork + exec */
    {
        pid_t pid = vfork();
        int status = -1;

        if (pid == 0) {
            execl("/bin/true", "true", (char *)NULL);
            _exit(127);
        }
        waitpid(pid, &status, 0);
        check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "vfork + exec works");
        int fd = tcp_to(AF_INET, "127.0.0.1", port, lfd);

        check(strncmp(local_of(fd), "127.0.0.1", 9) == 0 && strcmp(local_of(fd), "127.0.0.1") != 0,
              "after vfork the parent still selects (%s)", local_of(fd));
        close(fd);
    }
    close(lfd);
}

/* run.sh "ipv6": ::1/128 onevipa fd00::5; 127.0.0.1/32 onevipa 127.0.0.5;
 * .INADDR_ANY 7000-7010 onevipa 127.0.0.7; .INADDR_ANY 7040 onevipa fd00::6 */
static void scenario_ipv6(void)
{
    struct sockaddr_in6 any6 = { .sin6_family = AF_INET6 };
    unsigned port, port4;
    int lfd = listener("::1", &port), l4, fd, off = 0, on = 1;

    fd = tcp_to(AF_INET6, "::1", port, lfd);
    check(strcmp(local_of(fd), "fd00::5") == 0, "IPv6 rule: ::1 reached from fd00::5 (%s)", local_of(fd));
    close(fd);

    l4 = socket(AF_INET6, SOCK_STREAM, 0);
    setsockopt(l4, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    any6.sin6_port = 0;
    if (bind(l4, (struct sockaddr *)&any6, sizeof any6) != 0 || listen(l4, 16) != 0)
        die("dual-stack listener");
    port4 = local_port(l4);
    fd = tcp_to(AF_INET6, "::ffff:127.0.0.1", port4, l4);
    check(strcmp(local_of(fd), "::ffff:127.0.0.5") == 0, "mapped destination: IPv4 rule, source ::ffff:127.0.0.5 (%s)",
          local_of(fd));
    close(fd);

    /* wildcard binds of IPv6 sockets */
    fd = socket(AF_INET6, SOCK_STREAM, 0);
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    any6.sin6_port = htons(7007);
    bind(fd, (struct sockaddr *)&any6, sizeof any6);
    /* an IPv4 source would take IPv6 away from the socket: IPv4 statements never answer */
    check(strcmp(local_of(fd), "::") == 0,
          "dual-stack wildcard bind: IPv4 .INADDR_ANY leaves it dual-stack (%s)", local_of(fd));
    close(fd);

    fd = socket(AF_INET6, SOCK_STREAM, 0);
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    bind(fd, (struct sockaddr *)&any6, sizeof any6);
    check(strcmp(local_of(fd), "::") == 0, "V6ONLY wildcard bind: no IPv6 statement, left alone (%s)", local_of(fd));
    close(fd);

    fd = socket(AF_INET6, SOCK_STREAM, 0);
    any6.sin6_port = htons(7040);
    bind(fd, (struct sockaddr *)&any6, sizeof any6);
    check(strcmp(local_of(fd), "fd00::6") == 0, "IPv6 .INADDR_ANY: fd00::6 (%s)", local_of(fd));
    close(fd);

    {
        unsigned up;
        int r = udp_receiver("::1", &up);
        struct sockaddr_storage dst;
        socklen_t dlen = make_addr(&dst, "::1", up);

        fd = socket(AF_INET6, SOCK_DGRAM, 0);
        sendto(fd, "x", 1, 0, (struct sockaddr *)&dst, dlen);
        check(strcmp(received_from(r), "fd00::5") == 0, "IPv6 UDP sendto leaves from fd00::5");
        close(fd);
        close(r);
    }
    close(l4);
    close(lfd);
}

static int scenario_source(const char *hold_file)
{
    unsigned port;
    int lfd = listener("127.0.0.1", &port);
    int fd = tcp_to(AF_INET, "127.0.0.1", port, lfd);

    printf("%s\n", local_of(fd));
    fflush(stdout);
    if (hold_file != NULL) {
        struct timespec t = { 0, 20000000 };

        for (int i = 0; i < 1000 && access(hold_file, F_OK) != 0; i++)
            nanosleep(&t, NULL);
    }
    close(fd);
    close(lfd);
    return 0;
}

static void scenario_udp_repeat(int n, int raw)
{
    unsigned port;
    int r = udp_receiver("127.0.0.1", &port), got = 0;
    int fd = raw ? (int)syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0) : socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_storage dst;
    socklen_t dlen = make_addr(&dst, "127.0.0.1", port);

    for (int i = 0; i < n; i++)
        sendto(fd, "x", 1, 0, (struct sockaddr *)&dst, dlen);
    for (int i = 0; i < n; i++)
        got += strcmp(received_from(r), "127.0.0.5") == 0;
    check(got == n, "udp-repeat: %d of %d datagrams from the VIPA", got, n);
    close(fd);
    close(r);
}

/* N lifecycles of an unbound UDP socket: socket, connect to 127.0.0.1:9, close (run.sh
 * counts the system calls: nothing beyond those three and the shim's bind) */
static void scenario_connect_loop(int n)
{
    struct sockaddr_storage ss;
    socklen_t len = make_addr(&ss, "127.0.0.1", 9);
    int ok = 0;

    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);

        ok += fd >= 0 && connect(fd, (struct sockaddr *)&ss, len) == 0;
        close(fd);
    }
    check(ok == n, "connect-loop: %d of %d", ok, n);
}

static void scenario_passthrough(void)
{
    unsigned port, uport;
    int lfd = listener("127.0.0.1", &port), fd, r;
    struct sockaddr_storage dst;
    socklen_t dlen;

    fd = tcp_to(AF_INET, "127.0.0.1", port, lfd);
    check(strcmp(local_of(fd), "127.0.0.1") == 0, "pass-through: TCP from the default source (%s)", local_of(fd));
    close(fd);
    r = udp_receiver("127.0.0.1", &uport);
    dlen = make_addr(&dst, "127.0.0.1", uport);
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    sendto(fd, "x", 1, 0, (struct sockaddr *)&dst, dlen);
    check(strcmp(received_from(r), "127.0.0.1") == 0, "pass-through: UDP from the default source");
    close(fd);
    close(r);
    close(lfd);
}

int main(int argc, char **argv)
{
    const char *s = argc > 1 ? argv[1] : "";

    if (strcmp(s, "basic") == 0)
        scenario_basic();
    else if (strcmp(s, "lc") == 0)
        scenario_lc();
    else if (strcmp(s, "lrr") == 0)
        scenario_lrr();
    else if (strcmp(s, "ipv6") == 0)
        scenario_ipv6();
    else if (strcmp(s, "source") == 0)
        return scenario_source(NULL);
    else if (strcmp(s, "hold") == 0 && argc == 3)
        return scenario_source(argv[2]);
    else if (strcmp(s, "connect-loop") == 0 && argc == 3)
        scenario_connect_loop(atoi(argv[2]));
    else if (strcmp(s, "udp-repeat") == 0 && (argc == 3 || (argc == 4 && strcmp(argv[3], "raw") == 0)))
        scenario_udp_repeat(atoi(argv[2]), argc == 4);
    else if (strcmp(s, "passthrough") == 0)
        scenario_passthrough();
    else {
        fprintf(stderr, "usage: shim_test basic|lc|lrr|ipv6|source|hold FILE|connect-loop N|udp-repeat N [raw]|passthrough\n");
        return 2;
    }
    return failures ? 1 : 0;
}
