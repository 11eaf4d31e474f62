/* Logging: syslog (ident "src_vipa", facility LOG_USER) for real problems, and stderr as
 * well when SRC_VIPA_DEBUG=1, which also enables the per-decision debug lines. Every line
 * reads "src_vipa[PID]: FUNCTION: MESSAGE". Never changes errno. */
#ifndef SV_LOG_H
#define SV_LOG_H

#include <syslog.h>

/* level: LOG_ERR, LOG_WARNING, LOG_NOTICE go to syslog (and stderr under debug);
 * LOG_INFO and LOG_DEBUG only to stderr, only under debug. */
void sv_log(int level, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* the same, with a message that is not NUL-terminated */
void sv_log_text(int level, const char *func, const char *msg, size_t len);

/* 0 until SRC_VIPA_DEBUG has been read, then 1 (off) or 2 (on) */
extern int sv_log_debug_state;
int sv_log_debug_read(void);

static inline int sv_log_debug_enabled(void)
{
    int state = __atomic_load_n(&sv_log_debug_state, __ATOMIC_RELAXED);

    return state != 0 ? state == 2 : sv_log_debug_read();
}

#define SV_ERR(...) sv_log(LOG_ERR, __func__, __VA_ARGS__)
#define SV_WARN(...) sv_log(LOG_WARNING, __func__, __VA_ARGS__)
#define SV_DEBUG(...) SV_DEBUG_AS(__func__, __VA_ARGS__)
/* tagged with the interposed call (connect, sendto...) rather than the helper's name */
#define SV_DEBUG_AS(func, ...)                    \
    do {                                          \
        if (sv_log_debug_enabled())               \
            sv_log(LOG_DEBUG, (func), __VA_ARGS__); \
    } while (0)

/* Logs at most once per call site for the life of the process. */
#define SV_ONCE(level, ...)                                          \
    do {                                                             \
        static int once_;                                            \
        if (!__atomic_exchange_n(&once_, 1, __ATOMIC_RELAXED))       \
            sv_log((level), __func__, __VA_ARGS__);                  \
    } while (0)

#endif
