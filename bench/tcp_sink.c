/* The TCP peer of the lifecycle benchmarks: listens on ADDR:PORT, accepts and closes.
 *
 *   tcp_sink ADDR PORT SECONDS
 *
 * Prints "ready" once listening; exits after SECONDS at the latest (alarm), or when the
 * benchmark kills it. Runs inside the benchmark's network namespace. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd, one = 1;

    if (argc != 4) {
        fprintf(stderr, "usage: tcp_sink ADDR PORT SECONDS\n");
        return 2;
    }
    memset(&ss, 0, sizeof ss);
    if (strchr(argv[1], ':')) {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
        s->sin6_family = AF_INET6;
        s->sin6_port = htons((unsigned short)atoi(argv[2]));
        inet_pton(AF_INET6, argv[1], &s->sin6_addr);
        len = sizeof *s;
    } else {
        struct sockaddr_in *s = (struct sockaddr_in *)&ss;
        s->sin_family = AF_INET;
        s->sin_port = htons((unsigned short)atoi(argv[2]));
        inet_pton(AF_INET, argv[1], &s->sin_addr);
        len = sizeof *s;
    }
    fd = socket(ss.ss_family, SOCK_STREAM, 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 4096) != 0) {
        perror("tcp_sink");
        return 1;
    }
    alarm((unsigned)atoi(argv[3]));
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        int c = accept(fd, NULL, NULL);
        if (c >= 0)
            close(c);
    }
}
