/* An independent counter for harness live's tests: preloaded in front of
 * the shim (LD_PRELOAD=count_calls.so:shim...), it counts the calls the
 * program makes, by function, and forwards each to the next definition
 * (the shim). Counts live in a file mapped shared, <COUNT_CALLS_DIR>/<pid>,
 * so they are complete however the process ends; a forked child counts
 * into a file of its own. Six u64: malloc, free, calloc, realloc, the
 * aligned calls, malloc_usable_size. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static _Atomic(uint64_t *) counts;
static __thread int resolving;
static char boot[65536];
static _Atomic size_t boot_used;

static void *(*next_malloc)(size_t);
static void (*next_free)(void *);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static int (*next_posix_memalign)(void **, size_t, size_t);
static void *(*next_aligned_alloc)(size_t, size_t);
static void *(*next_memalign)(size_t, size_t);
static size_t (*next_usable)(void *);

static void child(void) { atomic_store(&counts, NULL); }

static void resolve(void) {
    if (next_free) return;
    resolving = 1;
    next_malloc = dlsym(RTLD_NEXT, "malloc");
    next_calloc = dlsym(RTLD_NEXT, "calloc");
    next_realloc = dlsym(RTLD_NEXT, "realloc");
    next_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    next_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
    next_memalign = dlsym(RTLD_NEXT, "memalign");
    next_usable = dlsym(RTLD_NEXT, "malloc_usable_size");
    next_free = dlsym(RTLD_NEXT, "free");
    resolving = 0;
}

static uint64_t *file(void) {
    uint64_t *c = atomic_load(&counts);
    if (c) return c;
    const char *dir = getenv("COUNT_CALLS_DIR");
    if (!dir) return NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/%d", dir, (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || ftruncate(fd, 6 * 8) != 0) return NULL;
    c = mmap(NULL, 6 * 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (c == MAP_FAILED) return NULL;
    static _Atomic int registered;
    if (!atomic_exchange(&registered, 1)) pthread_atfork(NULL, NULL, child);
    atomic_store(&counts, c);
    return c;
}

static void count(int k) {
    if (resolving) return;
    resolving = 1;
    uint64_t *c = file();
    resolving = 0;
    if (c) __atomic_fetch_add(&c[k], 1, __ATOMIC_RELAXED);
}

static void *boot_alloc(size_t n) {
    size_t at = atomic_fetch_add(&boot_used, (n + 15) & ~(size_t)15);
    return at + n <= sizeof boot ? boot + at : NULL;
}
static int is_boot(void *p) { return (char *)p >= boot && (char *)p < boot + sizeof boot; }

void *malloc(size_t n) {
    if (resolving) return boot_alloc(n);
    resolve(); count(0);
    return next_malloc(n);
}
void free(void *p) {
    if (is_boot(p)) return;
    if (resolving) return;
    resolve(); count(1);
    next_free(p);
}
void *calloc(size_t n, size_t s) {
    if (resolving) return boot_alloc(n * s);
    resolve(); count(2);
    return next_calloc(n, s);
}
void *realloc(void *p, size_t n) {
    resolve(); count(3);
    if (is_boot(p)) { void *q = next_malloc(n); if (q) memcpy(q, p, n); return q; }
    return next_realloc(p, n);
}
int posix_memalign(void **out, size_t a, size_t n) {
    resolve(); count(4);
    return next_posix_memalign(out, a, n);
}
void *aligned_alloc(size_t a, size_t n) { resolve(); count(4); return next_aligned_alloc(a, n); }
void *memalign(size_t a, size_t n) { resolve(); count(4); return next_memalign(a, n); }
size_t malloc_usable_size(void *p) {
    if (is_boot(p)) return 0;
    resolve(); count(5);
    return next_usable(p);
}
