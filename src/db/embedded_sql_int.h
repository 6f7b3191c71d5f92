/*
 * src/db/embedded_sql_int.h
 *     The SQL files compiled into the binary by cmake/EmbedSql.cmake.
 */
#ifndef DB_EMBEDDED_SQL_INT_H
#define DB_EMBEDDED_SQL_INT_H

#include <stddef.h>

#include "centra/migrate.h"

extern const SqlFile embedded_migrations[];    /* migrations/ in name order */
extern const size_t embedded_migrations_count; /* entries of embedded_migrations */
extern const SqlFile embedded_objects[];       /* sql/ in name order */
extern const size_t embedded_objects_count;    /* entries of embedded_objects */

#endif /* DB_EMBEDDED_SQL_INT_H */
