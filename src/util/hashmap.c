/*
 * src/util/hashmap.c
 *     String-keyed hash map with linear probing and tombstones (see hashmap.h).
 */
#include "centra/hashmap.h"

#include <stdint.h>
#include <string.h>

#include "centra/alloc.h"

#define HASHMAP_MIN 16

typedef struct Slot {
    char *key;     /* NULL: empty; TOMBSTONE: deleted */
    uint64_t hash; /* hash of key */
    void *value;   /* borrowed */
} Slot;

struct HashMap {
    Slot *slots;  /* table of cap slots */
    size_t cap;   /* power of two */
    size_t count; /* live entries */
    size_t used;  /* live entries plus tombstones */
};

static char tombstone_key;
#define TOMBSTONE (&tombstone_key)

static uint64_t
fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

HashMap *
hashmap_new(void)
{
    HashMap *m = xcalloc(1, sizeof(HashMap));

    m->cap = HASHMAP_MIN;
    m->slots = xcalloc(m->cap, sizeof(Slot));
    return m;
}

void
hashmap_free(HashMap *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key != NULL && m->slots[i].key != TOMBSTONE)
            xfree(m->slots[i].key);
    xfree(m->slots);
    xfree(m);
}

/* Index of key's slot, or of the slot where it would be inserted. */
static size_t
find(const HashMap *m, const char *key, uint64_t h, bool *found)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)h & mask;
    size_t first_free = SIZE_MAX;

    for (;;) {
        Slot *s = &m->slots[i];

        if (s->key == NULL) {
            *found = false;
            return first_free != SIZE_MAX ? first_free : i;
        }
        if (s->key == TOMBSTONE) {
            if (first_free == SIZE_MAX)
                first_free = i;
        } else if (s->hash == h && strcmp(s->key, key) == 0) {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
}

static void
grow(HashMap *m)
{
    Slot *old = m->slots;
    size_t oldcap = m->cap;

    /* Rehash into a table sized for the live entries (tombstones are dropped). */
    while (m->count * 2 >= m->cap)
        m->cap *= 2;
    m->slots = xcalloc(m->cap, sizeof(Slot));
    m->used = m->count;
    for (size_t i = 0; i < oldcap; i++) {
        bool found;
        size_t j;

        if (old[i].key == NULL || old[i].key == TOMBSTONE)
            continue;
        j = find(m, old[i].key, old[i].hash, &found);
        m->slots[j] = old[i];
    }
    xfree(old);
}

void *
hashmap_get(const HashMap *m, const char *key)
{
    bool found;
    size_t i = find(m, key, fnv1a(key), &found);

    return found ? m->slots[i].value : NULL;
}

void *
hashmap_put(HashMap *m, const char *key, void *value)
{
    uint64_t h = fnv1a(key);
    bool found;
    size_t i;

    if ((m->used + 1) * 4 >= m->cap * 3)
        grow(m);
    i = find(m, key, h, &found);
    if (found) {
        void *old = m->slots[i].value;

        m->slots[i].value = value;
        return old;
    }
    if (m->slots[i].key == NULL)
        m->used++;
    m->slots[i].key = xstrdup(key);
    m->slots[i].hash = h;
    m->slots[i].value = value;
    m->count++;
    return NULL;
}

void *
hashmap_remove(HashMap *m, const char *key)
{
    bool found;
    size_t i = find(m, key, fnv1a(key), &found);
    void *value;

    if (!found)
        return NULL;
    value = m->slots[i].value;
    xfree(m->slots[i].key);
    m->slots[i].key = TOMBSTONE;
    m->slots[i].value = NULL;
    m->count--;
    return value;
}

size_t
hashmap_count(const HashMap *m)
{
    return m->count;
}

void
hashmap_each(const HashMap *m, bool (*fn)(const char *key, void *value, void *arg), void *arg)
{
    for (size_t i = 0; i < m->cap; i++) {
        const Slot *s = &m->slots[i];

        if (s->key != NULL && s->key != TOMBSTONE && !fn(s->key, s->value, arg))
            return;
    }
}
