/*
 * Runs inside a guest for `virga bench snapshot`: spins on CLOCK_MONOTONIC and prints every gap longer than
 * 1 ms between two consecutive readings ("<gap in microseconds>"), i.e. every time this vCPU did not run.
 */
#include <stdio.h>
#include <time.h>

int main(void) {
    struct timespec a, b;
    setvbuf(stdout, NULL, _IONBF, 0);
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &b);
        long long gap = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
        if (gap > 1000000LL) {
            printf("%lld\n", gap / 1000);
        }
        a = b;
    }
}
