/*
 * src/util/alloc.c
 *     Allocation wrappers: the only file that calls malloc, realloc and free.
 */
#include "centra/alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned long alloc_calls;    /* allocations made so far (atomic: threads allocate) */
static unsigned long alloc_fail_nth; /* allocation number to fail, 0 = none */
static const char *alloc_program = "centra-bridge"; /* names the program when memory runs out */

void
alloc_set_program(const char *name)
{
    alloc_program = name;
}

void
alloc_fail_at(unsigned long nth)
{
    alloc_fail_nth = nth == 0 ? 0 : __atomic_load_n(&alloc_calls, __ATOMIC_RELAXED) + nth;
}

unsigned long
alloc_count(void)
{
    return __atomic_load_n(&alloc_calls, __ATOMIC_RELAXED);
}

/* Count an allocation; true when this one must fail by test request. */
static int
alloc_should_fail(void)
{
    unsigned long n = __atomic_add_fetch(&alloc_calls, 1, __ATOMIC_RELAXED);

    return alloc_fail_nth != 0 && n == alloc_fail_nth;
}

static void
alloc_die(size_t size)
{
    char msg[128];
    int len;

    /* No stdio buffering, no allocation: write(2) straight to stderr. */
    len = snprintf(msg, sizeof(msg), "%s: fatal: out of memory (could not allocate %zu bytes)\n",
                   alloc_program, size);
    if (len > 0 && write(STDERR_FILENO, msg, (size_t)len) < 0)
        _exit(70);
    _exit(70);
}

static size_t
mul_or_die(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        alloc_die(SIZE_MAX);
    return n * size;
}

void *
alloc_raw_malloc(size_t size)
{
    if (alloc_should_fail())
        return NULL;
    return malloc(size == 0 ? 1 : size);
}

void *
alloc_raw_realloc(void *ptr, size_t size)
{
    if (alloc_should_fail())
        return NULL;
    return realloc(ptr, size == 0 ? 1 : size);
}

void
alloc_raw_free(void *ptr)
{
    free(ptr);
}

void *
xmalloc(size_t size)
{
    void *p = alloc_raw_malloc(size);

    if (p == NULL)
        alloc_die(size);
    return p;
}

void *
xcalloc(size_t n, size_t size)
{
    size_t total = mul_or_die(n, size);
    void *p = xmalloc(total);

    memset(p, 0, total == 0 ? 1 : total);
    return p;
}

void *
xmalloc_array(size_t n, size_t size)
{
    return xmalloc(mul_or_die(n, size));
}

void *
xrealloc(void *ptr, size_t size)
{
    void *p = alloc_raw_realloc(ptr, size);

    if (p == NULL)
        alloc_die(size);
    return p;
}

void *
xrealloc_array(void *ptr, size_t n, size_t size)
{
    return xrealloc(ptr, mul_or_die(n, size));
}

char *
xstrdup(const char *s)
{
    if (s == NULL)
        return NULL;
    return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
    char *p;

    if (s == NULL)
        return NULL;
    n = strnlen(s, n);
    p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void
xfree(void *ptr)
{
    free(ptr);
}
