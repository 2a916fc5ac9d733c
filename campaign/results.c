// SPDX-License-Identifier: GPL-2.0-only
/*
 * Results in SQLite (schema in docs/campaign.md). Rank 0 writes everything in
 * trial order inside one transaction; nothing time-dependent goes in, so the
 * same campaign and seed give the same rows on any number of ranks.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "internal.h"

static const char *const kind_name[] = { "none", "page", "row", "bucket" };
static const char *const ev_name[] = { "ce", "ue", "offline", "kill", "crash" };

static int schema(sqlite3 *db, char **msg)
{
	char sql[4096];
	size_t n;

	n = (size_t)snprintf(sql, sizeof(sql),
		"PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
		"CREATE TABLE campaign(key TEXT PRIMARY KEY, value TEXT);"
		"CREATE TABLE machine(id INTEGER PRIMARY KEY, name TEXT, weight REAL,"
		" memory INTEGER, dimms INTEGER, ranks INTEGER, banks INTEGER, devices INTEGER);"
		"CREATE TABLE policy(id INTEGER PRIMARY KEY, name TEXT, kind TEXT,"
		" threshold INTEGER, window_h REAL);"
		"CREATE TABLE trial(id INTEGER PRIMARY KEY, machine INTEGER REFERENCES machine(id),"
		" years REAL, faults INTEGER, permanent INTEGER, errors INTEGER);"
		"CREATE TABLE outcome(trial INTEGER REFERENCES trial(id),"
		" policy INTEGER REFERENCES policy(id)");
	for (size_t i = 0; i < CP_OUTCOME_FIELDS; i++)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, ", %s INTEGER", cp_outcome_name[i]);
	snprintf(sql + n, sizeof(sql) - n,
		 ", PRIMARY KEY(trial, policy));"
		 "CREATE TABLE event(trial INTEGER, policy INTEGER, t_hours REAL, kind TEXT,"
		 " pfn INTEGER, result INTEGER);"
		 "CREATE VIEW summary AS SELECT policy.name AS policy, SUM(trial.years) AS years,"
		 " SUM(kills) AS kills, SUM(data_loss) AS data_loss, SUM(crashes) AS crashes,"
		 " SUM(ues) AS ues, SUM(ues_avoided) AS ues_avoided,"
		 " SUM(pages_retired) AS pages_retired, SUM(offline_fail) AS offline_fail"
		 " FROM outcome JOIN policy ON policy.id = outcome.policy"
		 " JOIN trial ON trial.id = outcome.trial GROUP BY policy.id ORDER BY policy.id;");
	return sqlite3_exec(db, sql, NULL, NULL, msg);
}

static int meta(sqlite3 *db, const struct cp_campaign *c, char **msg)
{
	char *sql = sqlite3_mprintf(
		"INSERT INTO campaign VALUES('title', %Q), ('kernel', %Q),"
		" ('seed', '%lld'), ('horizon_years', '%.17g'), ('trials', '%ld'),"
		" ('fit_scale', '%.17g'), ('scrub_first', '%.17g'), ('cluster_p', '%.17g'),"
		" ('pareto_alpha', '%.17g'), ('pareto_max', '%.17g');",
		c->title, mf_kernel_name(c->kernel), (long long)c->seed, c->horizon, c->trials, c->em.fit_scale,
		c->em.scrub_first, c->em.cluster_p, c->em.pareto_alpha, c->em.pareto_max);
	int ret = sqlite3_exec(db, sql, NULL, NULL, msg);

	sqlite3_free(sql);
	for (size_t i = 0; i < c->nmachines && !ret; i++) {
		const struct cp_machine *m = &c->machines[i];

		sql = sqlite3_mprintf("INSERT INTO machine VALUES(%d, %Q, %.17g, %lld, %u, %u, %u,"
				      " %u);", (int)i, m->name, m->weight,
				      (long long)m->dram.memory, m->dram.dimms,
				      m->dram.ranks, m->dram.banks, m->dram.devices);
		ret = sqlite3_exec(db, sql, NULL, NULL, msg);
		sqlite3_free(sql);
	}
	for (size_t i = 0; i < c->npolicies && !ret; i++) {
		const struct cp_policy *p = &c->policies[i];

		sql = sqlite3_mprintf("INSERT INTO policy VALUES(%d, %Q, %Q, %ld, %.17g);", (int)i,
				      p->name, kind_name[p->kind], p->threshold, p->window_h);
		ret = sqlite3_exec(db, sql, NULL, NULL, msg);
		sqlite3_free(sql);
	}
	return ret;
}

static int rows(sqlite3 *db, const struct cp_campaign *c, const struct cp_results *res)
{
	sqlite3_stmt *tr, *oc, *ev;
	double years = c->horizon / (double)c->trials;
	int ret;

	ret = sqlite3_prepare_v2(db, "INSERT INTO trial VALUES(?,?,?,?,?,?)", -1, &tr, NULL);
	ret |= sqlite3_prepare_v2(db, "INSERT INTO outcome VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
				  "?,?,?,?,?,?,?)", -1, &oc, NULL);
	ret |= sqlite3_prepare_v2(db, "INSERT INTO event VALUES(?,?,?,?,?,?)", -1, &ev, NULL);
	for (long t = 0; t < res->trials && !ret; t++) {
		const struct cp_draw *d = &res->draws[t];

		sqlite3_bind_int64(tr, 1, t);
		sqlite3_bind_int64(tr, 2, d->machine);
		sqlite3_bind_double(tr, 3, years);
		sqlite3_bind_int64(tr, 4, d->faults);
		sqlite3_bind_int64(tr, 5, d->permanent);
		sqlite3_bind_int64(tr, 6, d->errors);
		ret = sqlite3_step(tr) != SQLITE_DONE;
		sqlite3_reset(tr);
		for (size_t p = 0; p < res->npolicies && !ret; p++) {
			const int64_t *v = (const int64_t *)&res->outcomes[t * (long)res->npolicies +
									   (long)p];

			sqlite3_bind_int64(oc, 1, t);
			sqlite3_bind_int64(oc, 2, (int64_t)p);
			for (size_t i = 0; i < CP_OUTCOME_FIELDS; i++)
				sqlite3_bind_int64(oc, (int)i + 3, v[i]);
			ret = sqlite3_step(oc) != SQLITE_DONE;
			sqlite3_reset(oc);
		}
	}
	for (size_t i = 0; i < res->nevents && !ret; i++) {
		const struct cp_event *e = &res->events[i];

		sqlite3_bind_int64(ev, 1, e->trial);
		sqlite3_bind_int64(ev, 2, e->policy);
		sqlite3_bind_double(ev, 3, e->t_h);
		sqlite3_bind_text(ev, 4, ev_name[e->kind], -1, SQLITE_STATIC);
		sqlite3_bind_int64(ev, 5, e->pfn);
		sqlite3_bind_int64(ev, 6, e->result);
		ret = sqlite3_step(ev) != SQLITE_DONE;
		sqlite3_reset(ev);
	}
	sqlite3_finalize(tr);
	sqlite3_finalize(oc);
	sqlite3_finalize(ev);
	return ret;
}

int cp_results_write(const struct cp_campaign *c, const struct cp_results *res, const char *path,
		     char *err, size_t errlen)
{
	sqlite3 *db;
	char *msg = NULL;
	int ret;

	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return -1;
	}
	ret = schema(db, &msg);
	if (!ret)
		ret = sqlite3_exec(db, "BEGIN", NULL, NULL, &msg);
	if (!ret)
		ret = meta(db, c, &msg);
	if (!ret)
		ret = rows(db, c, res);
	if (!ret)
		ret = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
	if (ret)
		snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	sqlite3_close(db);
	return ret ? -1 : 0;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return h;
}

int cp_results_digest(const char *path, uint64_t *digest, char *err, size_t errlen)
{
	static const char *const tables[] = { "campaign", "machine", "policy", "trial",
					      "outcome", "event" };
	uint64_t h = 0xcbf29ce484222325ull;
	sqlite3 *db;
	int ret = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]) && ret == SQLITE_OK; i++) {
		char sql[96];
		sqlite3_stmt *st;

		snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY rowid", tables[i]);
		ret = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
		while (ret == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			for (int col = 0; col < sqlite3_column_count(st); col++) {
				const unsigned char *v = sqlite3_column_text(st, col);

				h = fnv(h, v ? (const char *)v : "", v ? strlen((const char *)v) + 1 : 1);
			}
		if (ret == SQLITE_OK)
			sqlite3_finalize(st);
	}
	if (ret != SQLITE_OK)
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
	sqlite3_close(db);
	*digest = h;
	return ret == SQLITE_OK ? 0 : -1;
}
