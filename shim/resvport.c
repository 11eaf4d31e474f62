/* bindresvport(3) and rresvport(3)/rresvport_af(3) (rlogin, rsh, some RPC clients).
 *
 * glibc implements them with its internal bind, which an LD_PRELOAD library cannot see, so
 * `.INADDR_ANY` statements for ports below 1024 would never apply to them. These versions
 * keep glibc's documented behaviour (the port ranges tried, the errors returned) but bind
 * through our bind(), so the statements apply exactly as for a program's own bind. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim.h"

#define RESV_START 600  /* bindresvport tries 600-1023 first, from a pid-dependent port */
#define RESV_END 1023
#define RESV_LOW 512    /* then 512-599; rresvport goes down to 512 */

static int try_port(int sd, struct sockaddr_in *sin, int port)
{
    sin->sin_port = htons((uint16_t)port);
    return bind(sd, (struct sockaddr *)sin, sizeof *sin);
}

SV_EXPORT int bindresvport(int sd, struct sockaddr_in *sin)
{
    struct sockaddr_in any;
    int span = RESV_END - RESV_START + 1, first, i;

    if (sin == NULL) {
        memset(&any, 0, sizeof any);
        any.sin_family = AF_INET;
        sin = &any;
    } else if (sin->sin_family != AF_INET) {
        errno = EPFNOSUPPORT;
        return -1;
    }
    first = (int)(getpid() % span);
    for (i = 0; i < span; i++) {
        if (try_port(sd, sin, RESV_START + (first + i) % span) == 0)
            return 0;
        if (errno != EADDRINUSE)
            return -1;
    }
    for (i = RESV_LOW; i < RESV_START; i++) {
        if (try_port(sd, sin, i) == 0)
            return 0;
        if (errno != EADDRINUSE)
            return -1;
    }
    errno = EADDRINUSE;
    return -1;
}

SV_EXPORT int rresvport_af(int *alport, sa_family_t family)
{
    struct sockaddr_storage ss;
    in_port_t *port;
    socklen_t len;
    int s, err;

    memset(&ss, 0, sizeof ss);
    ss.ss_family = family;
    if (family == AF_INET) {
        len = sizeof(struct sockaddr_in);
        port = &((struct sockaddr_in *)&ss)->sin_port;
    } else if (family == AF_INET6) {
        len = sizeof(struct sockaddr_in6);
        port = &((struct sockaddr_in6 *)&ss)->sin6_port;
    } else {
        errno = EAFNOSUPPORT;
        return -1;
    }
    s = socket(family, SOCK_STREAM, 0);
    if (s < 0)
        return -1;
    for (;;) {
        *port = htons((uint16_t)*alport);
        if (bind(s, (struct sockaddr *)&ss, len) == 0)
            return s;
        if (errno != EADDRINUSE) {
            err = errno;
            close(s);
            errno = err;
            return -1;
        }
        if ((*alport)-- == RESV_LOW) {
            close(s);
            errno = EAGAIN;
            return -1;
        }
    }
}

SV_EXPORT int rresvport(int *alport)
{
    return rresvport_af(alport, AF_INET);
}
