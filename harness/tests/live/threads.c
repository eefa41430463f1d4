/* Four threads, each making exactly 1000 malloc/free pairs of 77 bytes
 * and 10 callocs; the main thread makes 500 pairs. */
#include <pthread.h>
#include <stdlib.h>

static void *work(void *arg) {
    (void)arg;
    for (int i = 0; i < 1000; i++) {
        volatile char *p = malloc(77);
        p[0] = 1;
        free((void *)p);
    }
    for (int i = 0; i < 10; i++) {
        volatile char *p = calloc(3, 5);
        p[0] = 1;
        free((void *)p);
    }
    return NULL;
}

int main(void) {
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, work, NULL);
    for (int i = 0; i < 500; i++) {
        volatile char *p = malloc(77);
        p[0] = 1;
        free((void *)p);
    }
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    return 0;
}
