/* A TCP client for test/secure/run.sh, installed set-user-ID there: connects to
 * 127.0.0.1:PORT and prints its effective uid and the source address the kernel gave the
 * connection ("65534 127.0.0.88"). Exit 2 if the connection fails. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct sockaddr_in to = { .sin_family = AF_INET }, me;
    socklen_t len = sizeof me;
    char text[INET_ADDRSTRLEN];
    int fd;

    if (argc != 2) {
        fprintf(stderr, "usage: client PORT\n");
        return 2;
    }
    to.sin_port = htons((unsigned short)atoi(argv[1]));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) != 0 ||
        getsockname(fd, (struct sockaddr *)&me, &len) != 0) {
        perror("client");
        return 2;
    }
    inet_ntop(AF_INET, &me.sin_addr, text, sizeof text);
    printf("%u %s\n", (unsigned)geteuid(), text);
    return close(fd) == 0 ? 0 : 2;
}
