# ics2hubspot — plain Makefile (git/redis style).
#   make                 build ./ics2hubspot
#   make test            every suite, then again under ASan+UBSan
#   make demo            import samples/ into the local sandbox and show what was created
#   make conformance HUBSPOT_SPECS=DIR   the sandbox and Prism against HubSpot's official specs
#   make distcheck       export HEAD (git archive) alone into a temp dir; make demo + make test there
#   make bench           benchmarks (figures, not pass/fail)
#   make SANITIZE=address,undefined   sanitizer build
#   make install PREFIX=/usr/local DESTDIR=   binary, presets, man page, completions, systemd user units
#   make deb             build/deb/ics2hubspot_VERSION_ARCH.deb (PREFIX=/usr, Depends from dpkg-shlibdeps)

PKGS      = libical libcurl libcjson yaml-0.1 sqlite3 icu-i18n libpcre2-8
DEB_PKGS  = libical-dev libcurl4-openssl-dev libcjson-dev libyaml-dev libsqlite3-dev libicu-dev \
            libpcre2-dev pkg-config
DEMO_DEBS = python3 python3-jsonschema curl
# systemd: systemd-analyze verify of the units; man-db: their Documentation=man:; moreutils: ts
# (the cron recipe); dpkg-dev: make deb (dpkg-shlibdeps)
TEST_DEBS = $(DEMO_DEBS) python3-recurring-ical-events time sqlite3 bsdutils systemd man-db \
            moreutils $(DEB_TOOLS)
DEB_TOOLS = dpkg-dev
PREFIX   ?= /usr/local
BINDIR    = $(PREFIX)/bin
DATADIR   = $(PREFIX)/share/ics2hubspot
MANDIR    = $(PREFIX)/share/man/man1
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  = $(PREFIX)/share/zsh/site-functions
DOCDIR      = $(PREFIX)/share/doc/ics2hubspot
# systemd user units: where `systemctl --user` finds them for this PREFIX (/usr/lib/systemd/user,
# /usr/local/lib/systemd/user; else PREFIX/share/systemd/user, e.g. ~/.local/share/systemd/user)
USERUNITDIR ?= $(if $(filter /usr /usr/local,$(PREFIX)),$(PREFIX)/lib/systemd/user,$(PREFIX)/share/systemd/user)
USER_UNITS  = ics2hubspot-sync.service ics2hubspot-sync.timer

CC       ?= cc
CFLAGS   ?= -O2 -g
WARN      = -Wall -Wextra -Wshadow -Wcast-qual -Wformat=2 -Wstrict-prototypes \
            -Wmissing-prototypes -Wold-style-definition -Wwrite-strings -Wpointer-arith -Wvla \
            -Wundef -Wimplicit-fallthrough -fno-common
ifeq ($(DEVELOPER),1)
WARN     += -Werror
endif

# Quiet by default (make V=1 shows the commands).
ifeq ($(V),1)
Q =
else
Q = @
endif

BUILD    ?= build/default
ifneq ($(SANITIZE),)
BUILD     = build/sanitize
SAN_FLAGS = -fsanitize=$(SANITIZE) -fno-sanitize-recover=$(SANITIZE) -fno-omit-frame-pointer
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS  = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -pedantic $(WARN) $(CFLAGS) \
              $(SAN_FLAGS) $(PKG_CFLAGS) -Iimporter -I$(BUILD) -DDATADIR='"$(DATADIR)"'
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS)
LIBS        = $(PKG_LIBS) -lm

SRCS      := $(wildcard importer/*.c)
OBJS      := $(patsubst importer/%.c,$(BUILD)/%.o,$(SRCS))
LIB_OBJS  := $(filter-out $(BUILD)/main.o,$(OBJS))
UNIT_SRCS := $(wildcard tests/unit/t-*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
GEN_HDRS  := $(BUILD)/default_mapping.h $(BUILD)/winzones.h
# Fuzz targets (tests/fuzz/fuzz_*.c): replayed over their seeds and past crash inputs by
# `make test` (built with $(CC)), fuzzed with clang's libFuzzer by `make fuzz`.
FUZZ_TARGETS ?= ics mapping template hubspot feed
REPLAY_BINS := $(patsubst %,$(BUILD)/tests/fuzz-%,$(FUZZ_TARGETS))

ifeq ($(SANITIZE),)
BIN = ics2hubspot
else
BIN = $(BUILD)/ics2hubspot
endif

.PHONY: all deps test demo-deps test-deps prism-deps unit e2e test-one-build demo conformance distcheck bench \
        install deb deb-deps clean format check-format fuzz fuzz-deps FORCE
.DELETE_ON_ERROR:

all: deps $(BIN)

# Install the Debian -dev packages when one is missing (as root), else say how
# (tests/apt-ensure.sh: it waits for another apt-get or dpkg to finish, up to 600 s).
deps:
	@if ! pkg-config --exists $(PKGS) 2>/dev/null; then \
		tests/apt-ensure.sh "build dependencies" $(DEB_PKGS) || exit 1; \
		pkg-config --exists $(PKGS) || { echo "missing libraries: $(DEB_PKGS)" >&2; exit 1; }; \
	fi

$(BIN): $(OBJS)
	@echo "  LINK $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(OBJS) $(LIBS)

ifeq ($(SANITIZE),)
# make deb links its own binary (PREFIX=/usr) without touching ./ics2hubspot
$(BUILD)/ics2hubspot: $(OBJS)
	@echo "  LINK $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(OBJS) $(LIBS)
endif

# The presets' directory is compiled in: `make install PREFIX=...` after `make` rebuilds.
$(BUILD)/datadir.stamp: FORCE | $(BUILD)
	@echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' >$@

$(BUILD)/%.o: importer/%.c importer/*.h $(GEN_HDRS) $(BUILD)/datadir.stamp | $(BUILD)
	@echo "  CC   $@"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD):
	@mkdir -p $(BUILD)/tests

# The default mapping is compiled in, so the binary works without mappings/ installed.
$(BUILD)/default_mapping.h: mappings/default.yaml | $(BUILD)
	@{ echo '/* generated from mappings/default.yaml */'; \
	   echo 'static const char default_mapping_yaml[] ='; \
	   sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	   echo ';'; } > $@

# Outlook display-name time zones (CLDR windowsZones.xml, see importer/winzones.tsv).
$(BUILD)/winzones.h: importer/winzones.tsv | $(BUILD)
	@{ echo '/* generated from importer/winzones.tsv */'; \
	   grep -v '^#' $< | awk -F'\t' 'NF==3 { gsub(/"/, "\\\"", $$1); printf "{\"%s\", \"%s\", \"%s\"},\n", $$1, $$2, $$3 }'; } > $@

$(BUILD)/tests/t-%: tests/unit/t-%.c tests/unit/test.h $(LIB_OBJS) | $(BUILD)
	@echo "  TEST $@"
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(LIB_OBJS) $(ALL_LDFLAGS) $(LIBS)

# A fuzz target with replay.c's main(): every seed and past crash input once, no mutation.
$(BUILD)/tests/fuzz-%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz_common.c \
		tests/fuzz/fuzz.h $(LIB_OBJS) | $(BUILD)
	@echo "  FUZZ $@ (replay)"
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/fuzz -DFUZZ_TARGET='"$*"' -o $@ tests/fuzz/fuzz_$*.c \
		tests/fuzz/replay.c tests/fuzz/fuzz_common.c $(LIB_OBJS) $(ALL_LDFLAGS) $(LIBS)

# ---- tests -------------------------------------------------------------------------------
# The sandbox's and the tests' Debian packages (as root), else the exact apt-get line.
demo-deps: deps
	@tests/apt-ensure.sh "demo dependencies" $(DEMO_DEBS)

test-deps: deps
	@tests/apt-ensure.sh "test dependencies" $(TEST_DEBS)

# Prism (npm) for the contract test of make conformance.
prism-deps:
	@tests/contract/setup.sh

# One pass over every suite with the current build flags.
test-one-build: all $(UNIT_BINS) $(REPLAY_BINS)
	@BUILD=$(BUILD) BIN=$(abspath $(BIN)) tests/run-all.sh $(UNIT_BINS) $(REPLAY_BINS)

test: test-deps
	$(MAKE) --no-print-directory DEVELOPER=1 test-one-build
	$(MAKE) --no-print-directory DEVELOPER=1 SANITIZE=address,undefined test-one-build

unit: all $(UNIT_BINS) $(REPLAY_BINS)
	@for t in $(UNIT_BINS) $(REPLAY_BINS); do $$t || exit 1; done

e2e: all
	@BIN=$(abspath $(BIN)) tests/e2e/run.sh

demo: demo-deps all
	@tests/demo.sh

# HubSpot's official OpenAPI specs are not redistributable, so they are not in the tree: name a
# copy with HUBSPOT_SPECS=DIR (see docs/building.md). Never searched for.
conformance:
	@if [ -z "$(HUBSPOT_SPECS)" ]; then \
		echo "make conformance needs HUBSPOT_SPECS=DIR (HubSpot's official OpenAPI specs; see docs/building.md)" >&2; exit 2; fi
	@if [ ! -f "$(HUBSPOT_SPECS)/meetings-2026-09.json" ]; then \
		echo "make conformance: $(HUBSPOT_SPECS)/meetings-2026-09.json not found (HUBSPOT_SPECS=$(HUBSPOT_SPECS); the specs of HubSpot's current date version 2026-09)" >&2; exit 2; fi
	@$(MAKE) --no-print-directory test-deps prism-deps all
	@BIN=$(abspath $(BIN)) HUBSPOT_SPECS=$(abspath $(HUBSPOT_SPECS)) tests/conformance/run.sh

# A clone stands alone: export HEAD, make demo + make test there (docs/building.md).
distcheck:
	@tests/distcheck.sh

# ---- fuzzing (tests/fuzz/README.md) -------------------------------------------------------
#   make fuzz FUZZ_SECONDS=600 [FUZZ_TARGETS=ics]   each target that long, in turn
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_DEBS     = clang libclang-rt-dev
FUZZ_DIR      = build/fuzz
FUZZ_CFLAGS   = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 $(PKG_CFLAGS) \
                -Iimporter -I$(BUILD) -Itests/fuzz -DDATADIR='"$(DATADIR)"' -fno-omit-frame-pointer \
                -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_OBJS    := $(patsubst importer/%.c,$(FUZZ_DIR)/%.o,$(filter-out importer/main.c,$(SRCS))) \
                $(FUZZ_DIR)/fuzz_common.o

# clang with libFuzzer (Debian: clang, libclang-rt-dev), installed as root like the other deps.
fuzz-deps:
	@if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { (void)d; (void)n; return 0; }' | \
		$(FUZZ_CC) -x c -fsanitize=fuzzer -o /dev/null - >/dev/null 2>&1; then \
		tests/apt-ensure.sh "fuzzing dependencies (libFuzzer)" $(FUZZ_DEBS) || exit 1; \
	fi

$(FUZZ_DIR)/%.o: importer/%.c importer/*.h $(GEN_HDRS)
	@mkdir -p $(FUZZ_DIR)
	@echo "  FCC  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/%.o: tests/fuzz/%.c tests/fuzz/fuzz.h importer/*.h $(GEN_HDRS)
	@mkdir -p $(FUZZ_DIR)
	@echo "  FCC  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/fuzz-%: $(FUZZ_DIR)/fuzz_%.o $(FUZZ_OBJS)
	@echo "  FLD  $@"
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)

# Each target in turn; a crash stops with the input to add under tests/fuzz/crashes/TARGET/.
fuzz: deps fuzz-deps
	$(Q)$(MAKE) --no-print-directory $(GEN_HDRS) $(patsubst %,$(FUZZ_DIR)/fuzz-%,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_DIR)/corpus-$$t $(FUZZ_DIR)/artifacts; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		ASAN_OPTIONS=detect_leaks=1 $(FUZZ_DIR)/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) \
			-timeout=10 -rss_limit_mb=2048 -max_len=65536 -close_fd_mask=3 \
			-print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/artifacts/$$t- \
			$(FUZZ_DIR)/corpus-$$t tests/fuzz/seeds/$$t || { \
			echo "fuzz: $$t failed: add the input from $(FUZZ_DIR)/artifacts/ to tests/fuzz/crashes/$$t/" >&2; \
			exit 1; }; \
	done

bench: all
	@bench/run.sh

# The binary installed (make deb installs its own build).
INSTALL_BIN ?= $(BIN)

install: deps $(INSTALL_BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/mappings $(DESTDIR)$(MANDIR) \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(USERUNITDIR) $(DESTDIR)$(DOCDIR)
	install -m 755 $(INSTALL_BIN) $(DESTDIR)$(BINDIR)/ics2hubspot
	install -m 644 mappings/*.yaml $(DESTDIR)$(DATADIR)/mappings/
	install -m 644 docs/ics2hubspot.1 $(DESTDIR)$(MANDIR)/ics2hubspot.1
	install -m 644 completions/ics2hubspot.bash $(DESTDIR)$(BASHCOMPDIR)/ics2hubspot
	install -m 644 completions/_ics2hubspot $(DESTDIR)$(ZSHCOMPDIR)/_ics2hubspot
	sed 's|@BINDIR@|$(BINDIR)|g' packaging/systemd/ics2hubspot-sync.service.in \
		>$(DESTDIR)$(USERUNITDIR)/ics2hubspot-sync.service
	chmod 644 $(DESTDIR)$(USERUNITDIR)/ics2hubspot-sync.service
	install -m 644 packaging/systemd/ics2hubspot-sync.timer $(DESTDIR)$(USERUNITDIR)/
	install -d $(DESTDIR)$(DOCDIR)/docs
	install -m 644 README.md docs/scheduling.md $(DESTDIR)$(DOCDIR)/
	install -m 644 docs/*.md $(DESTDIR)$(DOCDIR)/docs/  # the README's links resolve there

# ---- Debian package ------------------------------------------------------------------------
# build/deb/ics2hubspot_VERSION_ARCH.deb: `make install PREFIX=/usr` into a staging root
# (build/deb/debian/ics2hubspot), Depends computed by dpkg-shlibdeps from the libraries the
# binary links (their shlibs/symbols files: the lowest versions that work), dpkg-deb --build.
DEB_DIR     = build/deb
DEB_ROOT    = $(DEB_DIR)/debian/ics2hubspot
DEB_VERSION = $(shell sed -n 's/^\#define PROGRAM_VERSION "\(.*\)"/\1/p' importer/util.h)
DEB_ARCH    = $(shell dpkg --print-architecture)
DEB_FILE    = $(DEB_DIR)/ics2hubspot_$(DEB_VERSION)_$(DEB_ARCH).deb

deb-deps: deps
	@command -v dpkg-shlibdeps >/dev/null 2>&1 || tests/apt-ensure.sh "packaging tools" $(DEB_TOOLS)

deb: deb-deps
	$(Q)$(MAKE) --no-print-directory BUILD=$(DEB_DIR) PREFIX=/usr $(DEB_DIR)/ics2hubspot
	$(Q)rm -rf $(DEB_ROOT) $(DEB_FILE)
	$(Q)$(MAKE) --no-print-directory -s BUILD=$(DEB_DIR) PREFIX=/usr INSTALL_BIN=$(DEB_DIR)/ics2hubspot \
		DESTDIR=$(abspath $(DEB_ROOT)) install >/dev/null
	$(Q)strip --remove-section=.comment --remove-section=.note --strip-unneeded \
		$(DEB_ROOT)/usr/bin/ics2hubspot
	$(Q)gzip -9n $(DEB_ROOT)/usr/share/man/man1/ics2hubspot.1
	$(Q)mkdir -p $(DEB_ROOT)/DEBIAN
	$(Q)printf 'Source: ics2hubspot\n\nPackage: ics2hubspot\nArchitecture: any\n' >$(DEB_DIR)/debian/control
	$(Q)cd $(DEB_DIR) && dpkg-shlibdeps -O debian/ics2hubspot/usr/bin/ics2hubspot >shlibs.txt
	$(Q)depends=$$(sed -n 's/^shlibs:Depends=//p' $(DEB_DIR)/shlibs.txt) && \
		[ -n "$$depends" ] && \
		sed -e 's|@VERSION@|$(DEB_VERSION)|' -e 's|@ARCH@|$(DEB_ARCH)|' \
		    -e "s|@SIZE@|$$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1)|" \
		    -e "s|@DEPENDS@|$$depends|" packaging/debian/control.in >$(DEB_ROOT)/DEBIAN/control
	$(Q)dpkg-deb --root-owner-group -Zxz --build $(DEB_ROOT) $(DEB_FILE) >/dev/null
	@echo "  DEB  $(DEB_FILE)"

clean:
	rm -rf build ics2hubspot tests/tmp

format:
	clang-format -i importer/*.c importer/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c tests/fuzz/*.h

check-format:
	clang-format --dry-run -Werror importer/*.c importer/*.h tests/unit/*.c tests/unit/*.h \
		tests/fuzz/*.c tests/fuzz/*.h
