/* The parent allocates, forks a child that allocates and leaves by
 * _exit (no exit handlers), waits for it, allocates again and aborts. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void pairs(int n) {
    for (int i = 0; i < n; i++) {
        volatile char *p = malloc(100 + i % 50);
        p[0] = 1;
        free((void *)p);
    }
}

int main(void) {
    pairs(300);
    pid_t pid = fork();
    if (pid == 0) {
        pairs(700);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    pairs(200);
    abort();
}
