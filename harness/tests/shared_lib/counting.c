/* A malloc replacement for the tests of `--allocator-lib`: every call is
 * forwarded to glibc's own allocator (__libc_malloc and friends) behind a
 * 16-byte header that holds the block's base and requested size, and the
 * calls are counted. mallocs and reallocs of exactly MAGIC_SIZE bytes, and
 * the frees of the blocks they made (marked in their header), are counted
 * apart: the tests time that size, which the harness's own allocations do
 * not ask malloc or realloc for, so those counts are the timed calls. At exit the counts go
 * to $COUNTING_DIR/<pid> as "name value" lines. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC_SIZE 3333

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

struct header { void *base; size_t size; };

/* Set in a header's size when malloc or realloc made the block at MAGIC_SIZE. */
#define TIMED ((size_t)1 << 63)

static unsigned long n_malloc, n_free, n_calloc, n_realloc, n_memalign;
static unsigned long magic_malloc, magic_free, magic_realloc, magic_calloc;

static void count(unsigned long *c) { __atomic_fetch_add(c, 1, __ATOMIC_RELAXED); }

static void *wrap(void *base, size_t offset, size_t size) {
    if (!base) return NULL;
    char *p = (char *)base + offset;
    struct header *h = (struct header *)p - 1;
    h->base = base;
    h->size = size;
    return p;
}

static struct header *header_of(void *p) { return (struct header *)p - 1; }

static void *take(size_t n) {
    if (n > SIZE_MAX - 16) return NULL;
    return wrap(__libc_malloc(n + 16), 16, n);
}

static size_t size_of(void *p) { return header_of(p)->size & ~TIMED; }

static void *mark(void *p, size_t n) {
    if (p && n == MAGIC_SIZE) header_of(p)->size |= TIMED;
    return p;
}

static void give(void *p) { if (p) __libc_free(header_of(p)->base); }

void *malloc(size_t n) {
    count(&n_malloc);
    if (n == MAGIC_SIZE) count(&magic_malloc);
    return mark(take(n), n);
}

void free(void *p) {
    count(&n_free);
    if (p && (header_of(p)->size & TIMED)) count(&magic_free);
    give(p);
}

void *calloc(size_t k, size_t n) {
    count(&n_calloc);
    if (n && k > SIZE_MAX / n) { errno = ENOMEM; return NULL; }
    if (k * n == MAGIC_SIZE) count(&magic_calloc);
    void *p = take(k * n);
    if (p) memset(p, 0, k * n);
    return p;
}

void *realloc(void *p, size_t n) {
    count(&n_realloc);
    if (n == MAGIC_SIZE) count(&magic_realloc);
    if (!p) return mark(take(n), n);
    void *q = take(n);
    if (!q) return NULL;
    size_t old = size_of(p);
    memcpy(q, p, old < n ? old : n);
    give(p);
    return mark(q, n);
}

static void *aligned(size_t align, size_t n) {
    count(&n_memalign);
    if (align < 16) align = 16;
    if (n > SIZE_MAX - align) return NULL;
    return wrap(__libc_memalign(align, n + align), align, n);
}

int posix_memalign(void **out, size_t align, size_t n) {
    void *p = aligned(align, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t n) { return aligned(align, n); }
void *memalign(size_t align, size_t n) { return aligned(align, n); }
size_t malloc_usable_size(void *p) { return p ? size_of(p) : 0; }

static char *put_number(char *at, unsigned long v) {
    char digits[24];
    int k = 0;
    do { digits[k++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (k) *at++ = digits[--k];
    return at;
}

static char *put(char *at, const char *name, unsigned long v) {
    while (*name) *at++ = *name++;
    *at++ = ' ';
    at = put_number(at, v);
    *at++ = '\n';
    return at;
}

__attribute__((destructor)) static void report(void) {
    const char *dir = getenv("COUNTING_DIR");
    if (!dir) return;
    char path[4096], text[1024], *at = path;
    size_t len = strlen(dir);
    if (len > 4000) return;
    memcpy(at, dir, len);
    at += len;
    *at++ = '/';
    at = put_number(at, (unsigned long)getpid());
    *at = 0;
    at = text;
    at = put(at, "malloc", n_malloc);
    at = put(at, "free", n_free);
    at = put(at, "calloc", n_calloc);
    at = put(at, "realloc", n_realloc);
    at = put(at, "memalign", n_memalign);
    at = put(at, "magic_malloc", magic_malloc);
    at = put(at, "magic_free", magic_free);
    at = put(at, "magic_realloc", magic_realloc);
    at = put(at, "magic_calloc", magic_calloc);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    ssize_t w = write(fd, text, (size_t)(at - text));
    (void)w;
    close(fd);
}
