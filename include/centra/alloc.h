/*
 * include/centra/alloc.h
 *     Allocation wrappers that never return NULL.
 *
 * On out-of-memory they print one clear line to stderr and exit with status 70
 * (EX_SOFTWARE): a batch that cannot allocate cannot be stored, and nothing
 * has been acknowledged yet, so exiting loses nothing (DESIGN.md rule 1).
 * Multiplications are overflow-checked, as PostgreSQL's pg_malloc_array.
 *
 * This is the only module that calls malloc, realloc and free; checksrc
 * enforces it.  Tests can make the Nth allocation fail (alloc_fail_at).
 */
#ifndef CENTRA_ALLOC_H
#define CENTRA_ALLOC_H

#include <stddef.h>

/* Allocate size bytes (at least 1).  Caller owns the result; free with xfree. */
void *xmalloc(size_t size);

/* Allocate n * size zeroed bytes; exits on overflow.  Caller owns the result. */
void *xcalloc(size_t n, size_t size);

/* Allocate n * size bytes, uninitialised; exits on overflow. */
void *xmalloc_array(size_t n, size_t size);

/* Resize ptr (may be NULL) to size bytes.  Caller owns the result. */
void *xrealloc(void *ptr, size_t size);

/* Resize ptr to n * size bytes; exits on overflow. */
void *xrealloc_array(void *ptr, size_t n, size_t size);

/* Copy of the NUL-terminated s (NULL gives NULL).  Caller owns the result. */
char *xstrdup(const char *s);

/* Copy of the first n bytes of s, NUL-terminated.  Caller owns the result. */
char *xstrndup(const char *s, size_t n);

/* Name the program in the out-of-memory message (default "centra-bridge"); name is borrowed. */
void alloc_set_program(const char *name);

/* Free ptr; xfree(NULL) is a no-op. */
void xfree(void *ptr);

/*
 * Test hook: make the nth allocation from now fail (1 = the next one); 0
 * disables.  The x* functions then exit as on real out-of-memory; the
 * alloc_raw_* functions return NULL to their caller.
 */
void alloc_fail_at(unsigned long nth);

/* Number of allocations made since start-up (for failure-injection loops). */
unsigned long alloc_count(void);

/*
 * Allocation functions with the malloc contract (may return NULL), for
 * libraries that take an allocator, such as expat's XML_ParserCreate_MM.
 * They honour alloc_fail_at and never exit.
 */
void *alloc_raw_malloc(size_t size);
void *alloc_raw_realloc(void *ptr, size_t size);
void alloc_raw_free(void *ptr);

#endif /* CENTRA_ALLOC_H */
