/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Log normalization (spec section 9): pids, pfns and user addresses differ
 * between runs and back ends; the trace names them by task, label and region.
 *
 * Which hex number is which is decided by context, the same way for every
 * back end: a number after the word "address" or "at" is a user virtual
 * address (the kernel prints "fault at 7f06d5a95123" without 0x and
 * "virtual address 0x7f06d5a95000" with it); a 0x number after "type" or
 * "flags" is page flags ("flags?"); any other 0x number is a pfn.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drv.h"

static const char *const kept_prefix[] = {
	"Memory failure:", "Injecting memory failure", "MCE: Killing", "Soft offlining",
	"soft offline:", "soft_offline:", "soft_offline_page:", "Unpoison:",
	"Soft offline:",	/* 6.12's pr_fmt; 6.1 never prints it */
};

/* Drop "<6>" and "[    3.368755] " that some sources keep. */
static const char *strip_prefix(const char *s)
{
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '<' && isdigit((unsigned char)s[1])) {
			const char *e = strchr(s, '>');

			if (!e)
				return s;
			s = e + 1;
		} else if (*s == '[') {
			const char *e = strchr(s, ']');

			if (!e)
				return s;
			s = e + 1;
		} else {
			return s;
		}
	}
}

bool mf_log_kept(const char *line)
{
	const char *s = strip_prefix(line);

	if (strstr(s, "callbacks suppressed"))
		return false;
	/* a WARN's module list names hwpoison_inject: not a memory-failure line */
	if (!strncmp(s, "Modules linked in:", 18))
		return false;
	for (size_t i = 0; i < sizeof(kept_prefix) / sizeof(kept_prefix[0]); i++)
		if (!strncmp(s, kept_prefix[i], strlen(kept_prefix[i])))
			return true;
	return strstr(s, "hardware memory corruption") || strstr(s, "hwpoison");
}

void mf_label_bind(struct drv *d, const char *name, uint64_t pfn, bool expl)
{
	struct label *l;

	if (pfn == MF_PFN_NONE)
		return;
	ARRAY_GROW(d->label, d->nlabel, d->caplabel, "binding a label");
	l = &d->label[d->nlabel++];
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->pfn = pfn;
	l->explicit_ = expl;
}

uint64_t mf_label_pfn(struct drv *d, const char *name)
{
	for (int i = d->nlabel - 1; i >= 0; i--)
		if (d->label[i].explicit_ && !strcmp(d->label[i].name, name))
			return d->label[i].pfn;
	return MF_PFN_NONE;
}

const char *mf_pfn_name(struct drv *d, uint64_t pfn)
{
	for (int i = d->nlabel - 1; i >= 0; i--)
		if (d->label[i].explicit_ && d->label[i].pfn == pfn)
			return d->label[i].name;
	for (int i = 0; i < d->nlabel; i++)
		if (d->label[i].pfn == pfn)
			return d->label[i].name;
	return "pfn?";
}

bool mf_norm_addr(struct drv *d, const char *task, uint64_t addr, char *region, uint64_t *off)
{
	if (!task || !d->be->ops->addr_region)
		return false;
	return d->be->ops->addr_region(d->be, task, addr, region, MF_NAME_MAX, off);
}

void mf_fmt_sigrec(struct sbuf *b, const struct sigrec *r, bool short_code)
{
	char sn[16];
	const char *code = mf_sicode_name(r->si.signo, r->si.code);
	bool mce = r->si.signo == 7 && (r->si.code == 4 || r->si.code == 5);

	sb_printf(b, "%s", mf_signame(r->si.signo, sn, sizeof(sn)));
	if (code && short_code)
		code = strrchr(code, '_') + 1;
	if (code && short_code && !mce)
		code = strchr(mf_sicode_name(r->si.signo, r->si.code), '_') + 1;
	if (code)
		sb_printf(b, " %s", code);
	else if (r->si.signo == 7 || r->si.signo == 11)
		sb_printf(b, " code=%d", r->si.code);
	if (r->si.signo == 7 || r->si.signo == 11) {
		if (r->addr_ok)
			sb_printf(b, " addr=%s+0x%llx", r->region, (unsigned long long)r->off);
		else
			sb_printf(b, " addr=?");
	}
	if (mce)
		sb_printf(b, " lsb=%d", r->si.lsb);
}

static bool is_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* [s, e) is "COMM:PID" (a trailing ",;.)" excluded by the caller). */
static bool comm_pid(const char *s, const char *e, const char **colon)
{
	const char *c = e;

	while (c > s && isdigit((unsigned char)c[-1]))
		c--;
	if (c == e || c - 1 <= s || c[-1] != ':')
		return false;
	*colon = c - 1;
	return true;
}

static bool hexnum(const char *s, const char *e, bool need_0x, uint64_t *v)
{
	bool digit = false;
	uint64_t x = 0;

	if (e - s > 2 && s[0] == '0' && s[1] == 'x') {
		s += 2;
	} else if (need_0x) {
		return false;
	}
	if (s == e || e - s > 16)
		return false;
	for (; s < e; s++) {
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return false;
		digit |= isdigit((unsigned char)*s) != 0;
		x = x * 16 + (isdigit((unsigned char)*s) ? *s - '0' : *s - 'a' + 10);
	}
	*v = x;
	return digit || need_0x;
}

/* End of a blank-separated run, without trailing punctuation. */
static const char *run_end(const char *s, const char **full)
{
	const char *e = s;

	while (*e && *e != ' ' && *e != '\t')
		e++;
	*full = e;
	while (e > s && strchr(",;.)", e[-1]))
		e--;
	return e;
}

/* The process the line names: its first known COMM:PID. */
static const char *named_task(struct drv *d, const char *s, char *buf, size_t len)
{
	for (const char *p = s; *p;) {
		const char *full, *e = run_end(p, &full), *colon;

		if (e > p && comm_pid(p, e, &colon) && d->be->ops->name_of_tid) {
			const char *n = d->be->ops->name_of_tid(d->be, atoi(colon + 1));

			if (n) {
				snprintf(buf, len, "%s", n);
				buf[strcspn(buf, ".")] = 0;
				return buf;
			}
		}
		p = *full ? full + 1 : full;
	}
	return NULL;
}

/*
 * A soft offline whose migration failed puts the page back through the per-CPU
 * LRU add batch, which that CPU drains when the batch fills, with other
 * processes' pages too: whether the failure line's flags show lru is the
 * kernel's timing, not its behaviour (seen both ways on 6.1). The trace leaves
 * it out, for every back end.
 */
static void drop_putback_lru(struct sbuf *out, size_t at)
{
	char *line = out->s + at, *f = strstr(line, "flags?("), *l;

	if (!f || !strstr(line, "page migration failed"))
		return;
	for (l = f + 7; (l = strstr(l, "lru")); l += 3) {
		if ((l[-1] == '(' || l[-1] == '|') && (l[3] == '|' || l[3] == ')')) {
			/* "lru|"; "|lru" last in the list; "lru" alone, its parentheses kept */
			char *from = l[3] == '|' || l[-1] == '(' ? l : l - 1;
			size_t n = l[3] == '|' || l[-1] == '|' ? 4 : 3;
			memmove(from, from + n, strlen(from + n) + 1);
			out->len -= n;
			return;
		}
	}
}

void mf_norm_log(struct drv *d, const char *raw, struct sbuf *out)
{
	const char *s = strip_prefix(raw), *p = s;
	size_t at = out->len;
	char tbuf[64], prev[32] = "";
	const char *task = named_task(d, s, tbuf, sizeof(tbuf));

	if (!task)
		task = d->step_task;
	while (*p) {
		const char *full, *e, *colon;
		uint64_t v;
		bool start = p == s || p[-1] == ' ' || p[-1] == '\t';

		if (*p == '\n') {
			p++;
			continue;
		}
		if (!start && (is_word_char(p[-1]) || !is_word_char(*p))) {
			sb_printf(out, "%c", *p++);
			continue;
		}
		e = run_end(p, &full);
		if (start && e > p && comm_pid(p, e, &colon)) {
			int pid = atoi(colon + 1);
			const char *n = d->be->ops->name_of_tid ?
						d->be->ops->name_of_tid(d->be, pid) : NULL;

			if (n)
				sb_printf(out, "%s", n);
			else
				sb_printf(out, "%.*s:pid?", (int)(colon - p), p);
		} else if (start && (!strcmp(prev, "at") || !strcmp(prev, "address")) &&
			   hexnum(p, e, false, &v)) {
			char reg[MF_NAME_MAX];
			uint64_t off;

			if (mf_norm_addr(d, task, v, reg, &off))
				sb_printf(out, "%s+0x%llx", reg, (unsigned long long)off);
			else
				sb_printf(out, "addr?");
		} else {
			/* a pfn: 0x digits up to a non-word character */
			const char *h = p;

			while (is_word_char(*h))
				h++;
			if (hexnum(p, h, true, &v)) {
				/* page flags ("type %pGp") hold machine-specific high bits */
				bool flags = !strcmp(prev, "type") || !strcmp(prev, "flags");

				sb_printf(out, "%s", flags ? "flags?" : mf_pfn_name(d, v));
				p = h;
				prev[0] = 0;
				continue;
			}
			if (start) {
				snprintf(prev, sizeof(prev), "%.*s",
					 (int)(full - p < 31 ? full - p : 31), p);
			}
			sb_printf(out, "%c", *p++);
			continue;
		}
		sb_printf(out, "%.*s", (int)(full - e), e);
		p = full;
		prev[0] = 0;
	}
	if (out->s)
		drop_putback_lru(out, at);
}
