/*
 * include/centra/hashmap.h
 *     A hash map from strings to pointers (open addressing, FNV-1a).
 *
 * Keys are copied; values are borrowed: the map never frees them.  Lookups
 * are O(1) on average; the table doubles when it is 3/4 full.
 */
#ifndef CENTRA_HASHMAP_H
#define CENTRA_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct HashMap HashMap;

/* New empty map.  Caller frees with hashmap_free. */
HashMap *hashmap_new(void);

/* Free the map and its key copies (not the values); hashmap_free(NULL) is a no-op. */
void hashmap_free(HashMap *m);

/* The value stored under key, or NULL. */
void *hashmap_get(const HashMap *m, const char *key);

/* Store value under key (replacing any).  Returns the previous value or NULL. */
void *hashmap_put(HashMap *m, const char *key, void *value);

/* Remove key.  Returns its value or NULL. */
void *hashmap_remove(HashMap *m, const char *key);

/* Number of entries. */
size_t hashmap_count(const HashMap *m);

/*
 * Call fn for every entry, in no particular order.  fn must not change the
 * map.  Iteration stops early when fn returns false.
 */
void hashmap_each(const HashMap *m, bool (*fn)(const char *key, void *value, void *arg), void *arg);

#endif /* CENTRA_HASHMAP_H */
