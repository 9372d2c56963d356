/* testdb.h - a fresh folder per test for state databases, and SQLite read
 * directly to check what ewc wrote (for the Check runners that need it) */
/* SPDX-License-Identifier: MIT */
#ifndef EWC_TESTDB_H
#define EWC_TESTDB_H

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

/* The test's folder and the database path in it, made by t_db_setup(). */
static char t_dir[64];
static char t_path[128];

static void t_db_setup(void)
{
	snprintf(t_dir, sizeof t_dir, "/tmp/ewc-db.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t_dir));
	snprintf(t_path, sizeof t_path, "%s/state.db", t_dir);
}

static void t_db_teardown(void)
{
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t_dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* One integer from a database file, read with SQLite directly; -1 when the
 * query gives no row. */
static long long t_sql_int(const char *file, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	ck_assert_int_eq(sqlite3_open_v2(file, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

#endif /* EWC_TESTDB_H */
