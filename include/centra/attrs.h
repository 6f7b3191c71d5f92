/*
 * include/centra/attrs.h
 *     Compiler attributes used across centra-bridge.
 *
 * Fallible functions are marked CB_MUSTCHECK so an ignored error code is a
 * compile-time warning (an error under -DENABLE_WERROR=ON), as curl's
 * WARN_UNUSED_RESULT and PgBouncer's _MUSTCHECK do.
 */
#ifndef CENTRA_ATTRS_H
#define CENTRA_ATTRS_H

#if defined(__GNUC__) || defined(__clang__)
#define CB_MUSTCHECK         __attribute__((warn_unused_result))
#define CB_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define CB_NORETURN          __attribute__((noreturn))
#define CB_LIKELY(x)         __builtin_expect(!!(x), 1)
#define CB_UNLIKELY(x)       __builtin_expect(!!(x), 0)
#else
#define CB_MUSTCHECK
#define CB_PRINTF(fmt, args)
#define CB_NORETURN
#define CB_LIKELY(x)   (x)
#define CB_UNLIKELY(x) (x)
#endif

/* Number of elements of a true array (not a pointer). */
#define CB_LENGTH(array) (sizeof(array) / sizeof((array)[0]))

/* A macro's value as a string literal: CB_STRINGIFY(EVMAP_CODE_MAX) is "800". */
#define CB_STRINGIFY_(x) #x
#define CB_STRINGIFY(x)  CB_STRINGIFY_(x)

#endif /* CENTRA_ATTRS_H */
