// SPDX-License-Identifier: GPL-2.0-only
/*
 * Capturing a live machine, read-only. The three /proc/kpage* files are most
 * of the time a snapshot takes (snapshot/kpage.c reads them, in threads of
 * their own, while the main thread walks the processes). Whatever cannot be
 * read is named in s->missing with what it costs the exposure answer.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "memfail/array.h"
#include "memfail/snapshot.h"
#include "capture.h"

char *snap_slurp(const char *path)
{
	size_t len = 0, cap = 1 << 14;
	char *b;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	b = xmalloc(cap, "reading /proc");
	for (;;) {
		ssize_t n = read(fd, b + len, cap - len - 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(b);
			close(fd);
			errno = e;
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (cap - len < 2)
			b = xrealloc_array(b, cap *= 2, 1, "reading /proc");
	}
	close(fd);
	b[len] = 0;
	return b;
}

static void appendf(char **dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void appendf(char **dst, const char *fmt, ...)
{
	size_t old = *dst ? strlen(*dst) : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	*dst = xrealloc_array(*dst, old + (size_t)n + 1, 1, "snapshot text");
	va_start(ap, fmt);
	vsnprintf(*dst + old, (size_t)n + 1, fmt, ap);
	va_end(ap);
}

void snap_info_add(struct snapshot *s, const char *key, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (char *c = line; *c; c++) /* one value per line */
		if (*c == '\n')
			*c = ' ';
	appendf(&s->info, "%s=%s\n", key, line);
}

void snap_missing_add(struct snapshot *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	appendf(&s->missing, "%s\n", line);
}

const char *snapshot_info(const struct snapshot *s, const char *key)
{
	static char val[512];
	size_t kl = strlen(key);

	for (const char *l = s->info; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);

		if (n > kl && !strncmp(l, key, kl) && l[kl] == '=') {
			snprintf(val, sizeof(val), "%.*s", (int)(n - kl - 1), l + kl + 1);
			return val;
		}
		l += n + (e != NULL);
	}
	return NULL;
}

static void add_range(struct snapshot *s, uint64_t start, uint64_t end, const char *type)
{
	struct snap_range r = { start, end, xstrdup(type, "snapshot range") };

	ARRAY_PUSH(s->ranges, s->nr_ranges, s->cap_ranges, r, "snapshot ranges");
}

/* The RNGE section's text: "START_PFN END_PFN TYPE" lines, hex, end exclusive. */
int snap_parse_ranges(struct snapshot *s, const char *t)
{
	while (*t) {
		unsigned long long a, b;
		const char *e = strchr(t, '\n');
		char type[128];
		int used = -1;

		if (sscanf(t, "%llx %llx %n", &a, &b, &used) < 2 || used < 0 || a > b)
			return -1;
		snprintf(type, sizeof(type), "%.*s", (int)((e ? e - t : (long)strlen(t)) - used),
			 t + used);
		add_range(s, a, b, type);
		if (!e)
			break;
		t = e + 1;
	}
	return 0;
}

/* Top-level /proc/iomem lines; zero addresses mean the reader is not root. */
static int ranges_from_iomem(struct snapshot *s)
{
	char *t = snap_slurp("/proc/iomem");
	int nonzero = 0;

	if (!t)
		return -1;
	for (char *l = t, *e; *l; l = e + 1) {
		unsigned long long a, b;
		int used = -1;

		e = strchr(l, '\n');
		if (!e)
			break;
		*e = 0;
		if (l[0] == ' ' || sscanf(l, "%llx-%llx : %n", &a, &b, &used) < 2 || used < 0)
			continue;
		nonzero |= a || b;
		add_range(s, a >> 12, (b + 1 + 0xfff) >> 12, l + used);
	}
	free(t);
	return nonzero ? 0 : -1;
}

/* x86's firmware map, readable without root. */
static int ranges_from_memmap(struct snapshot *s)
{
	char path[96];

	for (int i = 0;; i++) {
		unsigned long long a, b;
		char *st, *en, *ty;
		int ok;

		snprintf(path, sizeof(path), "/sys/firmware/memmap/%d/start", i);
		if (!(st = snap_slurp(path)))
			return i ? 0 : -1;
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%d/end", i);
		en = snap_slurp(path);
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%d/type", i);
		ty = snap_slurp(path);
		ok = en && ty && sscanf(st, "%llx", &a) == 1 && sscanf(en, "%llx", &b) == 1;
		if (ok) {
			ty[strcspn(ty, "\n")] = 0;
			add_range(s, a >> 12, (b + 1 + 0xfff) >> 12, ty);
		}
		free(st), free(en), free(ty);
	}
}

static void capture_ranges(struct snapshot *s)
{
	if (!ranges_from_iomem(s)) {
		snap_info_add(s, "ranges_source", "/proc/iomem");
		return;
	}
	for (size_t i = 0; i < s->nr_ranges; i++)
		free(s->ranges[i].type);
	s->nr_ranges = 0;
	if (!ranges_from_memmap(s)) {
		snap_info_add(s, "ranges_source", "/sys/firmware/memmap");
		snap_missing_add(s, "/proc/iomem: addresses hidden (needs root); RAM ranges come "
				    "from /sys/firmware/memmap, which does not show device memory "
				    "(DAX ranges count as not RAM)");
		return;
	}
	snap_info_add(s, "ranges_source", "none");
	snap_missing_add(s, "/proc/iomem and /sys/firmware/memmap: no RAM ranges; every pfn "
			    "with a struct page counts as RAM, DAX is not recognised");
}

static uint64_t pfn_limit(const struct snapshot *s)
{
	uint64_t end = 0;

	for (size_t i = 0; i < s->nr_ranges; i++)
		if (strstr(s->ranges[i].type, "RAM") || strstr(s->ranges[i].type, "Persistent"))
			end = s->ranges[i].end_pfn > end ? s->ranges[i].end_pfn : end;
	return end;
}

static void capture_sysctl(struct snapshot *s, const char *name)
{
	char path[96], *t;

	snprintf(path, sizeof(path), "/proc/sys/vm/%s", name);
	if ((t = snap_slurp(path))) {
		snap_info_add(s, name, "%ld", strtol(t, NULL, 10));
		free(t);
		return;
	}
	snap_info_add(s, name, "absent");
	snap_missing_add(s, "vm.%s: %s (kernel without CONFIG_MEMORY_FAILURE?): the answer "
			    "assumes 6.1's default", name, strerror(errno));
}

static void capture_hugepages(struct snapshot *s)
{
	static const char *const field[] = { "nr_hugepages", "free_hugepages", "resv_hugepages",
					     "surplus_hugepages" };
	const char *dir = "/sys/kernel/mm/hugepages";
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[384], *t;

	s->hugepages = xstrdup("", "hugepages");
	while (d && (de = readdir(d))) {
		unsigned long kb;

		if (sscanf(de->d_name, "hugepages-%lukB", &kb) != 1)
			continue;
		appendf(&s->hugepages, "size_kb=%lu", kb);
		for (size_t i = 0; i < ARRAY_SIZE(field); i++) {
			snprintf(path, sizeof(path), "%s/%s/%s", dir, de->d_name, field[i]);
			t = snap_slurp(path);
			appendf(&s->hugepages, " %s=%ld", field[i], t ? strtol(t, NULL, 10) : -1L);
			free(t);
		}
		appendf(&s->hugepages, "\n");
	}
	if (d)
		closedir(d);
	if ((t = snap_slurp("/sys/kernel/mm/transparent_hugepage/enabled"))) {
		appendf(&s->hugepages, "thp_enabled=%s", t);
		free(t);
	}
}

static bool has_cap_sys_admin(void)
{
	char *t = snap_slurp("/proc/self/status"), *l;
	unsigned long long cap = 0;

	if (t && (l = strstr(t, "CapEff:")))
		sscanf(l, "CapEff: %llx", &cap);
	free(t);
	return cap & (1ULL << 21);
}

static void capture_info(struct snapshot *s)
{
	struct utsname u;

	uname(&u);
	snap_info_add(s, "kernel", "%s", u.release);
	snap_info_add(s, "kernel_version", "%s", u.version);
	snap_info_add(s, "machine", "%s", u.machine);
	snap_info_add(s, "hostname", "%s", u.nodename);
	snap_info_add(s, "page_size", "%ld", sysconf(_SC_PAGESIZE));
	snap_info_add(s, "time", "%lld", (long long)time(NULL));
	snap_info_add(s, "euid", "%d", (int)geteuid());
	snap_info_add(s, "capture_pid", "%d", (int)getpid());
	snap_info_add(s, "cap_sys_admin", "%d", has_cap_sys_admin());
	capture_sysctl(s, "memory_failure_early_kill");
	capture_sysctl(s, "memory_failure_recovery");
}

static void capture_text(struct snapshot *s, char **dst, const char *path, const char *cost)
{
	if (!(*dst = snap_slurp(path)))
		snap_missing_add(s, "%s: %s: %s", path, strerror(errno), cost);
}

/* What the main thread reads while the page flags are read. */
static void capture_rest(struct snapshot *s, const struct snap_capture_opts *o)
{
	capture_text(s, &s->meminfo, "/proc/meminfo", "no memory totals");
	capture_text(s, &s->buddyinfo, "/proc/buddyinfo", "no free-list orders (informational)");
	capture_text(s, &s->zoneinfo, "/proc/zoneinfo", "no zones (informational)");
	capture_text(s, &s->swaps, "/proc/swaps", "no swap devices (informational)");
	capture_text(s, &s->mounts, "/proc/self/mounts", "no mounts (informational)");
	capture_hugepages(s);
	if (o->with_procs)
		snap_capture_procs(s);
}

void snapshot_capture(struct snapshot *s, const struct snap_capture_opts *o)
{
	memset(s, 0, sizeof(*s));
	s->version = SNAP_FORMAT_VERSION;
	s->info = xstrdup("", "snapshot info");
	s->missing = xstrdup("", "snapshot missing");
	capture_info(s);
	capture_ranges(s);
	s->nr_pfns = pfn_limit(s);
	snap_capture_kpages(s, o->with_cgroup ? 3 : o->with_counts ? 2 : 1, capture_rest, o);
	if (o->with_procs)
		snap_capture_self(s);
	if (o->anonymize) {
		uint8_t key[16];

		snap_anon_key(key);
		snap_anonymize(s, key);
	}
}

void snapshot_free(struct snapshot *s)
{
	char **text[] = { &s->info,  &s->meminfo, &s->buddyinfo, &s->zoneinfo,
			  &s->swaps, &s->mounts,  &s->hugepages, &s->missing };

	for (size_t i = 0; i < ARRAY_SIZE(text); i++)
		free(*text[i]);
	free(s->kpageflags), free(s->kpagecount), free(s->kpagecgroup);
	for (size_t i = 0; i < s->nr_ranges; i++)
		free(s->ranges[i].type);
	free(s->ranges);
	for (size_t i = 0; i < s->nr_procs; i++) {
		struct snap_proc *p = &s->procs[i];

		for (size_t j = 0; j < p->nr_maps; j++)
			free(p->maps[j].path);
		free(p->maps), free(p->ptes), free(p->comm);
	}
	free(s->procs);
	memset(s, 0, sizeof(*s));
}
