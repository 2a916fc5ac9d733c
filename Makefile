# SPDX-License-Identifier: GPL-2.0-only
# memfail: plain GNU Make. `make` builds the two archives and build/memfail;
# `make check` runs every test; `make check SAN=1` does the same under ASan+UBSan.
# `make fuzz FUZZ_SECONDS=N` runs the libFuzzer targets (tests/fuzz/), `make
# coverage` the tests with --coverage and a per-folder line report.
# `make install PREFIX=DIR` installs the library, its header, the man page, the
# command and a pkg-config file.
#
# build/libmemfail.a    the model and its API (lib/ mm/ fs/ kernel/, memfail.h),
#                       and snapshot/ (live-machine snapshots, exposure)
# build/libmfscenario.a the scenario language: parser, driver, trace (scenario/)
#                       and the model back end (backend/), which reaches the
#                       model only through memfail.h. It holds no model code:
#                       the real-kernel runner links it alone (conformance.mk).
#                       It also carries lib/array.c, the allocation helpers.
# build/lto/            the same objects and archives compiled for link-time
#                       optimisation: the programs link these (LTO= turns it off;
#                       SAN, COV and FUZZ builds have none)
# build/pgo/            the same, instrumented: its program's run of the scenario
#                       catalogue writes build/pgo-data/, the profile build/lto/
#                       is compiled with (PGO=0 turns it off)

CC      ?= cc
SAN     ?= 0
O       := build
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Iinclude -MMD -MP
ifeq ($(FUZZ),1)
# clang's libFuzzer: the library is built with coverage hooks, the targets link it
O       := build-fuzz
CC      := clang
CFLAGS  ?= -O1 -g -fno-omit-frame-pointer
CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
else ifeq ($(COV),1)
O       := build-cov
CFLAGS  ?= -O0 -g
CFLAGS  += --coverage
LDFLAGS += --coverage
else ifeq ($(SAN),1)
O       := build-san
CFLAGS  ?= -O1 -g -fno-omit-frame-pointer
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
else
CFLAGS  ?= -O3 -g
# GCC's options (another compiler builds the programs from the plain objects)
GCC     := $(shell $(CC) -v 2>&1 | grep -q '^gcc version' && echo 1)
LTO     ?= $(if $(GCC),-flto=auto)
PGO     ?= $(if $(GCC),1,0)
endif
ALL_CFLAGS = $(CFLAGS_BASE) $(CFLAGS)

LIB_SRC := $(sort $(wildcard lib/*.c mm/*.c fs/*.c kernel/*.c snapshot/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(O)/%.o)
# the model allocates from its machine's arena (include/memfail/arena.h), in
# every build of its objects (plain, for LTO, instrumented: below)
$(foreach b,$(O) $(O)/lto $(O)/pgo/$(O)/lto,$(foreach d,lib mm fs kernel,$(b)/$(d)/%.o)): \
	ALL_CFLAGS += -include memfail/arena.h
# lib/array.c (allocation helpers, one out-of-memory policy) is in both archives:
# the language needs it without the model; a link takes the first copy it meets.
LANG_SRC := $(sort $(wildcard scenario/*.c backend/*.c) lib/array.c)
LANG_OBJ := $(LANG_SRC:%.c=$(O)/%.o)
# Fleet campaigns (campaign/): SQLite results (linked in: one library fewer to
# load at each start), cairo plots (loaded with dlopen, lib/cairo_dl.c), MPI
# when Open MPI is installed (MPI=0 builds without it; the command then runs on
# one rank). Open MPI is linked only into memfail-mpi, which memfail becomes
# when a launcher starts it (campaign/mpi.c): linked into memfail it and cairo
# cost every scenario process about 2 ms of start-up.
CAMP_SRC := $(sort $(wildcard campaign/*.c))
CAMP_OBJ := $(CAMP_SRC:%.c=$(O)/%.o)
CAMP_LIBS := -Wl,-Bstatic -lsqlite3 -Wl,-Bdynamic -lm
MPI ?= $(shell pkg-config --exists ompi-c 2>/dev/null && echo 1 || echo 0)
MPI_BIN := $(if $(filter 1,$(MPI)),$(O)/memfail-mpi)
LIBS := $(O)/libmfcampaign.a $(O)/libmfscenario.a $(O)/libmemfail.a
CLI_SRC := $(sort $(filter-out cli/cairo_exec.c,$(wildcard cli/*.c)))
CLI_OBJ := $(CLI_SRC:%.c=$(O)/%.o)
# build/memfail is static: a dynamic one spent about 0.2 ms of every start
# loading libc (conformance/run.sh starts one per scenario). A static program
# cannot load cairo, so it draws by running the command in build/memfail-dynamic,
# the same program linked dynamically (cli/cairo_exec.c). Not under the
# sanitizers or coverage, which need the dynamic loader: both are dynamic then.
STATIC  ?= $(if $(filter 1,$(SAN) $(COV) $(FUZZ)),0,1)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(O)/bench/%)
# The programs are optimised at link time (the model's hot paths call small
# functions of other files: page_zone, pt_lookup...), from objects and archives
# of their own in $(O)/lto. Tests, benches and the installed library keep the
# plain ones: an LTO archive would tie its users to this compiler's version.
P := $(if $(LTO),$(O)/lto,$(O))
PROG_LIBS := $(LIBS:$(O)/%=$(P)/%)
PROG_CLI := $(CLI_SRC:%.c=$(P)/%.o)
# With LTO, profile feedback too (PGO=0: without): the same objects are first
# compiled instrumented, that program runs the scenario catalogue under both
# kernel profiles, and what it counted ($(O)/pgo-data) guides the compile of
# $(O)/lto. Code the catalogue does not run keeps its usual optimisation
# (-fprofile-partial-training). The catalogue holds the files `make
# conformance` times: a program trained on half of them ran the other half as
# much faster as the half it saw (README, Performance). The instrumented
# objects are compiled in $(O)/pgo, which links to the sources, under the very
# names $(O)/lto's have: the profile names a static function by them.
ifneq ($(and $(LTO),$(filter 1,$(PGO))),)
PGO_DATA := $(abspath $(O)/pgo-data)
PGO_ROOT := $(O)/pgo
PGO_GEN = -fprofile-generate=$(PGO_DATA) -fprofile-prefix-path=$(abspath $(PGO_ROOT)/$(O)/lto) \
	-fprofile-update=single
PGO_USE = -fprofile-use=$(PGO_DATA) -fprofile-prefix-path=$(abspath $(O)/lto) -fprofile-partial-training \
	-Wno-missing-profile
PGO_STAMP := $(O)/pgo-data/.trained
PGO_OBJ = $(patsubst $(O)/%,$(PGO_ROOT)/$(O)/lto/%,$(1))
endif
JSON_LIBS := -ljson-c
# snapshot/: zstd compression, capture threads (cairo, for plots, is loaded with dlopen)
SNAP_LIBS := -lzstd -lpthread -ldl

.PHONY: all check unit scenarios demo bench clean deps install conformance conformance-dax \
	fuzz fuzz-run coverage conformance-exposure
all: $(LIBS) $(O)/memfail $(O)/memfail-dynamic $(MPI_BIN)

# Debian packages the build needs; installed when missing (root) or named (others).
# Every compile and link waits for them (order-only: `make -j2 demo` on a fresh
# machine must not compile before the headers are there).
DEPS := libcmocka-dev libjson-c-dev libzstd-dev libcairo2-dev pkg-config libsqlite3-dev \
	libopenmpi-dev openmpi-bin
deps:
	@./tools/need-packages $(DEPS)

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(O)/fuzz/%)
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(O)/replay/%)
FUZZ_SECONDS ?= 60

# Objects depend on the flags they were built with: a change to this Makefile
# (say a new -include) or to CFLAGS on the command line rebuilds them, never a
# mix of old and new objects.
FLAGS_STAMP := $(O)/.cflags
$(shell mkdir -p $(O) && echo '$(CFLAGS_BASE) $(CFLAGS) $(LTO) $(PGO)' | cmp -s - $(FLAGS_STAMP) || \
	echo '$(CFLAGS_BASE) $(CFLAGS) $(LTO) $(PGO)' > $(FLAGS_STAMP))

$(O)/%.o: %.c Makefile $(FLAGS_STAMP) | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/lto/%.o: %.c Makefile $(FLAGS_STAMP) $(PGO_STAMP) | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LTO) $(PGO_USE) -c -o $@ $<

ifneq ($(PGO_STAMP),)
$(PGO_ROOT)/.links:
	mkdir -p $(PGO_ROOT)
	for d in include lib mm fs kernel snapshot scenario backend campaign cli; do \
		ln -sfn $(CURDIR)/$$d $(PGO_ROOT)/$$d; done
	touch $@

$(PGO_ROOT)/$(O)/lto/%.o: %.c Makefile $(FLAGS_STAMP) $(PGO_ROOT)/.links | deps
	@mkdir -p $(dir $@)
	cd $(PGO_ROOT) && $(CC) $(ALL_CFLAGS) $(PGO_GEN) -MT $@ -c -o $(@:$(PGO_ROOT)/%=%) $<

$(PGO_ROOT)/memfail: $(call PGO_OBJ,$(CLI_OBJ)) $(LIBS:$(O)/%=$(PGO_ROOT)/%)
	$(CC) $(LDFLAGS) -fprofile-generate -o $@ $^ $(MEMFAIL_LIBS)

# The catalogue's exit status is its own (some scenarios expect an error): a
# training that wrote no profile fails the build.
$(PGO_STAMP): $(PGO_ROOT)/memfail $(wildcard tests/scenarios/*/*.mf)
	rm -rf $(PGO_DATA)
	-$(PGO_ROOT)/memfail run --quiet tests/scenarios/*/*.mf >/dev/null 2>&1
	-$(PGO_ROOT)/memfail run --quiet --kernel 6.12 tests/scenarios/*/*.mf >/dev/null 2>&1
	ls $(PGO_DATA)/*.gcda >/dev/null
	touch $@

$(PGO_ROOT)/libmemfail.a: $(call PGO_OBJ,$(LIB_OBJ))
$(PGO_ROOT)/libmfcampaign.a: $(call PGO_OBJ,$(CAMP_OBJ))
$(PGO_ROOT)/libmfscenario.a: $(call PGO_OBJ,$(LANG_OBJ))
endif

# (ar indexes LTO objects through the compiler's plugin, /usr/lib/bfd-plugins)
$(O)/libmemfail.a: $(LIB_OBJ)
$(O)/libmfcampaign.a: $(CAMP_OBJ)
$(O)/libmfscenario.a: $(LANG_OBJ)
$(O)/lto/libmemfail.a: $(LIB_OBJ:$(O)/%=$(O)/lto/%)
$(O)/lto/libmfcampaign.a: $(CAMP_OBJ:$(O)/%=$(O)/lto/%)
$(O)/lto/libmfscenario.a: $(LANG_OBJ:$(O)/%=$(O)/lto/%)
$(O)/%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# json-c and zstd linked in: fewer libraries to load at each start (one process per scenario)
MEMFAIL_LIBS = -Wl,-Bstatic $(JSON_LIBS) -lzstd -Wl,-Bdynamic $(filter-out -lzstd,$(SNAP_LIBS)) \
	$(CAMP_LIBS)
ifeq ($(STATIC),1)
# ld warns that SQLite's extension loader calls dlopen: memfail loads no extension
$(O)/memfail: $(PROG_CLI) $(P)/cli/cairo_exec.o $(PROG_LIBS)
	$(CC) -static $(LDFLAGS) $(LTO) -o $@ $^ $(JSON_LIBS) -lzstd -lsqlite3 -lm
else
$(O)/memfail: $(PROG_CLI) $(PROG_LIBS)
	$(CC) $(LDFLAGS) $(LTO) -o $@ $^ $(MEMFAIL_LIBS)
endif
$(O)/memfail-dynamic: $(PROG_CLI) $(PROG_LIBS)
	$(CC) $(LDFLAGS) $(LTO) -o $@ $^ $(MEMFAIL_LIBS)

# The same program with Open MPI: its cp_mpi_* come first, so the archive's stay out.
$(P)/campaign/mpi-ompi.o: campaign/mpi.c Makefile $(FLAGS_STAMP) $(PGO_STAMP) | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LTO) $(PGO_USE) -DHAVE_MPI $(shell pkg-config --cflags ompi-c) -c -o $@ $<

$(O)/memfail-mpi: $(PROG_CLI) $(P)/campaign/mpi-ompi.o $(PROG_LIBS)
	$(CC) $(LDFLAGS) $(LTO) -o $@ $^ $(MEMFAIL_LIBS) $(shell pkg-config --libs ompi-c)

$(O)/tests/%: tests/unit/%.c $(LIBS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS) -lcmocka $(JSON_LIBS) $(SNAP_LIBS) $(CAMP_LIBS)

$(O)/bench/%: bench/%.c $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS) $(JSON_LIBS) $(SNAP_LIBS) $(CAMP_LIBS)

# A fuzz target with a plain main(): `make check` replays tests/fuzz/regressions/.
$(O)/replay/%: tests/fuzz/%.c $(O)/tests/fuzz/replay.o $(LIBS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(O)/tests/fuzz/replay.o $(LIBS) \
		$(JSON_LIBS)

$(O)/fuzz/%: tests/fuzz/%.c $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(LIBS) $(JSON_LIBS)

.SECONDARY: $(O)/tests/fuzz/replay.o

# One closing line "N passed, N failed" over unit tests, scenarios, CLI tests
# (tests/cli/api-example.sh builds examples/api against an installed copy:
# MAKE, CC, SAN, COV and LDFLAGS go to it) and fuzz regressions.
$(O)/tests/jsonlines: tests/cli/jsonlines.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(JSON_LIBS)

check: deps all $(UNIT_BIN) $(REPLAY_BIN) $(O)/tests/jsonlines
	@O=$(O) REPLAY="$(REPLAY_BIN)" MAKE="$(MAKE)" CC="$(CC)" SAN=$(SAN) COV=$(COV) \
		LDFLAGS="$(LDFLAGS)" ./tests/run-all.sh $(UNIT_BIN)

# The library, the one public header, the man page, the command, memfail.pc.
PREFIX ?= /usr/local
install: all
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/memfail \
		$(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 $(O)/libmemfail.a $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/memfail/memfail.h $(DESTDIR)$(PREFIX)/include/memfail/
	install -m 755 $(O)/memfail $(O)/memfail-dynamic $(MPI_BIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 docs/memfail.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	sed 's|@PREFIX@|$(PREFIX)|' tools/memfail.pc.in >$(DESTDIR)$(PREFIX)/lib/pkgconfig/memfail.pc

# libFuzzer needs clang (Debian's), installed here and only for this target.
fuzz:
	@./tools/need-packages clang $(DEPS)
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-run

fuzz-run: $(FUZZ_BIN)
	@O=$(O) FUZZ_SECONDS=$(FUZZ_SECONDS) ./tests/fuzz/run.sh $(FUZZ_BIN)

# Line coverage of the test suite per folder; uncovered lines of mm/ fs/
# kernel/ in build-cov/coverage.txt (tests/coverage.sh).
# MPI=0: campaign/mpi.c compiled twice (with and without Open MPI) would give gcovr
# two records of one file that it cannot merge.
coverage:
	@./tools/need-packages gcovr $(DEPS)
	@rm -rf build-cov
	@$(MAKE) --no-print-directory COV=1 MPI=0 check >build-cov.log 2>&1 || \
		{ tail -n 30 build-cov.log; exit 1; }
	@mv build-cov.log build-cov/check.log
	@./tests/coverage.sh build-cov

demo: deps all
	$(O)/memfail run examples/*.mf

bench: deps all $(BENCH_BIN)
	@for b in $(BENCH_BIN); do $$b || exit 1; done
	@./bench/catalogue.sh $(O)/memfail
	@./bench/conformance-model.sh -n 3 -m $(O)/memfail
	@O=$(O) bench/campaign.sh

# memfail exposure's predictions against Debian's 6.1 (KERNEL=6.12: 6.12) in the conformance guest (docs/exposure.md)
conformance-exposure: deps all
	@$(CONFORMANCE_ENV) ./conformance/exposure-run.sh

clean:
	rm -rf build build-san build-fuzz build-cov

-include conformance/conformance.mk
-include $(LIB_OBJ:.o=.d) $(LANG_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(CAMP_OBJ:.o=.d) $(O)/cli/cairo_exec.d
-include $(patsubst $(O)/%.o,$(O)/lto/%.d,$(LIB_OBJ) $(LANG_OBJ) $(CLI_OBJ) $(CAMP_OBJ)) $(O)/lto/cli/cairo_exec.d
ifneq ($(PGO_STAMP),)
-include $(patsubst %.o,%.d,$(call PGO_OBJ,$(LIB_OBJ) $(LANG_OBJ) $(CLI_OBJ) $(CAMP_OBJ)))
endif
