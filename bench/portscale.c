/* Port scale: opens N concurrent TCP connections from one source address to several
 * destination ports (round robin) and keeps them all open, then reports how many
 * succeeded, the first failure, and which source addresses and ports the kernel gave.
 *
 *   portscale -d DEST -P PORT[,PORT...] -n N -m plain|bind|bindnp [-s SRC]
 *
 * -m plain   no bind in the program: with src_vipa.so preloaded the library binds the
 *            source (with IP_BIND_ADDRESS_NO_PORT); without it the kernel picks
 *    bind    the program binds SRC port 0 itself WITHOUT IP_BIND_ADDRESS_NO_PORT: what a
 *            source-address tool that binds with a port (src_vipa 2.1.0) does. Each bind
 *            reserves an ephemeral port for good, whatever the destination
 *    bindnp  the same bind after setsockopt(IP_BIND_ADDRESS_NO_PORT): the port is chosen
 *            at connect time, per destination (what src_vipa.so does)
 * The program listens on DEST:PORT itself (backlog 4096, never accepts: the kernel
 * completes the handshakes into the accept queue). Meant to run inside a network namespace
 * whose net.ipv4.ip_local_port_range holds fewer ports than N. Prints one JSON line. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define MAX_PORTS 8
#define MAX_CONN 20000

static struct sockaddr_in sa(const char *text, int port)
{
    struct sockaddr_in s;
    memset(&s, 0, sizeof s);
    s.sin_family = AF_INET;
    s.sin_port = htons((unsigned short)port);
    if (inet_pton(AF_INET, text, &s.sin_addr) != 1) {
        fprintf(stderr, "portscale: bad address %s\n", text);
        exit(2);
    }
    return s;
}

int main(int argc, char **argv)
{
    const char *dtext = "127.0.0.1", *stext = NULL, *mode = "plain";
    char portlist[128] = "5101,5102";
    int ports[MAX_PORTS], nports = 0, opt;
    long n = 500, ok = 0, fail = 0, first_fail_at = -1;
    int first_errno = 0;
    const char *first_call = "";
    static int fds[MAX_CONN];
    static unsigned short srcport[MAX_CONN];
    static unsigned char seen[65536];
    char srcaddrs[256] = "";
    long distinct = 0;

    while ((opt = getopt(argc, argv, "d:P:n:m:s:")) != -1) {
        switch (opt) {
        case 'd': dtext = optarg; break;
        case 'P': snprintf(portlist, sizeof portlist, "%s", optarg); break;
        case 'n': n = atol(optarg); break;
        case 'm': mode = optarg; break;
        case 's': stext = optarg; break;
        default:
            fprintf(stderr, "usage: portscale -d DEST -P PORT[,PORT] -n N -m plain|bind|bindnp "
                            "[-s SRC]\n");
            return 2;
        }
    }
    if (n < 1 || n > MAX_CONN) {
        fprintf(stderr, "portscale: -n must be 1..%d\n", MAX_CONN);
        return 2;
    }
    for (char *p = strtok(portlist, ","); p && nports < MAX_PORTS; p = strtok(NULL, ","))
        ports[nports++] = atoi(p);
    if (strcmp(mode, "plain") != 0 && stext == NULL) {
        fprintf(stderr, "portscale: -m %s needs -s SRC\n", mode);
        return 2;
    }
    {
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < (rlim_t)n + 64) {
            rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max : (rlim_t)n + 64;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    for (int i = 0; i < nports; i++) {
        struct sockaddr_in l = sa(dtext, ports[i]);
        int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (fd < 0 || bind(fd, (struct sockaddr *)&l, sizeof l) != 0 || listen(fd, 4096) != 0) {
            perror("portscale: listener");
            return 1;
        }
    }
    for (long i = 0; i < n; i++) {
        struct sockaddr_in d = sa(dtext, ports[i % nports]), local;
        socklen_t len = sizeof local;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        const char *call = "socket";

        fds[i] = fd;
        if (fd < 0)
            goto failed;
        if (strcmp(mode, "plain") != 0) {
            struct sockaddr_in s = sa(stext, 0);
            if (strcmp(mode, "bindnp") == 0) {
                int one = 1;
                setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
            }
            call = "bind";
            if (bind(fd, (struct sockaddr *)&s, sizeof s) != 0)
                goto failed;
        }
        call = "connect";
        if (connect(fd, (struct sockaddr *)&d, sizeof d) != 0)
            goto failed;
        if (getsockname(fd, (struct sockaddr *)&local, &len) == 0) {
            char text[INET_ADDRSTRLEN];
            srcport[i] = ntohs(local.sin_port);
            if (!seen[srcport[i]]++)
                distinct++;
            inet_ntop(AF_INET, &local.sin_addr, text, sizeof text);
            if (!strstr(srcaddrs, text) && strlen(srcaddrs) + strlen(text) + 4 < sizeof srcaddrs)
                snprintf(srcaddrs + strlen(srcaddrs), sizeof srcaddrs - strlen(srcaddrs),
                         "%s\"%s\"", srcaddrs[0] ? ", " : "", text);
        }
        ok++;
        continue;
    failed:
        if (fail++ == 0) {
            first_errno = errno;
            first_fail_at = i;
            first_call = call;
        }
        if (fd >= 0)
            close(fd);
        fds[i] = -1;
    }
    printf("{\"mode\": \"%s\", \"attempted\": %ld, \"succeeded\": %ld, \"failed\": %ld, "
           "\"first_failure_at\": %ld, \"first_failure\": \"%s%s%s\", \"destination_ports\": %d, "
           "\"distinct_source_ports\": %ld, \"source_addresses\": [%s]}\n",
           mode, n, ok, fail, first_fail_at, first_call, fail ? ": " : "",
           fail ? strerror(first_errno) : "", nports, distinct, srcaddrs);
    for (long i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return 0;
}
