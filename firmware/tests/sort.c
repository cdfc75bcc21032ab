/* SPDX-License-Identifier: MIT */
/* firmware/tests/sort.c - sorts a pseudo-random array two ways (quicksort,
 * heapsort), checks order, agreement and that no element was lost, and
 * prints a checksum computed on the host from the same generator. */
#include <stdint.h>

#include "fmt.h"

#define N 1000u

/* Initialised and writable: lives in .data, so this also checks that
 * Reset_Handler copied .data from flash. */
static uint32_t rng_state = 0x12345678u;

static uint32_t a[N], b[N];

/* xorshift32 (Marsaglia 2003). */
static uint32_t rng_next(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static void swap(uint32_t *x, uint32_t *y)
{
    uint32_t t = *x;
    *x = *y;
    *y = t;
}

static void insertion_sort(uint32_t *v, int n)
{
    for (int i = 1; i < n; i++) {
        uint32_t x = v[i];
        int j = i - 1;
        while (j >= 0 && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

/* Hoare partition around a median of three; recurses into the smaller part
 * so the stack stays O(log n). */
static void quicksort(uint32_t *v, int n)
{
    while (n > 16) {
        int mid = n / 2;
        if (v[mid] < v[0])
            swap(&v[mid], &v[0]);
        if (v[n - 1] < v[0])
            swap(&v[n - 1], &v[0]);
        if (v[n - 1] < v[mid])
            swap(&v[n - 1], &v[mid]);
        uint32_t pivot = v[mid];
        int i = -1, j = n;
        for (;;) {
            do
                i++;
            while (v[i] < pivot);
            do
                j--;
            while (v[j] > pivot);
            if (i >= j)
                break;
            swap(&v[i], &v[j]);
        }
        int left = j + 1;
        if (left < n - left) {
            quicksort(v, left);
            v += left;
            n -= left;
        } else {
            quicksort(v + left, n - left);
            n = left;
        }
    }
    insertion_sort(v, n);
}

static void sift_down(uint32_t *v, unsigned root, unsigned n)
{
    for (;;) {
        unsigned child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && v[child + 1] > v[child])
            child++;
        if (v[root] >= v[child])
            return;
        swap(&v[root], &v[child]);
        root = child;
    }
}

static void heapsort(uint32_t *v, unsigned n)
{
    for (unsigned i = n / 2; i-- > 0;)
        sift_down(v, i, n);
    for (unsigned end = n; end-- > 1;) {
        swap(&v[0], &v[end]);
        sift_down(v, 0, end);
    }
}

static int fail(const char *what, uint32_t index)
{
    fmt_put_str("sort: FAIL ");
    fmt_put_str(what);
    fmt_put_str(" at ");
    fmt_put_u32(index);
    fmt_put_str("\n");
    return 1;
}

int main(void)
{
    uint32_t sum = 0, xor = 0;
    for (uint32_t i = 0; i < N; i++) {
        /* Full 32-bit values (half of them >= 2^31, which catches signed
         * compares) mixed with 4-bit ones, so there are duplicates too. */
        uint32_t x = rng_next();
        a[i] = b[i] = (i & 3u) == 0 ? x >> 28 : x;
        sum += a[i];
        xor ^= a[i];
    }

    quicksort(a, (int)N);
    heapsort(b, N);

    uint32_t sum2 = 0, xor2 = 0, checksum = 2166136261u;
    for (uint32_t i = 0; i < N; i++) {
        if (i > 0 && a[i - 1] > a[i])
            return fail("order", i);
        if (a[i] != b[i])
            return fail("quicksort != heapsort", i);
        sum2 += a[i];
        xor2 ^= a[i];
        checksum = (checksum ^ a[i]) * 16777619u;   /* FNV-1a over words */
    }
    if (sum2 != sum || xor2 != xor)
        return fail("elements lost", 0);

    fmt_put_str("sort: n=");
    fmt_put_u32(N);
    fmt_put_str(" min=");
    fmt_put_hex(a[0], 8);
    fmt_put_str(" max=");
    fmt_put_hex(a[N - 1], 8);
    fmt_put_str(" median=");
    fmt_put_hex(a[N / 2], 8);
    fmt_put_str(" checksum=");
    fmt_put_hex(checksum, 8);
    fmt_put_str("\n");
    fmt_put_str("sort: ok\n");
    return 0;
}
