/*
 * src/db/sqlscript.c
 *     Places in an SQL script (see sqlscript.h).
 *
 * A small lexer after psql's psqlscan.l: it knows just enough tokens to find
 * the semicolons that end statements.  A wrong guess costs only a wrong line
 * number in an error message, never a wrong statement run.
 */
#include "centra/sqlscript.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* Lexer state within one statement. */
typedef struct Scan {
    int paren_depth; /* open parentheses */
    int begin_depth; /* open BEGIN (and CASE inside it) of a function body */
    char words[4];   /* first letters of the leading CREATE [OR REPLACE] FUNCTION words */
    int nwords;      /* words seen in the statement */
} Scan;

static bool
is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool
is_ident_char(unsigned char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

/* End of a quoted token opened at p (by ' or "): doubled quotes stay inside. */
static const char *
skip_quoted(const char *p, char quote, bool backslash_escapes)
{
    for (p++; *p != '\0'; p++) {
        if (backslash_escapes && *p == '\\' && p[1] != '\0')
            p++;
        else if (*p == quote && p[1] == quote)
            p++;
        else if (*p == quote)
            return p + 1;
    }
    return p;
}

/* End of a nested comment opened at p ("/" "*"). */
static const char *
skip_block_comment(const char *p)
{
    int depth = 0;

    while (*p != '\0') {
        if (p[0] == '/' && p[1] == '*') {
            depth++;
            p += 2;
        } else if (p[0] == '*' && p[1] == '/') {
            p += 2;
            if (--depth == 0)
                return p;
        } else {
            p++;
        }
    }
    return p;
}

/* Length of the dollar-quote delimiter ($tag$ or $$) at p, 0 if there is none. */
static size_t
dollar_tag_len(const char *p)
{
    size_t n = 1;

    if (p[0] != '$')
        return 0;
    if (p[1] != '$' && !is_ident_start((unsigned char)p[1]))
        return 0;
    while (p[n] != '$') {
        if (p[n] == '\0' || !is_ident_char((unsigned char)p[n]))
            return 0;
        n++;
    }
    return n + 1;
}

/* End of the dollar-quoted string opened at p by a delimiter of len bytes. */
static const char *
skip_dollar_quoted(const char *p, size_t len)
{
    const char *end = p + len;

    while (*end != '\0') {
        if (strncmp(end, p, len) == 0)
            return end + len;
        end++;
    }
    return end;
}

/*
 * Track BEGIN ... END in the body of CREATE [OR REPLACE] FUNCTION or
 * PROCEDURE (BEGIN ATOMIC), whose semicolons do not end the statement; as
 * psqlscan.l does.
 */
static void
note_word(Scan *s, const char *w, size_t len)
{
    static const char *const lead[] = {"create", "function", "procedure", "or", "replace"};
    bool in_create;

    for (size_t i = 0; i < sizeof(lead) / sizeof(lead[0]); i++)
        if (len == strlen(lead[i]) && strncasecmp(w, lead[i], len) == 0 && s->nwords < 4)
            s->words[s->nwords] = lead[i][0];
    s->nwords++;
    in_create =
        s->words[0] == 'c' &&
        (s->words[1] == 'f' || s->words[1] == 'p' ||
         (s->words[1] == 'o' && s->words[2] == 'r' && (s->words[3] == 'f' || s->words[3] == 'p')));
    if (!in_create || s->paren_depth != 0)
        return;
    if (len == 5 && strncasecmp(w, "begin", 5) == 0)
        s->begin_depth++;
    else if (len == 4 && strncasecmp(w, "case", 4) == 0 && s->begin_depth > 0)
        s->begin_depth++;
    else if (len == 3 && strncasecmp(w, "end", 3) == 0 && s->begin_depth > 0)
        s->begin_depth--;
}

/* Skip the token at p (not white space, a comment or a semicolon); returns its end. */
static const char *
skip_token(Scan *s, const char *p)
{
    size_t tag;

    if (*p == '\'' || *p == '"')
        return skip_quoted(p, *p, false);
    tag = dollar_tag_len(p);
    if (tag > 0)
        return skip_dollar_quoted(p, tag);
    if (is_ident_start((unsigned char)*p)) {
        const char *w = p;

        while (is_ident_char((unsigned char)*p))
            p++;
        if (*p == '\'' && p - w == 1 && (*w == 'E' || *w == 'e'))
            return skip_quoted(p, '\'', true);
        note_word(s, w, (size_t)(p - w));
        return p;
    }
    if (*p >= '0' && *p <= '9') {
        while (is_ident_char((unsigned char)*p) || *p == '.')
            p++;
        return p;
    }
    if (*p == '(')
        s->paren_depth++;
    else if (*p == ')' && s->paren_depth > 0)
        s->paren_depth--;
    return p + 1;
}

long
sqlscript_statement_start(const char *sql, int index)
{
    const char *p = sql;
    const char *start = NULL; /* first token of the current statement */
    int count = 0;
    Scan s;

    memset(&s, 0, sizeof(s));
    while (*p != '\0') {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v') {
            p++;
        } else if (p[0] == '-' && p[1] == '-') {
            p += strcspn(p, "\n");
        } else if (p[0] == '/' && p[1] == '*') {
            p = skip_block_comment(p);
        } else if (*p == ';' && s.paren_depth == 0 && s.begin_depth == 0) {
            if (start != NULL && count++ == index)
                return (long)(start - sql);
            start = NULL;
            memset(&s, 0, sizeof(s));
            p++;
        } else {
            if (start == NULL)
                start = p;
            p = skip_token(&s, p);
        }
    }
    return start != NULL && count == index ? (long)(start - sql) : -1;
}

size_t
sqlscript_char_offset(const char *sql, long long pos)
{
    long long chars = 0;
    const char *p = sql;

    /* Stop at the first byte of character number pos, skipping UTF-8 continuation bytes. */
    for (; *p != '\0'; p++) {
        if (((unsigned char)*p & 0xC0) == 0x80)
            continue;
        if (++chars == pos)
            break;
    }
    return (size_t)(p - sql);
}

void
sqlscript_line_of(const char *sql, size_t off, int *line, int *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < off && sql[i] != '\0'; i++) {
        if (sql[i] == '\n') {
            (*line)++;
            *column = 1;
        } else if (((unsigned char)sql[i] & 0xC0) != 0x80) {
            (*column)++;
        }
    }
}

long
sqlscript_body_start(const char *sql, size_t stmt)
{
    const char *p = sql + stmt;
    Scan s;

    memset(&s, 0, sizeof(s));
    while (*p != '\0' && *p != ';') {
        size_t tag = dollar_tag_len(p);

        if (tag > 0)
            return (long)(p + tag - sql);
        if (*p == '\'')
            return (long)(p + 1 - sql);
        if (p[0] == '-' && p[1] == '-')
            p += strcspn(p, "\n");
        else if (p[0] == '/' && p[1] == '*')
            p = skip_block_comment(p);
        else if (*p == '"' || is_ident_start((unsigned char)*p) || (*p >= '0' && *p <= '9'))
            p = skip_token(&s, p);
        else
            p++;
    }
    return -1;
}
