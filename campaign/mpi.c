// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scale-out over MPI (Open MPI). Every rank holds the full, zeroed result
 * arrays and fills in its own trials; integer sums onto rank 0 merge them
 * exactly. Events are gathered and put back in trial order.
 *
 * Open MPI is linked only into memfail-mpi, next to memfail: linked into
 * memfail it made every process (one per scenario in a conformance run) load
 * a dozen more libraries. memfail, started by a launcher, re-executes itself
 * as memfail-mpi, so `mpirun -n N memfail campaign F` works as before.
 * Without memfail-mpi (MPI=0), or started without mpirun, this is one rank.
 */
#include <stdlib.h>

#include "memfail/array.h"
#include "memfail/campaign.h"

static bool under_launcher(void)
{
	return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

#ifdef HAVE_MPI
#include <mpi.h>
#include <time.h>

static bool active;

/*
 * Wait for every rank without spinning. Open MPI's blocking collectives poll
 * at full speed: a rank done with its trials (or one waiting in
 * MPI_Finalize while rank 0 writes the database) would take a core from the
 * ranks still working, which on a 2-core host costs the speed-up. A
 * non-blocking barrier tested every millisecond costs nothing noticeable.
 */
static void wait_for_all(void)
{
	const struct timespec ms = { 0, 1000000 };
	MPI_Request req;
	int done = 0;

	if (MPI_Ibarrier(MPI_COMM_WORLD, &req) != MPI_SUCCESS)
		return;
	while (MPI_Test(&req, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && !done)
		nanosleep(&ms, NULL);
}

int cp_mpi_init(int *argc, char ***argv, int *rank, int *size)
{
	*rank = 0;
	*size = 1;
	/* Only under a launcher: a plain run must not need an MPI runtime. */
	if (!under_launcher())
		return 0;
	if (MPI_Init(argc, argv) != MPI_SUCCESS)
		return -1;
	active = true;
	MPI_Comm_rank(MPI_COMM_WORLD, rank);
	MPI_Comm_size(MPI_COMM_WORLD, size);
	return 0;
}

/*
 * Each rank's list is in trial order and ranks hold disjoint trials: merge
 * them, moving a whole trial's events at a time, so the order is the one a
 * single rank would have produced.
 */
static struct cp_event *merge(const struct cp_event *all, const int *counts, const int *displs,
			      int size, size_t total)
{
	struct cp_event *out = xcalloc(total + 1, sizeof(*out), "mpi events");
	size_t *pos = xcalloc((size_t)size, sizeof(*pos), "mpi merge"), n = 0;

	while (n < total) {
		int best = -1;

		for (int r = 0; r < size; r++) {
			size_t nr = (size_t)counts[r] / sizeof(*out);
			const struct cp_event *e = all + displs[r] / (int)sizeof(*out);

			if (pos[r] < nr && (best < 0 ||
					    e[pos[r]].trial < all[displs[best] / (int)sizeof(*out) +
								  pos[best]].trial))
				best = r;
		}
		const struct cp_event *e = all + displs[best] / (int)sizeof(*out);
		size_t nr = (size_t)counts[best] / sizeof(*out);
		int64_t t = e[pos[best]].trial;

		while (pos[best] < nr && e[pos[best]].trial == t)
			out[n++] = e[pos[best]++];
	}
	free(pos);
	return out;
}

static int gather_events(struct cp_results *res, int rank, int size)
{
	int n = (int)(res->nevents * sizeof(struct cp_event)), total = 0;
	int *counts = xcalloc((size_t)size, sizeof(int), "mpi counts");
	int *displs = xcalloc((size_t)size, sizeof(int), "mpi displs");
	struct cp_event *all = NULL;

	MPI_Gather(&n, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
	if (!rank) {
		for (int i = 0; i < size; i++) {
			displs[i] = total;
			total += counts[i];
		}
		all = xmalloc((size_t)total + 1, "mpi events");
	}
	MPI_Gatherv(res->events, n, MPI_BYTE, all, counts, displs, MPI_BYTE, 0, MPI_COMM_WORLD);
	if (!rank) {
		free(res->events);
		res->nevents = res->cevents = (size_t)total / sizeof(struct cp_event);
		res->events = merge(all, counts, displs, size, res->nevents);
		free(all);
	}
	free(counts);
	free(displs);
	return 0;
}

static void sum(void *buf, size_t n, int rank)
{
	const size_t chunk = 1 << 24;
	int64_t *p = buf;

	for (size_t off = 0; off < n; off += chunk) {
		int k = (int)(n - off < chunk ? n - off : chunk);

		MPI_Reduce(rank ? p + off : MPI_IN_PLACE, p + off, k, MPI_INT64_T, MPI_SUM, 0,
			   MPI_COMM_WORLD);
	}
}

int cp_mpi_merge(struct cp_results *res, int rank, int size)
{
	if (!active || size == 1)
		return 0;
	sum(res->draws, (size_t)res->trials * sizeof(*res->draws) / sizeof(int64_t), rank);
	sum(res->outcomes, (size_t)res->trials * res->npolicies * CP_OUTCOME_FIELDS, rank);
	return gather_events(res, rank, size);
}

double cp_mpi_max(double v)
{
	double out = v;

	if (active) {
		wait_for_all();
		MPI_Allreduce(&v, &out, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
	}
	return out;
}

void cp_mpi_finalize(void)
{
	if (active) {
		wait_for_all();
		MPI_Finalize();
	}
	active = false;
}
#else
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "memfail/self_exec.h"

/* Becomes memfail-mpi (same directory) under a launcher; returns if there is none. */
static void exec_mpi_build(void)
{
	char exe[PATH_MAX];
	const char *slash;

	if (mf_self_path(exe, sizeof(exe)))
		return;
	slash = strrchr(exe, '/');
	if (!slash || strcmp(slash + 1, "memfail"))
		return;
	if (mf_exec_sibling("memfail-mpi", exe, sizeof(exe)) && errno != ENOENT)
		fprintf(stderr, "memfail campaign: cannot run %s: %m; one rank\n", exe);
}

int cp_mpi_init(int *argc, char ***argv, int *rank, int *size)
{
	(void)argc;
	(void)argv;
	const char *n = getenv("OMPI_COMM_WORLD_SIZE");

	*rank = 0;
	*size = 1;
	if (under_launcher())
		exec_mpi_build();
	/* Several copies each running every trial would be a silently different answer. */
	if (n && atoi(n) > 1) {
		fprintf(stderr, "memfail campaign: started by mpirun with %s ranks, but this "
				"memfail has no MPI build next to it (memfail-mpi: install Open MPI "
				"and rebuild)\n", n);
		return -1;
	}
	return 0;
}

int cp_mpi_merge(struct cp_results *res, int rank, int size)
{
	(void)res;
	(void)rank;
	(void)size;
	return 0;
}

double cp_mpi_max(double v)
{
	return v;
}

void cp_mpi_finalize(void)
{
}
#endif
