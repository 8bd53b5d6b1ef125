# Makefile: builds filmseg and its tests, installs the Debian packages they
# need (make deps; make build-deps for the program alone; the other targets
# install what they miss by themselves), downloads the real panel (make data),
# fuzzes and benchmarks.
#
#   make            build ./filmseg
#   make test       unit tests (cmocka), golden and command-line tests, then
#                   the same suite built again with -fsanitize=address,undefined
#   make run        open filmseg on the built-in demo panel
#   make data       download MovieLens 100K and a US ZIP list into ./data
#   make fuzz       run every libFuzzer target FUZZ_SECONDS seconds (default 60)
#   make bench      speed and memory against the Python peers (tests/bench)
#   make install    PREFIX=/usr/local
#   make lint       clang-format check and cppcheck
#
# Variables a packager may set (on the command line or in the environment):
#   CPPFLAGS, CFLAGS, LDFLAGS  added after the project's own flags (so a -O2
#                   there overrides the default -O3)
#   ARCH_FLAGS      the CPU the build may assume, default -march=x86-64-v3
#                   (AVX2 and FMA, Haswell and later); ARCH_FLAGS=-march=x86-64
#                   or ARCH_FLAGS= builds for every x86-64. Either way the
#                   AVX-512 and AVX paths are picked at run time, but such a
#                   build's results differ in the last bits from the default's
#                   (no fused multiply-adds in the sparse layers: src/ml/simd.h)
#   PREFIX, DESTDIR where make install puts the program and its man page

PREFIX      ?= /usr/local
ARCH_FLAGS  ?= -march=x86-64-v3
ifeq ($(origin CC),default)
CC := gcc
endif
SHARED      ?= ../shared
FUZZ_SECONDS ?= 60
VERSION     := 0.1.0

PKGS        := ncursesw libpcre2-8
# The Debian packages building filmseg needs, and those its tests need besides
# (with make fuzz's clang and make data's curl and unzip): make and make
# install on a machine with the libraries install nothing.
BUILD_PACKAGES := build-essential pkg-config libncurses-dev libcsv-dev libpcre2-dev
TEST_PACKAGES := libcmocka-dev tmux clang libclang-rt-14-dev curl unzip \
                 ca-certificates locales strace
DEB_PACKAGES := $(BUILD_PACKAGES) $(TEST_PACKAGES)
# libopenblas0-pthread: without it Debian's torch and numpy fall back on the
# reference BLAS (libblas3), and the peer's matrix products run ten times
# slower (a 10x100x1682 product: 592 us against 52 us on one machine): the
# speed-ups would flatter filmseg.
BENCH_PACKAGES := python3-pandas python3-sklearn python3-torch libopenblas0-pthread time hyperfine

# What is missing, by name: for the build, the compiler and libraries
# (libcsv has no pkg-config file: look for its header, the # written by
# printf, as make would read it as a comment in some versions); for make test
# and make fuzz, cmocka and the test tools too (the tmux tests build a de_DE
# locale from the locales package's sources, to see numbers stay C's under a
# decimal comma, and the command-line tests hold a rename with strace, to send
# a signal meanwhile).
MISSING_BUILD := $(shell command -v $(firstword $(CC)) >/dev/null || echo $(firstword $(CC)); \
                   command -v pkg-config >/dev/null || echo pkg-config; \
                   for p in $(PKGS); do pkg-config --exists $$p 2>/dev/null || echo $$p; done; \
                   printf '\043include <csv.h>\n' | $(CC) -E -x c - >/dev/null 2>&1 || echo 'libcsv (csv.h)')
ifneq ($(filter test fuzz,$(MAKECMDGOALS)),)
MISSING_TEST := $(shell pkg-config --exists cmocka 2>/dev/null || echo cmocka; \
                  for t in tmux strace $(if $(filter fuzz,$(MAKECMDGOALS)),clang); do \
                      command -v $$t >/dev/null || echo $$t; done; \
                  [ -f /usr/share/i18n/locales/de_DE ] || echo 'the de_DE locale (locales)')
endif
MISSING := $(strip $(MISSING_BUILD) $(MISSING_TEST))

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build-deps bench-deps test unit-tests run install data fuzz bench \
        scale demo lint clean asan-suite

ifneq ($(MISSING),)
ifeq ($(FILMSEG_DEPS_TRIED),)
# A fresh machine: install the packages (all of them when the tests' are
# missing), then do what was asked, in a make told not to install again.
all test run install fuzz bench filmseg:
	$(MAKE) $(if $(MISSING_TEST),deps,build-deps)
	$(MAKE) FILMSEG_DEPS_TRIED=1 $@
else
# The packages were installed and something is still missing: say what,
# rather than install again and again.
all test run install fuzz bench filmseg:
	@echo "make $@: still missing after installing the packages: $(MISSING)" >&2
	@echo "(the packages installed: $(if $(MISSING_TEST),$(DEB_PACKAGES),$(BUILD_PACKAGES)))" >&2
	@exit 1
endif
else

WARN     := -Wall -Wextra -Werror
CFLAGS_COMMON := -std=c11 $(ARCH_FLAGS) -D_GNU_SOURCE -DFILMSEG_VERSION='"$(VERSION)"' -g $(WARN) -Iinclude \
                 -MMD -MP $(shell pkg-config --cflags $(PKGS))
# cmocka's flags only for the tests' own files, and looked up only when one
# is built (=, not :=): the program builds where cmocka is not installed
CMOCKA_CFLAGS :=
build/rel/tests/unit/%.o build/asan/tests/unit/%.o: CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka)
# The user's CPPFLAGS, CFLAGS and LDFLAGS (a packager's hardening flags) come
# after the project's own, so that theirs win where the two differ (a -O2
# overrides the -O3 below).
USER_CFLAGS := $(CPPFLAGS) $(CFLAGS)
LIBS     := $(shell pkg-config --libs ncursesw libpcre2-8) -lcsv -lm -lpthread
TEST_LIBS = $(shell pkg-config --libs cmocka) $(LIBS)

# -O3 vectorises the k-means bound and centroid loops: the same labels and
# inertias as -O2 (no fast-math), the sweep's fits about 15% faster.
# -fno-math-errno lets sqrt be one instruction (nothing reads errno after
# maths): the same results, the sweep about 3% faster.
REL_CFLAGS  := $(CFLAGS_COMMON) -O3 -fno-math-errno
ASAN_CFLAGS := $(CFLAGS_COMMON) -O1 -fno-omit-frame-pointer \
               -fsanitize=address,undefined -fno-sanitize-recover=undefined

LIB_SRC  := $(filter-out src/cli/main.c $(EXCLUDE_SRC),$(shell find src -name '*.c' | sort))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_NAMES := $(notdir $(TEST_SRC:.c=))
ASSETS   := $(shell find assets -type f | sort)

REL_OBJ  := $(patsubst %.c,build/rel/%.o,$(LIB_SRC))
ASAN_OBJ := $(patsubst %.c,build/asan/%.o,$(LIB_SRC))

# The flags each variant was last built with, in build/VARIANT/flags,
# written again (so newer than every object) when they change: a second
# build with other ARCH_FLAGS, CFLAGS or LDFLAGS makes everything again.
define remember_flags
ifneq ($$(strip $(2)),$$(strip $$(file <build/$(1)/flags)))
$$(shell mkdir -p build/$(1))
$$(file >build/$(1)/flags,$$(strip $(2)))
endif
endef
$(eval $(call remember_flags,rel,$(REL_CFLAGS) $(USER_CFLAGS) $(LDFLAGS)))
$(eval $(call remember_flags,asan,$(ASAN_CFLAGS) $(USER_CFLAGS) $(LDFLAGS)))

all: filmseg

filmseg: build/rel/filmseg
	cp $< $@

build/rel/filmseg: build/rel/src/cli/main.o build/rel/libfilmseg.a build/rel/flags
	$(CC) $(REL_CFLAGS) $(USER_CFLAGS) $(LDFLAGS) -o $@ $(filter-out %/flags,$^) $(LIBS)

build/asan/filmseg: build/asan/src/cli/main.o build/asan/libfilmseg.a build/asan/flags
	$(CC) $(ASAN_CFLAGS) $(USER_CFLAGS) $(LDFLAGS) -o $@ $(filter-out %/flags,$^) $(LIBS)

build/rel/libfilmseg.a: $(REL_OBJ)
	rm -f $@
	ar rcs $@ $^

build/asan/libfilmseg.a: $(ASAN_OBJ)
	rm -f $@
	ar rcs $@ $^

build/rel/%.o: %.c build/rel/flags
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) $(CMOCKA_CFLAGS) $(USER_CFLAGS) -c $< -o $@

build/asan/%.o: %.c build/asan/flags
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) $(CMOCKA_CFLAGS) $(USER_CFLAGS) -c $< -o $@

# The assets are built into the binary with .incbin.
build/rel/src/data/assets.o build/asan/src/data/assets.o: $(ASSETS)

build/rel/tests/%: build/rel/tests/unit/%.o build/rel/libfilmseg.a build/rel/flags
	$(CC) $(REL_CFLAGS) $(USER_CFLAGS) $(LDFLAGS) -o $@ $(filter-out %/flags,$^) $(TEST_LIBS)

build/asan/tests/%: build/asan/tests/unit/%.o build/asan/libfilmseg.a build/asan/flags
	$(CC) $(ASAN_CFLAGS) $(USER_CFLAGS) $(LDFLAGS) -o $@ $(filter-out %/flags,$^) $(TEST_LIBS)

.SECONDARY:

# unit tests, golden tests and command-line tests of one build variant
define run_suite
	@echo "== $(1): unit tests"
	@set -e; for t in $(TEST_NAMES); do \
	    echo "-- $$t"; SHARED=$(SHARED) build/$(1)/tests/$$t; done
	@echo "== $(1): golden tests"
	SHARED=$(SHARED) tests/golden/run build/$(1)/filmseg
	@echo "== $(1): command-line tests"
	SHARED=$(SHARED) tests/cli/run build/$(1)/filmseg
	@if [ -x tests/tui/run ]; then echo "== $(1): terminal UI tests (tmux)"; \
	    SHARED=$(SHARED) tests/tui/run build/$(1)/filmseg; fi
endef

test: filmseg $(addprefix build/rel/tests/,$(TEST_NAMES)) build/asan/filmseg \
      $(addprefix build/asan/tests/,$(TEST_NAMES))
	$(call run_suite,rel)
	ASAN_OPTIONS=detect_leaks=1 $(MAKE) --no-print-directory asan-suite

asan-suite:
	$(call run_suite,asan)

run: filmseg
	./filmseg

install: filmseg
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 filmseg $(DESTDIR)$(PREFIX)/bin/filmseg
	install -m 644 man/filmseg.1 $(DESTDIR)$(PREFIX)/share/man/man1/filmseg.1

# ---- fuzzing: one libFuzzer target per parser (tests/fuzz/targets.c) ----
FUZZ_TARGETS := ml100k ml1m mlcsv zips model score
FUZZ_CFLAGS := -std=c11 $(ARCH_FLAGS) -D_GNU_SOURCE -g -O1 -Iinclude -fsanitize=fuzzer,address,undefined \
               $(shell pkg-config --cflags libpcre2-8)
# inputs up to 8 KiB; a model's payload (the seed is a small model) up to 64 KiB
FUZZ_MAX_LEN = $(if $(filter model,$(1)),65536,8192)

build/fuzz/fuzz_%: tests/fuzz/targets.c tests/fuzz/entry.c $(LIB_SRC) $(ASSETS)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -DFUZZ_TARGET=fuzz_$* -o $@ tests/fuzz/entry.c tests/fuzz/targets.c \
	    $(LIB_SRC) $(LIBS)

fuzz: $(addprefix build/fuzz/fuzz_,$(FUZZ_TARGETS))
	@set -e; $(foreach t,$(FUZZ_TARGETS), \
	    mkdir -p build/fuzz/corpus/$(t) tests/fuzz/regressions; \
	    echo "== fuzzing $(t) for $(FUZZ_SECONDS)s"; \
	    build/fuzz/fuzz_$(t) -max_total_time=$(FUZZ_SECONDS) -max_len=$(call FUZZ_MAX_LEN,$(t)) \
	        -artifact_prefix=tests/fuzz/regressions/$(t)- \
	        build/fuzz/corpus/$(t) tests/fuzz/seeds/$(t);)

# ---- benchmarks ----
bench: filmseg
	@{ /usr/bin/python3 -c 'import pandas, sklearn, torch' && command -v hyperfine && \
	   ls /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3; } \
	    >/dev/null 2>&1 || $(MAKE) bench-deps
	SHARED=$(SHARED) tests/bench/run ./filmseg

# generated 1M- and 10M-rating panels: time, memory, scaling (long)
scale: filmseg
	SHARED=$(SHARED) tests/bench/scale ./filmseg

# ---- the built-in demo panel (assets/demo), regenerated from its seed ----
DEMO_SYNTH := --users 300 --films 200 --ratings 12000 --segments 4 --seed 2024
demo: build/rel/filmseg
	rm -rf build/demo && build/rel/filmseg synth $(DEMO_SYNTH) --out build/demo
	cp build/demo/u.user build/demo/u.item build/demo/u.data build/demo/u.genre assets/demo/

-include $(shell find build -name '*.d' 2>/dev/null)
endif

# (env: sudo drops DEBIAN_FRONTEND from the environment it is given)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends

deps:
	$(SUDO) apt-get update
	$(APT_INSTALL) $(DEB_PACKAGES)

build-deps:
	$(SUDO) apt-get update
	$(APT_INSTALL) $(BUILD_PACKAGES)

bench-deps:
	$(APT_INSTALL) $(BENCH_PACKAGES)

# ---- the real panel, downloaded for the user (never committed) ----
ML100K_URL := https://files.grouplens.org/datasets/movielens/ml-100k.zip
ZIPS_URL   := https://simplemaps.com/static/data/us-zips/1.78/basic/simplemaps_uszips_basicv1.78.zip
define DATA_SUMS
f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c  data/ml-100k/u.user
553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701  data/ml-100k/u.item
06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490  data/ml-100k/u.data
97e31d0a8183715803dcb9829f7fd68d5eec9bbf5855a186e4f4bc8f1daeb45b  data/uszips.csv
endef
export DATA_SUMS

data:
	@mkdir -p data
	@if echo "$$DATA_SUMS" | sha256sum -c --status - 2>/dev/null; then \
	    echo "make data: data/ holds MovieLens 100K and the ZIP list, as tested (SHA-256 sums match)"; \
	    exit 0; fi; \
	if ! curl -fsSL --connect-timeout 15 -o data/ml-100k.zip $(ML100K_URL) || \
	    ! curl -fsSL --connect-timeout 15 -o data/uszips.zip $(ZIPS_URL); then \
	    echo "make data: cannot download the panel (no network?)." >&2; \
	    echo "Put the files there by hand:" >&2; \
	    echo "  $(ML100K_URL) unzipped as data/ml-100k/ (u.user, u.item, u.data, ...)" >&2; \
	    echo "  $(ZIPS_URL) -> data/uszips.csv" >&2; \
	    echo "then make data again checks them, and ./filmseg report --data data/ml-100k --zips data/uszips.csv reads them" >&2; \
	    exit 1; fi; \
	(cd data && unzip -oq ml-100k.zip && unzip -oq uszips.zip uszips.csv && rm -f ml-100k.zip uszips.zip) && \
	echo "$$DATA_SUMS" | sha256sum -c - || { \
	    echo "make data: checksums differ from the files filmseg was tested with" >&2; exit 1; }

lint:
	clang-format --dry-run --Werror $$(find src include tests -name '*.[ch]')
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability -Iinclude \
	    --suppress=missingIncludeSystem src

clean:
	rm -rf build filmseg
