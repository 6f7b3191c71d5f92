/*
 * src/import/archive.c
 *     The answer archive: events_Get answers kept in files (centra/archive.h).
 *
 * A file is written under a hidden temporary name (".incoming-PID-N.xml") and
 * renamed only once it is complete and on disk, so a name without the dot
 * always holds a whole answer; a temporary file left by a killed run holds an
 * answer that was never acknowledged and may be deleted.
 */
#define _GNU_SOURCE /* renameat2 and RENAME_NOREPLACE */

#include "centra/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "centra/dynbuf.h"
#include "centra/strutil.h"

#define SAME_NAME_MAX 100 /* suffixes tried when the final name exists */
#define NOTHING_STORED                                                                             \
    "Nothing of this answer was stored or acknowledged; the next run fetches it again. Free "      \
    "space in CENTRA_ARCHIVE_DIR or fix what the error names, or unset CENTRA_ARCHIVE_DIR to "     \
    "import without an archive."
#define INCOMING_MAX 1000 /* names tried for the temporary file (leftovers of a killed run) */

struct Archive {
    char *dir;             /* the directory (a copy) */
    char *tmp;             /* the temporary file */
    int fd;                /* its descriptor; -1 once closed */
    struct timespec began; /* when the answer began (CLOCK_REALTIME) */
};

static unsigned long opened; /* temporary files made by this process */
static unsigned long kept;   /* answers kept by this process */

ErrKind
archive_check_dir(const char *dir, const char *setting, Error *err)
{
    struct stat st;
    char ebuf[128];

    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, R_OK | W_OK | X_OK) != 0) {
        int e = errno;

        if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
            err_set(err, ERR_CONFIG, "%s \"%s\" is not a directory", setting, dir);
        else
            err_set(err, ERR_CONFIG, "%s \"%s\" cannot be used: %s", setting, dir,
                    str_errno(e, ebuf, sizeof(ebuf)));
        err_hint(err,
                 "Create the directory, owned by the user centra-bridge runs as (mode 0700: "
                 "the answers hold customers' addresses), or unset %s.",
                 setting);
        return ERR_CONFIG;
    }
    return ERR_OK;
}

/* Free a, leaving its files as they are. */
static void
archive_free(Archive *a)
{
    xfree(a->dir);
    xfree(a->tmp);
    xfree(a);
}

static ErrKind
io_error(const char *what, const char *path, int e, Error *err)
{
    char ebuf[128];

    err_set(err, ERR_IO, "could not %s \"%s\": %s", what, path, str_errno(e, ebuf, sizeof(ebuf)));
    err_hint(err, "%s", NOTHING_STORED);
    return ERR_IO;
}

ErrKind
archive_open(const char *dir, Archive **out, Error *err)
{
    Archive *a = xcalloc(1, sizeof(*a));

    a->dir = xstrdup(dir);
    a->fd = -1;
    (void)clock_gettime(CLOCK_REALTIME, &a->began);
    /* A name taken is a leftover of a killed process that had this pid: the next one. */
    for (int tries = 0; a->fd < 0 && tries < INCOMING_MAX; tries++) {
        DynBuf path;

        xfree(a->tmp);
        dynbuf_init(&path, 64 * 1024);
        (void)dynbuf_addf(&path, "%s/.incoming-%ld-%lu.xml", dir, (long)getpid(), ++opened);
        a->tmp = dynbuf_take(&path);
        a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (a->fd < 0 && errno != EEXIST)
            break;
    }
    if (a->fd < 0) {
        ErrKind rc = io_error("create the answer archive file", a->tmp, errno, err);

        archive_free(a); /* the name it tried may be another process's leftover: not removed */
        *out = NULL;
        return rc;
    }
    *out = a;
    return ERR_OK;
}

ErrKind
archive_write(Archive *a, const char *data, size_t len, Error *err)
{
    while (len > 0) {
        ssize_t n = write(a->fd, data, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return io_error("write the answer archive file", a->tmp, n < 0 ? errno : ENOSPC, err);
        data += n;
        len -= (size_t)n;
    }
    return ERR_OK;
}

/* fsync the directory, so that the new name survives a crash too. */
static int
sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    if (rc != 0) {
        int e = errno;

        (void)close(fd);
        errno = e;
        return -1;
    }
    return close(fd);
}

/* The final path: the time the answer began, the run, this process's count. */
static char *
final_path(const Archive *a, long long run_id, unsigned long n, bool cut, int same)
{
    struct tm tm;
    char stamp[32] = "00000000T000000";
    DynBuf path;

    if (gmtime_r(&a->began.tv_sec, &tm) != NULL)
        (void)strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
    dynbuf_init(&path, 64 * 1024);
    (void)dynbuf_addf(&path, "%s/%s.%03ldZ-run%lld-%lu", a->dir, stamp, a->began.tv_nsec / 1000000L,
                      run_id, n);
    if (same > 1)
        (void)dynbuf_addf(&path, "-%d", same);
    (void)dynbuf_addf(&path, "%s.xml", cut ? "-cut" : "");
    return dynbuf_take(&path);
}

/*
 * Rename from to to, never replacing a file: atomically where the file system
 * can (renameat2 RENAME_NOREPLACE), else after checking the name is free.
 */
static int
rename_new(const char *from, const char *to)
{
#ifdef RENAME_NOREPLACE
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        return -1;
#endif
    if (access(to, F_OK) == 0) {
        errno = EEXIST;
        return -1;
    }
    return rename(from, to);
}

ErrKind
archive_keep(Archive *a, long long run_id, bool cut, char **name, Error *err)
{
    char *path = NULL;
    int fd = a->fd;
    ErrKind rc = ERR_OK;

    a->fd = -1;
    if (fsync(fd) != 0) {
        rc = io_error("fsync the answer archive file", a->tmp, errno, err);
        (void)close(fd);
    } else if (close(fd) != 0) {
        rc = io_error("close the answer archive file", a->tmp, errno, err);
    }
    /* Two databases could share a directory: never replace a file. */
    for (int same = 1; rc == ERR_OK; same++) {
        xfree(path);
        path = final_path(a, run_id, kept + 1, cut, same);
        if (rename_new(a->tmp, path) == 0)
            break;
        if (errno != EEXIST || same == SAME_NAME_MAX)
            rc = io_error("rename the answer archive file", a->tmp, errno, err);
    }
    if (rc == ERR_OK && sync_dir(a->dir) != 0) {
        rc = io_error("fsync the answer archive directory", a->dir, errno, err);
        (void)unlink(path); /* not known to be durable: do not leave it looking whole */
    }
    if (rc != ERR_OK) {
        xfree(path);
        path = NULL;
        archive_discard(a);
    } else {
        kept++;
        archive_free(a);
    }
    if (name != NULL)
        *name = path;
    else
        xfree(path);
    return rc;
}

void
archive_set_began(Archive *a, const struct timespec *t)
{
    a->began = *t;
}

void
archive_discard(Archive *a)
{
    if (a == NULL)
        return;
    if (a->fd >= 0)
        (void)close(a->fd);
    (void)unlink(a->tmp);
    archive_free(a);
}
