/* Logging without disturbing the application.
 *
 * syslog(3) is not used: openlog() would replace the application's own ident and facility,
 * and the libc's connection to /dev/log is shared with the application. Instead each
 * message is one datagram to /dev/log, "<PRI>src_vipa[PID]: ...", sent from a socket
 * opened close-on-exec for that message and closed at once: messages are rare, and no
 * descriptor is kept that a daemonising application could close or inherit. The libc's
 * real socket/sendto/close are called, never our wrappers. No timestamp: the syslog
 * daemon adds its own, and localtime_r takes a lock and may allocate, which a message
 * logged while loading from a signal handler must not do. Cancellation is disabled around
 * the I/O (sendto and write are cancellation points): a message may be logged while the
 * engine lock is held. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <pthread.h>
#include <unistd.h>

#include "libc.h"
#include "log.h"

#define LINE_MAX_LEN 1024

/* No pthread_once: two threads reading the environment at once get the same answer. */
int sv_log_debug_state;

/* SRC_VIPA_DEBUG is ignored in secure-execution (setuid) processes: debug lines could show
 * an unprivileged user what a root-only configuration contains. */
int sv_log_debug_read(void)
{
    const char *v = getenv("SRC_VIPA_DEBUG");
    int on = v != NULL && strcmp(v, "1") == 0 && getauxval(AT_SECURE) == 0;

    __atomic_store_n(&sv_log_debug_state, on ? 2 : 1, __ATOMIC_RELAXED);
    return on;
}

static void to_syslog(int level, const char *body, size_t len)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
    char buf[LINE_MAX_LEN + 16];
    int n, fd;

    n = snprintf(buf, sizeof buf, "<%d>%.*s", LOG_USER | level, (int)len, body);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof buf)
        n = sizeof buf - 1;
    fd = sv_libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    sv_libc.sendto(fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&addr,
                   sizeof addr);
    sv_libc.close(fd);
}

void sv_log_text(int level, const char *func, const char *msg, size_t len)
{
    char line[LINE_MAX_LEN];
    int saved = errno;
    int debug = sv_log_debug_enabled();
    int n;

    if (level > LOG_NOTICE && !debug) {
        errno = saved;
        return;
    }
    n = snprintf(line, sizeof line - 1, "src_vipa[%d]: %s: %.*s", (int)getpid(), func,
                 (int)(len > LINE_MAX_LEN ? LINE_MAX_LEN : len), msg);
    if (n > 0) {
        int cancel;

        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
        if ((size_t)n > sizeof line - 2)
            n = sizeof line - 2;
        if (level <= LOG_NOTICE)
            to_syslog(level, line, (size_t)n);
        if (debug) {
            line[n] = '\n';
            (void)!write(STDERR_FILENO, line, (size_t)n + 1);
        }
        pthread_setcancelstate(cancel, NULL);
    }
    errno = saved;
}

void sv_log(int level, const char *func, const char *fmt, ...)
{
    char msg[LINE_MAX_LEN];
    int saved = errno;
    va_list ap;
    int n;

    if (level > LOG_NOTICE && !sv_log_debug_enabled())
        return;
    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n >= 0)
        sv_log_text(level, func, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
    errno = saved;
}
