# gastown — build, test, install, demo, bench.
#
#   make            build lib/libgastown.a and every program in bin/
#   make deps       install the Debian packages the build and the tests need
#   make test       run the whole suite through prove
#   make sanitize   the suite under AddressSanitizer + UndefinedBehaviorSanitizer
#                   (both take T='t0800-*.sh ...' to run some scripts only)
#   make demo       the scripted tour of README.md
#   make bench      benchmarks (not tests) with their figures (installs fossil)
#   make torture    the random three-clone sync test at large counts, many seeds
#   make install PREFIX=...

PREFIX ?= /usr/local
CC ?= cc
PKGS = libgit2 libcjson inih zlib libdeflate
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Ilib $(PKG_CFLAGS) \
	-DGT_VERSION='"$(VERSION)"' -DGT_SOURCE_DOC_DIR='"$(CURDIR)/Documentation"' \
	-DGT_SOURCE_TEMPLATE_DIR='"$(CURDIR)/templates"' \
	-DGT_INSTALL_TEMPLATE_DIR='"$(PREFIX)/share/gastown/templates"' $(CFLAGS)
# --as-needed: a program loads only the libraries it uses (bin/gt uses none)
# mbedcrypto (SHA-1 for the packs lib/bulk.c writes; libgit2 itself is
# built on it, so it adds no package) has no pkg-config file
LDLIBS = -Wl,--as-needed $(PKG_LIBS) -lmbedcrypto -lpthread

# BUILD holds objects; BINDIR the programs; UNITDIR the unit test programs.
# The sanitizer build uses its own three so it never disturbs the normal one.
BUILD ?= build
BINDIR ?= bin
UNITDIR ?= t/unit
LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:lib/%.c=$(BUILD)/lib/%.o)
PROG_SRC := $(wildcard bin/gt-*.c)
PROG_NAMES := gt $(notdir $(PROG_SRC:%.c=%))
PROGS := $(addprefix $(BINDIR)/,$(PROG_NAMES))
UNIT_SRC := $(wildcard t/unit/*.c)
UNITS := $(UNIT_SRC:t/unit/%.c=$(UNITDIR)/%)
LIBA = $(BUILD)/libgastown.a

all: $(LIBA) $(PROGS) $(BINDIR)/git-gt $(UNITS) lib/libgastown.a

# the library at the path the layout promises
lib/libgastown.a: build/libgastown.a
	cp $< $@

$(BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/bin/%.o: bin/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/t/unit/%.o: t/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BINDIR)/%: $(BUILD)/bin/%.o $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBA) $(LDLIBS)

$(UNITDIR)/%: $(BUILD)/t/unit/%.o $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBA) $(LDLIBS)

$(BINDIR)/git-gt: $(BINDIR)/gt
	ln -sf gt $@

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/t/unit/*.d)

# Debian packages: the three libraries (and zlib and mbedTLS, which
# libgit2-dev brings: lib/bulk.c writes packs with them, and libdeflate,
# which compresses those packs three times faster than zlib), the test harness (prove), tools
# the tests drive (git, jq for normalised JSON comparison, python3 for
# contrib/formula-toml2ini.py) and the man page formatter.
DEBS = build-essential pkg-config libgit2-dev libcjson-dev libinih-dev zlib1g-dev libmbedtls-dev \
	libdeflate-dev \
	git perl jq python3 asciidoctor man-db tmux
deps:
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if test -n "$$missing"; then \
		echo "installing:" $$missing; \
		SUDO=; test "$$(id -u)" = 0 || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

PROVE ?= prove
PROVE_FLAGS ?= -j2
# T selects scripts: make test T='t0800-*.sh t0810-*.sh'
T ?= t[0-9]*.sh
test: all
	cd t && $(PROVE) $(PROVE_FLAGS) $(T)

# The random sync test (t0820: three clones and a bare remote, random
# operations, syncs in random orders) at large counts, once per seed;
# make test runs it small, with one seed. Each run is 40 rounds of 15
# operations per clone, one to two minutes (all eight: 12 minutes on two cores).
TORTURE_SEEDS ?= 1 2 3 4 5 6 7 8
TORTURE_ROUNDS ?= 40
TORTURE_OPS ?= 15
# What the script's commands print goes to t/torture.log; a failure
# shows its end and keeps the clones (t/trash.t0820-sync-random).
torture: all
	@cd t && for seed in $(TORTURE_SEEDS); do \
		echo "# t0820 with seed $$seed: $(TORTURE_ROUNDS) rounds of $(TORTURE_OPS) operations"; \
		GT_RANDOM_SEED=$$seed GT_RANDOM_ROUNDS=$(TORTURE_ROUNDS) GT_RANDOM_OPS=$(TORTURE_OPS) \
			$(PROVE) t0820-sync-random.sh :: -v -i -d 2>torture.log || { \
			tail -n 40 torture.log; \
			echo "seed $$seed failed: whole log in t/torture.log, clones in t/trash.t0820-sync-random"; \
			exit 1; }; \
	done; rm -f torture.log

SAN = build-san
sanitize:
	$(MAKE) BUILD=$(SAN) BINDIR=$(SAN)/bin UNITDIR=$(SAN)/unit \
		CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined' \
		$(SAN)/libgastown.a $(addprefix $(SAN)/bin/,$(PROG_NAMES)) $(SAN)/bin/git-gt \
		$(UNIT_SRC:t/unit/%.c=$(SAN)/unit/%)
	cd t && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/t/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99 \
	GT_TEST_SANITIZE=1 GT_TEST_BIN=$(CURDIR)/$(SAN)/bin GT_TEST_UNIT=$(CURDIR)/$(SAN)/unit \
		$(PROVE) $(PROVE_FLAGS) $(T)

demo: all
	./contrib/demo.sh

# the benchmarks' own tools (not needed to build or test): Fossil, the
# system bench/sync.sh compares gt sync with
BENCH_DEBS = fossil
bench-deps:
	@missing=$$(for p in $(BENCH_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if test -n "$$missing"; then \
		echo "installing:" $$missing; \
		SUDO=; test "$$(id -u)" = 0 || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

bench: all bench-deps
	./bench/run.sh
	./bench/sync.sh
	./bench/mail.sh
	./bench/receive.sh

MANPAGES = $(patsubst Documentation/%.txt,Documentation/%.1,$(wildcard Documentation/gt*.txt))
MANPAGES7 = $(patsubst Documentation/%.txt,Documentation/%.7,$(wildcard Documentation/gastown*.txt))
doc: $(MANPAGES) $(MANPAGES7)
Documentation/%.1: Documentation/%.txt
	asciidoctor -b manpage -o $@ $<
Documentation/%.7: Documentation/%.txt
	asciidoctor -b manpage -o $@ $<

install: all doc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/gastown \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man7 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/gastown/hooks \
		$(DESTDIR)$(PREFIX)/share/gastown/templates/roles \
		$(DESTDIR)$(PREFIX)/share/gastown/contrib/agents $(DESTDIR)$(PREFIX)/share/gastown/contrib/tmux
	# the runtime launcher finds the scripted agent beside it, as in the source tree
	install -m 755 contrib/agents/scripted-agent $(DESTDIR)$(PREFIX)/share/gastown/contrib/agents/
	install -m 755 contrib/tmux/gt-tmux $(DESTDIR)$(PREFIX)/share/gastown/contrib/tmux/
	install -m 644 templates/roles/*.md $(DESTDIR)$(PREFIX)/share/gastown/templates/roles/
	install -m 755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	ln -sf gt $(DESTDIR)$(PREFIX)/bin/git-gt
	install -m 644 $(MANPAGES) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(MANPAGES7) $(DESTDIR)$(PREFIX)/share/man/man7/
	install -m 644 contrib/completion/gt.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/gt
	for h in hooks/*; do case "$$h" in *.md) continue ;; esac; \
		install -m 755 "$$h" $(DESTDIR)$(PREFIX)/share/gastown/hooks/ || exit 1; done

clean:
	rm -f $(PROGS) bin/git-gt $(UNITS) lib/libgastown.a
	rm -rf build build-san Documentation/*.1 Documentation/*.7 t/trash.*

.PHONY: all deps test sanitize torture demo bench bench-deps doc install clean
.SECONDARY:
