/*
 * src/xml/transcode_int.h
 *     The event parser's input in the encoding the answer declares, as UTF-8.
 *
 * Streams: the first bytes (up to the end of the XML declaration, 1 kB at
 * most) are held until the encoding is known; after that a UTF-8 answer
 * passes untouched (tc_passthrough) and any other is converted chunk by
 * chunk with iconv(3), an incomplete sequence at a chunk's end carried to
 * the next.  The output is the same however the input is chunked.
 *
 * The encoding is taken, in this order, from a byte order mark (UTF-8,
 * UTF-16LE/BE, UTF-32LE/BE), from the first bytes of "<?xml" in UTF-16 or
 * UTF-32 without one, or from the XML declaration's encoding="..."
 * (case-insensitive).  Without any of these the answer is UTF-8.  A
 * declaration that names a 16- or 32-bit encoding but is itself read in
 * single bytes is not believed: the answer is read as UTF-8.
 */
#ifndef XML_TRANSCODE_INT_H
#define XML_TRANSCODE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "centra/attrs.h"
#include "centra/dynbuf.h"
#include "centra/error.h"

typedef struct Transcoder Transcoder;

/* What one tc_feed call produced. */
typedef struct TcChunk {
    const char *data; /* UTF-8 text; the input itself or the transcoder's buffer */
    size_t len;       /* its length */
    bool bad;         /* the first sequence not valid in the encoding is in this chunk */
    size_t bad_at;    /* when bad: where, in data (it reads U+FFFD there) */
} TcChunk;

/* A transcoder that has seen nothing yet.  Caller frees with tc_free. */
Transcoder *tc_new(void);

/* Free t; tc_free(NULL) is a no-op. */
void tc_free(Transcoder *t);

/*
 * True once the answer is known to be UTF-8 and everything held back was
 * handed out: the caller may then use its bytes as they are, without
 * tc_feed (the import's hot path costs one call per chunk).
 */
bool tc_passthrough(const Transcoder *t);

/*
 * The next len bytes of the answer (final: they are its last) as UTF-8 in
 * *out, valid until the next call.  A sequence not valid in the encoding
 * (or cut by the end of the answer) becomes U+FFFD; the first one is
 * reported in out->bad and described by tc_invalid_error/tc_invalid_reason.
 * source names the answer in messages ("the answer to events_Get", "the answer in FILE").
 * Errors: ERR_CENTRA_FAULT when the answer declares an encoding iconv does
 * not know (out is then empty).
 */
ErrKind tc_feed(Transcoder *t, const char *source, const char *data, size_t len, bool final,
                TcChunk *out, Error *err) CB_MUSTCHECK;

/*
 * The error for an answer that holds a sequence not valid in its encoding
 * (after out->bad): ERR_CENTRA_FAULT, with the encoding, where it comes
 * from and the offset in the detail, and an iconv command in the hint.
 */
ErrKind tc_invalid_error(const Transcoder *t, const char *source, Error *err);

/* The same as a quarantine reason, appended to b. */
void tc_invalid_reason(const Transcoder *t, DynBuf *b);

#endif /* XML_TRANSCODE_INT_H */
