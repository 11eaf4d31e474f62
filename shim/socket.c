/* socket(2): a new socket must start with no state. If its number still carries some,
 * the previous socket with that number was closed behind our back (fclose() of an
 * fdopen()ed socket, a raw close system call): give back its `lc` count now. */
#include "shim.h"

SV_EXPORT int socket(int domain, int type, int protocol)
{
    int fd;

    sv_libc_init();
    fd = sv_libc.socket(domain, type, protocol);
    if (fd >= 0 && sv_fd_get(fd) != 0)
        sv_fd_forget(fd);
    return fd;
}
