#!/usr/bin/env bash
# tests/style/checksrc.sh SOURCE_DIR
#     Source rules that a compiler does not check (STYLE.md items 1, 7, 14, 15),
#     in the spirit of curl's checksrc.pl.  Prints every violation as
#     file:line: rule, and fails if there is any.
set -uo pipefail
top=${1:?usage: checksrc.sh SOURCE_DIR}
cd "$top" || exit 2
violations=0

report() {
    echo "$1"
    violations=$((violations + 1))
}

mapfile -t files < <(find src include tests/sim -name '*.c' -o -name '*.h' -o -name '*.h.in' | sort)

# Functions with a safer replacement in the project (or libc).
banned='\b(sprintf|vsprintf|strcpy|strncpy|strcat|strncat|strtok|atoi|atol|atoll|atof|gets|strerror|tmpnam|mktemp)[[:space:]]*\('
while IFS= read -r hit; do
    report "$hit: banned function (use snprintf, dynbuf, strtoll, str_errno, ...)"
done < <(grep -nHE "$banned" "${files[@]}")

# Raw allocation only in the allocation module (STYLE.md item 7).
while IFS= read -r hit; do
    report "$hit: raw allocation outside src/util/alloc.c (use xmalloc/xfree)"
done < <(grep -nHE '\b(malloc|calloc|realloc|free|strdup|strndup)[[:space:]]*\(' "${files[@]}" |
    grep -v '^src/util/alloc.c:')

# Only the database module includes libpq (STYLE.md item 10).
while IFS= read -r hit; do
    report "$hit: only src/db/db.c may include libpq-fe.h"
done < <(grep -nHE '#include[[:space:]]*<libpq-fe.h>' "${files[@]}" | grep -v '^src/db/db.c:')

for f in "${files[@]}"; do
    # Lines stop at 100 columns (characters, not bytes: names in test data are UTF-8).
    while IFS= read -r hit; do
        report "$hit: line longer than 100 columns"
    done < <(perl -CSD -ne 'chomp; print "$ARGV:$.\n" if length > 100' "$f")

    # Every file opens with a comment block naming its own path.
    if ! head -n 2 "$f" | grep -qF "$f"; then
        report "$f:1: the opening comment must name the file (\"$f\")"
    fi

    # Only /* */ comments (allowing "//" inside strings such as URLs).
    while IFS= read -r hit; do
        report "$hit: use /* */ comments"
    done < <(grep -nHE '^[[:space:]]*//' "$f")

    # A .c file includes its own header first.
    if [[ $f == src/*.c ]]; then
        base=$(basename "$f" .c)
        if [[ -f include/centra/$base.h ]]; then
            first=$(grep -m1 -E '^#include' "$f")
            if [[ $first != "#include \"centra/$base.h\"" ]]; then
                report "$f: must include \"centra/$base.h\" before anything else"
            fi
        fi
    fi

    # Header guards are named from the path.
    if [[ $f == *.h ]] && ! grep -q "no include guard on purpose" "$f"; then
        guard=${f#include/}
        guard=${guard#src/}
        guard=$(echo "$guard" | tr '[:lower:]/.' '[:upper:]__')
        if ! grep -qE "^#ifndef $guard\$" "$f"; then
            report "$f: header guard must be $guard"
        fi
    fi
done

if [[ $violations -gt 0 ]]; then
    echo "checksrc: $violations violation(s)"
    exit 1
fi
echo "checksrc: ${#files[@]} files clean"
