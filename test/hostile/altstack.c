/* altstack: a signal handler running on an alternate signal stack passes the address of
 * its thread's stack guard page to sendto(). The alternate stack is mapped just below the
 * thread's small stack, so the guard page lies between the handler's stack pointer and
 * the thread pointer: the library must not take it for stack memory it may read (it once
 * did, and the program died of SIGSEGV). Prints "res=R errno=TEXT"; run.sh compares the
 * line with the run without the library (the kernel's EFAULT). */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define STACK (1 << 16)

static char *bad;
static int res, err;

static void handler(int sig)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    (void)sig;
    errno = 0;
    res = (int)sendto(fd, "x", 1, 0, (struct sockaddr *)bad, 16);
    err = errno;
    close(fd);
}

static void *thread(void *arg)
{
    char *alt = mmap(NULL, STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    stack_t ss = { .ss_sp = alt, .ss_size = STACK };
    struct sigaction sa;
    pthread_attr_t at;
    size_t size;
    void *lo;

    (void)arg;
    sigaltstack(&ss, NULL);
    pthread_getattr_np(pthread_self(), &at);
    pthread_attr_getstack(&at, &lo, &size);
    bad = (char *)lo - 4096; /* the guard page below the usable stack */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("res=%d errno=%s\n", res, strerror(err));
    return NULL;
}

int main(void)
{
    pthread_attr_t a;
    pthread_t t;

    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, STACK);
    pthread_create(&t, &a, thread, NULL);
    pthread_join(t, NULL);
    return 0;
}
