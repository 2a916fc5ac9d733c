// SPDX-License-Identifier: GPL-2.0-only
/*
 * The campaign file (docs/campaign.md): one statement a line, `#` comments,
 * blank-separated tokens, KEY=VALUE options. Every bad input is reported as
 * "FILE:LINE: error: ..." and nothing runs.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/campaign.h"

#include "parse.h"

int cpp_fail(struct pctx *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(p->err, "%s:%d: error: ", p->file, p->line);
	va_start(ap, fmt);
	vfprintf(p->err, fmt, ap);
	va_end(ap);
	fputc('\n', p->err);
	return -1;
}

int cpp_num(struct pctx *p, const char *what, const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(*out) || *out < 0)
		return cpp_fail(p, "%s wants a non-negative number, not '%s'", what, s);
	return 0;
}

int cpp_integer(struct pctx *p, const char *what, const char *s, long lo, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 0);
	if (!*s || *end || errno || *out < lo)
		return cpp_fail(p, "%s wants an integer >= %ld, not '%s'", what, lo, s);
	return 0;
}

/* 4K, 64M, 4G, 1T: multiples of 4 KiB. */
int cpp_size(struct pctx *p, const char *what, const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	const char *u;
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end && (u = strchr(units, *end)) != NULL) {
		shift = 10 * (unsigned)(u - units + 1);
		end++;
	}
	if (!*s || *s == '-' || *end || errno)
		return cpp_fail(p, "%s wants a size (a number, then K, M, G or T), not '%s'", what, s);
	if (shift && v > (ULLONG_MAX >> shift))
		return cpp_fail(p, "%s: '%s' is too large", what, s);
	v <<= shift;
	if (v % MF_PAGE_SIZE)
		return cpp_fail(p, "%s wants a multiple of 4K, not '%s'", what, s);
	*out = v;
	return 0;
}

/* 24h, 7d, or plain hours. */
int cpp_duration(struct pctx *p, const char *what, const char *s, double *out)
{
	char buf[64];
	size_t n = strlen(s);
	double mul = 1;

	if (n && n < sizeof(buf) && (s[n - 1] == 'h' || s[n - 1] == 'd')) {
		mul = s[n - 1] == 'd' ? 24 : 1;
		memcpy(buf, s, n - 1);
		buf[n - 1] = 0;
		s = buf;
	}
	if (cpp_num(p, what, s, out))
		return -1;
	*out *= mul;
	if (*out <= 0)
		return cpp_fail(p, "%s must be positive", what);
	return 0;
}

/* Split KEY=VALUE; returns VALUE or NULL (and reports) when there is none. */
const char *cpp_value(struct pctx *p, char *tok)
{
	char *eq = strchr(tok, '=');

	if (!eq || !eq[1]) {
		cpp_fail(p, "found '%s', expected KEY=VALUE", tok);
		return NULL;
	}
	*eq = 0;
	return eq + 1;
}

int cpp_want_args(struct pctx *p, int lo, int hi)
{
	if (p->ntok - 1 < lo)
		return cpp_fail(p, "%s: missing argument", p->tok[0]);
	if (p->ntok - 1 > hi && hi + 1 < MAX_TOK)
		return cpp_fail(p, "%s: unexpected '%s'", p->tok[0], p->tok[hi + 1]);
	return 0;
}

static struct cp_machine *cur_machine(struct pctx *p)
{
	if (!p->c->nmachines) {
		cpp_fail(p, "%s before any machine statement", p->tok[0]);
		return NULL;
	}
	if (p->c->machines[p->c->nmachines - 1].snapshot[0]) {
		cpp_fail(p, "%s: machine %s comes from a snapshot", p->tok[0],
			 p->c->machines[p->c->nmachines - 1].name);
		return NULL;
	}
	return &p->c->machines[p->c->nmachines - 1];
}

/* A relative path is the campaign file's directory's, as a scenario's include would be. */
static int snapshot_path(struct pctx *p, struct cp_machine *m, const char *v)
{
	const char *slash = strrchr(p->file, '/');
	int dir = v[0] != '/' && slash ? (int)(slash - p->file) + 1 : 0;

	if (!*v || (size_t)snprintf(m->snapshot, sizeof(m->snapshot), "%.*s%s", dir, p->file, v) >=
			   sizeof(m->snapshot))
		return cpp_fail(p, "snapshot=%s: empty or too long a path", v);
	return 0;
}

static int machine_opt(struct pctx *p, struct cp_machine *m, char *tok)
{
	static const char *const keys[] = { "dimms", "ranks", "banks", "devices", "columns" };
	unsigned *fields[] = { &m->dram.dimms, &m->dram.ranks, &m->dram.banks, &m->dram.devices,
			       &m->dram.columns };
	const char *v = cpp_value(p, tok);
	long l;

	if (!v)
		return -1;
	if (!strcmp(tok, "weight"))
		return cpp_num(p, "weight", v, &m->weight);
	if (!strcmp(tok, "memory"))
		return cpp_size(p, "memory", v, &m->dram.memory);
	if (!strcmp(tok, "snapshot"))
		return snapshot_path(p, m, v);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(tok, keys[i])) {
			if (cpp_integer(p, keys[i], v, 1, &l))
				return -1;
			if (l > 1 << 20)
				return cpp_fail(p, "%s=%ld is too large", keys[i], l);
			*fields[i] = (unsigned)l;
			return 0;
		}
	return cpp_fail(p, "machine: unknown option '%s' (weight, memory, snapshot, dimms, ranks, "
		    "banks, devices, columns)", tok);
}

/*
 * A snapshot machine's DIMMs: the smallest power-of-two multiple of the
 * geometry's span that holds the snapshot's RAM; errors above that RAM land
 * where the OS has no page (firmware, holes) and are not seen.
 */
static int snapshot_machine(struct pctx *p, struct cp_machine *m, bool memory_given)
{
	uint64_t span = (uint64_t)m->dram.columns * 8 * m->dram.banks * m->dram.ranks *
			m->dram.dimms;
	char err[300];

	if (memory_given)
		return cpp_fail(p, "machine %s: memory= comes from the snapshot", m->name);
	if (cp_snapshot_ram(m->snapshot, &m->ram, err, sizeof(err)))
		return cpp_fail(p, "machine %s: %s", m->name, err);
	for (m->dram.memory = span; span && m->dram.memory < m->ram;)
		m->dram.memory *= 2;
	return 0;
}

static int st_machine(struct pctx *p)
{
	struct cp_campaign *c = p->c;
	struct cp_machine *m;
	bool memory_given = false;
	char err[160];

	if (cpp_want_args(p, 1, MAX_TOK))
		return -1;
	for (size_t i = 0; i < c->nmachines; i++)
		if (!strcmp(c->machines[i].name, p->tok[1]))
			return cpp_fail(p, "machine '%s' already declared on line %d", p->tok[1],
				    c->machines[i].line);
	if (strlen(p->tok[1]) >= sizeof(m->name))
		return cpp_fail(p, "machine name '%s' is too long", p->tok[1]);
	ARRAY_GROW(c->machines, c->nmachines, c->cmachines, "campaign machines");
	m = &c->machines[c->nmachines++];
	*m = (struct cp_machine){ .weight = 1, .line = p->line,
		.dram = { .dimms = 1, .ranks = 1, .banks = 16, .devices = 18, .columns = 1024,
			  .memory = 256 << 20 } };
	strcpy(m->name, p->tok[1]);
	for (int i = 2; i < p->ntok; i++) {
		memory_given |= !strncmp(p->tok[i], "memory=", 7);
		if (machine_opt(p, m, p->tok[i]))
			return -1;
	}
	m->ram = m->dram.memory;
	if (m->snapshot[0] && snapshot_machine(p, m, memory_given))
		return -1;
	if (cp_dram_check(&m->dram, err, sizeof(err)))
		return cpp_fail(p, "machine %s: %s", m->name, err);
	return 0;
}

static int file_state(struct pctx *p, const char *s, int *state)
{
	static const char *const names[] = { "dirty", "synced", "hole", "uncached" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i])) {
			*state = (int)i;
			return 0;
		}
	return cpp_fail(p, "file: found '%s', expected size=SIZE or dirty|synced|hole|uncached", s);
}

static int st_file(struct pctx *p)
{
	struct cp_machine *m = cur_machine(p);
	struct cp_file f = { .state = MF_FILE_INIT_SYNCED };

	if (!m || cpp_want_args(p, 2, 3))
		return -1;
	if (strncmp(p->tok[1], "disk:", 5) && strncmp(p->tok[1], "tmpfs:", 6))
		return cpp_fail(p, "file: '%s' is not disk:NAME or tmpfs:NAME", p->tok[1]);
	if (strlen(p->tok[1]) >= sizeof(f.path))
		return cpp_fail(p, "file name '%s' is too long", p->tok[1]);
	strcpy(f.path, p->tok[1]);
	for (int i = 2; i < p->ntok; i++) {
		if (!strncmp(p->tok[i], "size=", 5)) {
			if (cpp_size(p, "size", p->tok[i] + 5, &f.size))
				return -1;
		} else if (file_state(p, p->tok[i], &f.state)) {
			return -1;
		}
	}
	if (!f.size)
		return cpp_fail(p, "file %s: size=SIZE is required", f.path);
	ARRAY_PUSH(m->files, m->nfiles, m->cfiles, f, "campaign files");
	return 0;
}

static int proc_flag(struct cp_proc *pr, const char *tok)
{
	static const char *const flags[] = { "locked", "ksm", "thp", "early" };
	bool *fields[] = { &pr->locked, &pr->ksm, &pr->thp, &pr->early };

	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if (!strcmp(tok, flags[i])) {
			*fields[i] = true;
			return 0;
		}
	return -1;
}

static int proc_opt(struct pctx *p, struct cp_machine *m, struct cp_proc *pr, char *tok)
{
	const char *v;
	long l;

	if (!proc_flag(pr, tok))
		return 0;
	if (!(v = cpp_value(p, tok)))
		return -1;
	if (!strcmp(tok, "count")) {
		if (cpp_integer(p, "count", v, 1, &l) || (l > 100000 && cpp_fail(p, "count is too large")))
			return -1;
		pr->count = (int)l;
		return 0;
	}
	if (!strcmp(tok, "anon"))
		return cpp_size(p, "anon", v, &pr->anon);
	if (!strcmp(tok, "shmem"))
		return cpp_size(p, "shmem", v, &pr->shmem);
	if (!strcmp(tok, "pin"))
		return cpp_size(p, "pin", v, &pr->pin);
	if (!strcmp(tok, "sigbus")) {
		if (strcmp(v, "default") && strcmp(v, "handler"))
			return cpp_fail(p, "sigbus wants default or handler, not '%s'", v);
		pr->sigbus_default = !strcmp(v, "default");
		return 0;
	}
	if (!strcmp(tok, "map")) {
		for (size_t i = 0; i < m->nfiles; i++)
			if (!strcmp(m->files[i].path, v)) {
				strcpy(pr->map, v);
				pr->map_len = m->files[i].size;
				return 0;
			}
		return cpp_fail(p, "map=%s: no such file in machine %s", v, m->name);
	}
	return cpp_fail(p, "process: unknown option '%s' (count, anon, shmem, map, pin, sigbus, "
		    "locked, ksm, thp, early)", tok);
}

static int st_process(struct pctx *p)
{
	struct cp_machine *m = cur_machine(p);
	struct cp_proc pr = { .count = 1, .sigbus_default = true };

	if (!m || cpp_want_args(p, 1, MAX_TOK))
		return -1;
	if (strlen(p->tok[1]) >= sizeof(pr.name))
		return cpp_fail(p, "process name '%s' is longer than 15 bytes", p->tok[1]);
	strcpy(pr.name, p->tok[1]);
	for (int i = 2; i < p->ntok; i++)
		if (proc_opt(p, m, &pr, p->tok[i]))
			return -1;
	if (pr.pin > pr.anon)
		return cpp_fail(p, "process %s: pin=%llu is larger than anon", pr.name,
			    (unsigned long long)pr.pin);
	ARRAY_PUSH(m->procs, m->nprocs, m->cprocs, pr, "campaign processes");
	return 0;
}

static int st_policy(struct pctx *p)
{
	static const char *const kinds[] = { "none", "page", "row", "bucket" };
	struct cp_campaign *c = p->c;
	struct cp_policy pol = { .kind = CP_POL_NONE, .threshold = 50, .window_h = 24 };
	bool known = false;
	const char *v;

	if (cpp_want_args(p, 2, 4))
		return -1;
	if (strlen(p->tok[1]) >= sizeof(pol.name))
		return cpp_fail(p, "policy name '%s' is too long", p->tok[1]);
	for (size_t i = 0; i < c->npolicies; i++)
		if (!strcmp(c->policies[i].name, p->tok[1]))
			return cpp_fail(p, "policy '%s' declared twice", p->tok[1]);
	strcpy(pol.name, p->tok[1]);
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(p->tok[2], kinds[i])) {
			pol.kind = (enum cp_policy_kind)i;
			known = true;
		}
	if (!known)
		return cpp_fail(p, "policy %s: found '%s', expected none|page|row|bucket", pol.name,
			    p->tok[2]);
	for (int i = 3; i < p->ntok; i++) {
		if (!(v = cpp_value(p, p->tok[i])))
			return -1;
		if (pol.kind == CP_POL_NONE)
			return cpp_fail(p, "policy %s: 'none' takes no options", pol.name);
		if (!strcmp(p->tok[i], "threshold")) {
			if (cpp_integer(p, "threshold", v, 1, &pol.threshold))
				return -1;
		} else if (!strcmp(p->tok[i], "window")) {
			if (cpp_duration(p, "window", v, &pol.window_h))
				return -1;
		} else {
			return cpp_fail(p, "policy: unknown option '%s' (threshold, window)", p->tok[i]);
		}
	}
	ARRAY_PUSH(c->policies, c->npolicies, c->cpolicies, pol, "campaign policies");
	return 0;
}

static int st_scalar(struct pctx *p)
{
	struct cp_campaign *c = p->c;
	const char *k = p->tok[0], *v = p->tok[1];
	long l;

	if (cpp_want_args(p, 1, 1))
		return -1;
	if (!strcmp(k, "kernel"))
		return mf_kernel_from_release(v, &c->kernel) ? cpp_fail(p, "kernel: 6.1 or 6.12, not '%s'", v) : 0;
	if (!strcmp(k, "seed")) {
		char *end;

		errno = 0;
		c->seed = strtoull(v, &end, 0);
		return (*end || *v == '-' || errno) ? cpp_fail(p, "seed wants a number, not '%s'", v) : 0;
	}
	if (!strcmp(k, "horizon")) {
		if (cpp_num(p, "horizon", v, &c->horizon))
			return -1;
		return c->horizon > 0 ? 0 : cpp_fail(p, "horizon must be positive");
	}
	if (!strcmp(k, "trials")) {
		if (cpp_integer(p, "trials", v, 1, &l))
			return -1;
		c->trials = l;
		return 0;
	}
	if (!strcmp(k, "timeline"))
		return cpp_integer(p, "timeline", v, 0, &c->timeline_trials);
	if (!strcmp(k, "ue-share"))
		return cpp_prob(p, "ue-share", v, &c->em.ue_share);
	if (!strcmp(k, "fit-scale"))
		return cpp_num(p, "fit-scale", v, &c->em.fit_scale);
	return cpp_prob(p, "scrub-first", v, &c->em.scrub_first);
}

static int st_title(struct pctx *p)
{
	size_t n;

	if (p->seen_title)
		return cpp_fail(p, "a second campaign statement");
	if (p->c->nmachines || p->c->npolicies)
		return cpp_fail(p, "campaign \"TITLE\" must come first");
	if (cpp_want_args(p, 1, 1) || p->tok[1][0] != '"')
		return p->ntok == 2 ? cpp_fail(p, "campaign wants a title in double quotes") : -1;
	n = strlen(p->tok[1]);
	if (n - 2 >= sizeof(p->c->title))
		return cpp_fail(p, "the title is too long");
	memcpy(p->c->title, p->tok[1] + 1, n - 2);
	p->c->title[n - 2] = 0;
	p->seen_title = true;
	return 0;
}

static int statement(struct pctx *p)
{
	static const struct {
		const char *kw;
		int (*fn)(struct pctx *p);
	} st[] = {
		{ "campaign", st_title }, { "kernel", st_scalar }, { "seed", st_scalar },
		{ "horizon", st_scalar }, { "trials", st_scalar }, { "timeline", st_scalar },
		{ "fit-scale", st_scalar }, { "scrub-first", st_scalar },
		{ "ue-share", st_scalar }, { "fit", cpp_st_fit },
		{ "ue", cpp_st_ue }, { "cluster", cpp_st_cluster }, { "pareto", cpp_st_pareto },
		{ "machine", st_machine }, { "file", st_file }, { "process", st_process },
		{ "policy", st_policy },
	};

	if (p->tok[0][0] == '"')
		return cpp_fail(p, "found a string, expected a statement");
	for (size_t i = 0; i < ARRAY_SIZE(st); i++)
		if (!strcmp(p->tok[0], st[i].kw))
			return st[i].fn(p);
	return cpp_fail(p, "unknown statement '%s'", p->tok[0]);
}

static int finish(struct pctx *p)
{
	struct cp_campaign *c = p->c;
	double w = 0;

	p->line--;
	if (!p->seen_title)
		return cpp_fail(p, "no campaign \"TITLE\" statement");
	if (!c->nmachines)
		return cpp_fail(p, "no machine statement");
	if (!c->npolicies)
		return cpp_fail(p, "no policy statement");
	if (!c->horizon || !c->trials)
		return cpp_fail(p, "horizon and trials are required");
	if (c->horizon / (double)c->trials > CP_MAX_TRIAL_YEARS)
		return cpp_fail(p, "horizon/trials is %g years of one machine: at most %d (raise trials)",
				c->horizon / (double)c->trials, CP_MAX_TRIAL_YEARS);
	for (size_t i = 0; i < c->nmachines; i++)
		w += c->machines[i].weight;
	if (w <= 0)
		return cpp_fail(p, "every machine weighs 0");
	return 0;
}

static int tokenize(struct pctx *p, char *s)
{
	p->ntok = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (!*s || *s == '#')
			return 0;
		if (p->ntok == MAX_TOK)
			return cpp_fail(p, "too many words on one line (at most %d)", MAX_TOK);
		if (*s == '"') {
			p->tok[p->ntok++] = s;
			for (s++; *s && *s != '"'; s++)
				;
			if (!*s)
				return cpp_fail(p, "unterminated string");
			s++;
		} else {
			p->tok[p->ntok++] = s;
			while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '#')
				s++;
		}
		if (*s == '#') {
			*s = 0;
			return 0;
		}
		if (*s)
			*s++ = 0;
	}
}

static void campaign_init(struct cp_campaign *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", name);
	c->seed = 1;
	c->timeline_trials = 10;
	cp_errmodel_default(&c->em);
}

int cp_parse_string(const char *name, const char *text, struct cp_campaign *c, FILE *err)
{
	struct pctx p = { .file = name, .err = err, .c = c };
	char *buf = xstrdup(text, "campaign file"), *s = buf;
	int ret = 0;

	campaign_init(c, name);
	while (s && !ret) {
		char *nl = strchr(s, '\n');

		if (nl)
			*nl = 0;
		p.line++;
		ret = tokenize(&p, s);
		if (!ret && p.ntok)
			ret = statement(&p);
		s = nl && nl[1] ? nl + 1 : NULL;
	}
	p.line++;
	if (!ret)
		ret = finish(&p);
	free(buf);
	if (ret)
		cp_campaign_free(c);
	return ret;
}

int cp_parse_file(const char *path, struct cp_campaign *c, FILE *err)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t n = 0, cap = 0;
	int ch, ret;

	if (!f) {
		fprintf(err, "%s: error: cannot open: %s\n", path, strerror(errno));
		return -1;
	}
	while ((ch = fgetc(f)) != EOF)
		ARRAY_PUSH(text, n, cap, (char)ch, "campaign file");
	fclose(f);
	ARRAY_PUSH(text, n, cap, 0, "campaign file");
	if (strlen(text) != n - 1) {
		fprintf(err, "%s: error: a NUL byte in the file\n", path);
		free(text);
		return -1;
	}
	ret = cp_parse_string(path, text, c, err);
	free(text);
	return ret;
}

void cp_campaign_free(struct cp_campaign *c)
{
	for (size_t i = 0; i < c->nmachines; i++) {
		free(c->machines[i].files);
		free(c->machines[i].procs);
	}
	free(c->machines);
	free(c->policies);
	c->machines = NULL;
	c->policies = NULL;
	c->nmachines = c->npolicies = 0;
}
