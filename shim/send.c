/* sendto(2), sendmsg(2), sendmmsg(2) with a destination: a socket not bound yet (UDP, or
 * TCP with MSG_FASTOPEN) is bound by destination rule before its first send. The socket is
 * then marked settled, so later datagrams cost one table load and no system call. */
#include <errno.h>

#include "shim.h"

static void before_send(int fd, const struct sockaddr *dst, socklen_t len, int flags,
                        const char *func)
{
    unsigned state = sv_fd_get(fd);
    int saved;

    if (sv_in_shim || !sv_is_inet(dst, len) || (state & (SV_FD_OURS | SV_FD_USER | SV_FD_SENT)))
        return;
    saved = errno;
    if (sv_bind_for_destination(fd, dst, state, (flags & MSG_FASTOPEN) != 0, func))
        sv_fd_add(fd, SV_FD_SENT);
    errno = saved;
}

SV_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, SV_SOCKADDR_ARG arg,
                         socklen_t len)
{
    const struct sockaddr *addr = SV_SA(arg);

    sv_libc_init();
    before_send(fd, addr, len, flags, __func__);
    return sv_libc.sendto(fd, buf, n, flags, addr, len);
}

SV_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    sv_libc_init();
    if (msg != NULL)
        before_send(fd, msg->msg_name, msg->msg_namelen, flags, __func__);
    return sv_libc.sendmsg(fd, msg, flags);
}

/* One socket binds once: the first message's destination decides for the batch. */
SV_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
    sv_libc_init();
    if (vec != NULL && vlen > 0)
        before_send(fd, vec[0].msg_hdr.msg_name, vec[0].msg_hdr.msg_namelen, flags, __func__);
    return sv_libc.sendmmsg(fd, vec, vlen, flags);
}
