/* The libc functions src_vipa.so intercepts, declared once. Each X(RET, NAME, PARAMS, ARGS)
 * gives the real function's type. sv_libc starts out pointing at raw system calls and is
 * switched to the C library's functions (dlsym(RTLD_NEXT)) by the library's constructor
 * (init.c), so a pointer is never NULL and a wrapper never has to resolve anything: no
 * lock, no pthread_once, nothing a signal handler could deadlock on. The shim itself
 * always calls these pointers, never its own wrappers. */
#ifndef SV_LIBC_H
#define SV_LIBC_H

#include <sys/socket.h>
#include <sys/types.h>

#define SV_LIBC_CALLS(X)                                                                     \
    X(int, socket, (int domain, int type, int protocol), (domain, type, protocol))          \
    X(int, connect, (int fd, const struct sockaddr *addr, socklen_t len), (fd, addr, len))  \
    X(int, bind, (int fd, const struct sockaddr *addr, socklen_t len), (fd, addr, len))     \
    X(ssize_t, sendto,                                                                       \
      (int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,            \
       socklen_t len),                                                                       \
      (fd, buf, n, flags, addr, len))                                                        \
    X(ssize_t, sendmsg, (int fd, const struct msghdr *msg, int flags), (fd, msg, flags))    \
    X(int, sendmmsg, (int fd, struct mmsghdr *vec, unsigned int vlen, int flags),            \
      (fd, vec, vlen, flags))                                                                \
    X(int, close, (int fd), (fd))                                                            \
    X(int, shutdown, (int fd, int how), (fd, how))                                           \
    X(int, dup, (int oldfd), (oldfd))                                                        \
    X(int, dup2, (int oldfd, int newfd), (oldfd, newfd))                                     \
    X(int, dup3, (int oldfd, int newfd, int flags), (oldfd, newfd, flags))                   \
    X(int, fcntl, (int fd, int cmd, ...), (fd, cmd, arg))                                    \
    X(int, accept, (int fd, struct sockaddr *addr, socklen_t *len), (fd, addr, len))         \
    X(int, accept4, (int fd, struct sockaddr *addr, socklen_t *len, int flags),              \
      (fd, addr, len, flags))                                                                \
    X(int, close_range, (unsigned int first, unsigned int last, int flags),                  \
      (first, last, flags))

struct sv_libc {
#define SV_LIBC_POINTER(ret, name, params, args) ret(*name) params;
    SV_LIBC_CALLS(SV_LIBC_POINTER)
#undef SV_LIBC_POINTER
};

extern struct sv_libc sv_libc;

/* glibc declares the sockaddr parameters of connect/bind/sendto as a transparent union
 * under _GNU_SOURCE; SV_SOCKADDR_ARG is that type and SV_SA() gives the pointer. */
#ifdef __SOCKADDR_ALLTYPES
#define SV_SOCKADDR_ARG __CONST_SOCKADDR_ARG
#define SV_SA(arg) ((arg).__sockaddr__)
#define SV_SOCKADDR_OUT __SOCKADDR_ARG
#define SV_SA_OUT(arg) ((arg).__sockaddr__)
#else
#define SV_SOCKADDR_ARG const struct sockaddr *
#define SV_SA(arg) (arg)
#define SV_SOCKADDR_OUT struct sockaddr *
#define SV_SA_OUT(arg) (arg)
#endif

/* visibility of the intercepted symbols; everything else in src_vipa.so is hidden */
#define SV_EXPORT __attribute__((visibility("default")))

#endif
