# Installation and packages (packaging/): what goes where is packaging/manifest.
#
#   make install                      everything under /usr/local, config in /etc
#   make install PREFIX=/usr          as a distribution package would
#   make install DESTDIR=/tmp/stage   the same paths, below a staging directory
#   make dist | srpm | rpm | deb      the release tarball and the packages (in build/)
#
# Every directory below can be overridden on the command line. LIBDIR follows the
# platform: Debian's multiarch directory when the compiler knows one, lib64 on systems
# that have /usr/lib64 (the rpm family), lib otherwise. The configuration stays in /etc
# whatever PREFIX is, because /etc/src_vipa.conf is where src_vipa.so looks by default.
PREFIX ?= /usr/local
MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null)
ifneq ($(MULTIARCH),)
LIBDIR ?= $(PREFIX)/lib/$(MULTIARCH)
else ifneq ($(wildcard /usr/lib64/.),)
LIBDIR ?= $(PREFIX)/lib64
else
LIBDIR ?= $(PREFIX)/lib
endif
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DOCDIR ?= $(PREFIX)/share/doc/src-vipa
LICENSEDIR ?= $(DOCDIR)
# the src-vipa CLI (Node): the files of the npm package, and a link in BINDIR
NODEDIR ?= $(PREFIX)/share/src-vipa
# the CLI's bash completion (made by `src-vipa completion bash`, mk/node.mk)
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc
# where `make install` notes the directories it created, for `make uninstall` to remove
# them once empty; empty for package builds (the package manager owns directories)
INSTALL_RECORD ?= $(DOCDIR)/installed-directories
# the interpreter named by the installed CLI: empty keeps `#!/usr/bin/env node`
NODE_SHEBANG ?=
# Who builds the packages: the last commit's author unless set (a distribution's
# packager sets their own). The package's name is src-vipa in both formats (Debian names
# cannot contain '_'); the rpm also provides src_vipa, the name of the 2.x rpm.
MAINTAINER ?= $(or $(RELEASE_MAINTAINER),$(shell git log -1 --format='%an <%ae>' 2>/dev/null))
PKG_NAME := src-vipa
PKG_RELEASE := 1
# the home page, when package.json names one (rpm URL, deb Homepage)
HOMEPAGE := $(shell sed -n 's/^  "homepage": "\(.*\)",$$/\1/p' package.json)

# What `make` compiles of what the packages install; the rest are files of the tree
# (packaging/manifest). The rpm's %build runs `make native` in the `make dist` tarball,
# which needs neither npm nor Node (build/engine.wasm and dist/ come built).
NATIVE_INSTALLED := $(BUILD)/src_vipa.so
# the parts of packaging/manifest that `make install` and both packages install
INSTALL_PARTS := main cli

RPM_ARCH = $(shell rpm --eval '%{_arch}')
RPM_FILE = $(BUILD)/$(PKG_NAME)-$(VERSION)-$(PKG_RELEASE).$(RPM_ARCH).rpm
SRPM_FILE = $(BUILD)/$(PKG_NAME)-$(VERSION)-$(PKG_RELEASE).src.rpm
DIST_FILE := $(BUILD)/$(PKG_NAME)-$(VERSION).tar.gz
DEB_ARCH = $(shell dpkg --print-architecture)
DEB_FILE = $(BUILD)/$(PKG_NAME)_$(VERSION)-$(PKG_RELEASE)_$(DEB_ARCH).deb
DEB_DBG_FILE = $(BUILD)/$(PKG_NAME)-dbgsym_$(VERSION)-$(PKG_RELEASE)_$(DEB_ARCH).deb

.PHONY: native install install-files uninstall dist srpm rpm deb deps-package test-package

native: $(NATIVE_INSTALLED)

install: all
	@$(MAKE) --no-print-directory install-files

# packaging/install.sh reads the directories from the environment
INSTALL_ENV = DESTDIR="$(DESTDIR)" LIBDIR="$(LIBDIR)" BINDIR="$(BINDIR)" MANDIR="$(MANDIR)" \
  DOCDIR="$(DOCDIR)" LICENSEDIR="$(LICENSEDIR)" NODEDIR="$(NODEDIR)" SYSCONFDIR="$(SYSCONFDIR)" \
  INCLUDEDIR="$(INCLUDEDIR)" PKGCONFIGDIR="$(PKGCONFIGDIR)" BASHCOMPDIR="$(BASHCOMPDIR)" \
  VERSION="$(VERSION)" \
  NODE="$(NODE_SHEBANG)" INSTALL_RECORD="$(INSTALL_RECORD)"

# Copies what `make` built; builds nothing (the rpm's %install and `make deb` call it).
install-files:
	@$(INSTALL_ENV) packaging/install.sh install $(INSTALL_PARTS)

# Removes what install-files put there, and the directories it created once empty. The
# configuration file goes only if it is still the unchanged example.
uninstall:
	@$(INSTALL_ENV) packaging/install.sh uninstall $(INSTALL_PARTS)

# rpm %files of the install: the spec's %install writes it with these directories
install-file-list:
	@$(INSTALL_ENV) packaging/install.sh files $(INSTALL_PARTS)

# Tools for packages, the package test and the demo. As root, missing ones are installed
# with apt-get (like mk/deps.mk); otherwise the exact command is printed.
# $(call need_tools,COMMAND:DEBIAN-PACKAGE ...)
define need_tools
	@missing=""; \
	for t in $(1); do \
	  command -v $${t%%:*} >/dev/null 2>&1 || missing="$$missing $${t#*:}"; \
	done; \
	$(APT_INSTALL_MISSING)
endef
DEMO_TOOLS := python3:python3 curl:curl nc:netcat-openbsd timeout:coreutils ipcs:util-linux
PACKAGE_TOOLS := rpmbuild:rpm rpm2cpio:rpm2cpio cpio:cpio dpkg-deb:dpkg objdump:binutils groff:groff-base \
  man:man-db unshare:util-linux strip:binutils file:file $(DEMO_TOOLS)
# checkers the package test runs when it can install them (it says so where it cannot)
LINT_TOOLS := lintian:lintian rpmlint:rpmlint systemd-analyze:systemd
.PHONY: deps-demo
deps-demo:
	$(call need_tools,$(DEMO_TOOLS))
deps-package:
	$(call need_tools,$(PACKAGE_TOOLS))
.PHONY: deps-lint
deps-lint:
	$(call need_tools,$(LINT_TOOLS))

# make dist: build/src-vipa-VERSION.tar.gz, the source of both packages. The tracked files
# of the work tree, plus what needs npm or Node to build (build/engine.wasm, dist/, the bash
# completion), the rpm spec
# (src-vipa.spec, so `rpmbuild -ta` works too) and mk/release.mk (the commit's date and
# the packager). Reproducible: sorted, owned by root, every time the commit's.
DIST_DIR = $(BUILD)/dist/$(PKG_NAME)-$(VERSION)
TAR_REPRO := --sort=name --mtime=@$(SOURCE_DATE_EPOCH) --owner=0 --group=0 --numeric-owner \
  --mode=go-w --format=gnu
dist: $(BUILD)/engine.wasm dist/cli.js $(CLI_COMPLETION)
	rm -rf $(BUILD)/dist && mkdir -p $(DIST_DIR)
	git ls-files -z | xargs -0 cp --parents -t $(DIST_DIR)
	cp --parents -R $(BUILD)/engine.wasm dist $(CLI_COMPLETION) $(DIST_DIR)
	printf '%s\n' '# written by make dist: this tree is a release tarball' \
	  'RELEASE_DATE := $(SOURCE_DATE_EPOCH)' 'RELEASE_MAINTAINER := $(MAINTAINER)' \
	  > $(DIST_DIR)/mk/release.mk
	$(call make_spec,$(DIST_DIR)/$(PKG_NAME).spec)
	tar -C $(BUILD)/dist $(TAR_REPRO) -cf - $(PKG_NAME)-$(VERSION) | gzip -9n > $(DIST_FILE)
	rm -rf $(BUILD)/dist
	@echo "built $(DIST_FILE)"

# $(call make_spec,FILE): packaging/src-vipa.spec.in with the version, home page and the
# %changelog made from CHANGELOG.md
define make_spec
	{ sed -e 's|@VERSION@|$(VERSION)|' -e 's|@RELEASE@|$(PKG_RELEASE)|' \
	    -e '$(if $(HOMEPAGE),s|@HOMEPAGE@|$(HOMEPAGE)|,/@HOMEPAGE@/d)' packaging/src-vipa.spec.in; \
	  packaging/changelog.sh rpm "$(MAINTAINER)" $(PKG_RELEASE); } > $(1)
endef

# The source rpm from the dist tarball, then the binary rpm from the source rpm
# (rpmbuild --rebuild: %prep, %build, %install as a build service would run them). The
# build dependencies are not checked (--nodeps): on a Debian host the rpm database is
# empty. Build time, host and file times come from SOURCE_DATE_EPOCH (reproducible).
# brp-compress through bash: Debian runs it with dash, which cannot run it (its `read -d`)
# and so leaves the man pages uncompressed.
RPMBUILD = rpmbuild --quiet --nodeps --define "_topdir $(abspath $(BUILD)/rpmbuild)" \
  --define "use_source_date_epoch_as_buildtime 1" --define "clamp_mtime_to_source_date_epoch 1" \
  --define "_buildhost reproducible" \
  --define "__brp_compress bash /usr/lib/rpm/brp-compress" --define "packager $(MAINTAINER)"
srpm: dist deps-package
	rm -rf $(BUILD)/rpmbuild && mkdir -p $(BUILD)/rpmbuild/SOURCES
	cp $(DIST_FILE) $(BUILD)/rpmbuild/SOURCES/
	tar -xzf $(DIST_FILE) -O $(PKG_NAME)-$(VERSION)/$(PKG_NAME).spec > $(BUILD)/rpmbuild/$(PKG_NAME).spec
	@# the source rpm records its files' times: the commit's
	touch -d @$(SOURCE_DATE_EPOCH) $(BUILD)/rpmbuild/$(PKG_NAME).spec $(BUILD)/rpmbuild/SOURCES/*
	$(RPMBUILD) -bs $(BUILD)/rpmbuild/$(PKG_NAME).spec
	cp $(BUILD)/rpmbuild/SRPMS/$(notdir $(SRPM_FILE)) $(SRPM_FILE)
	rm -rf $(BUILD)/rpmbuild
	@echo "built $(SRPM_FILE)"

rpm: srpm
	rm -rf $(BUILD)/rpmbuild
	$(RPMBUILD) --rebuild $(SRPM_FILE)
	cp $(BUILD)/rpmbuild/RPMS/$(RPM_ARCH)/$(notdir $(RPM_FILE)) $(RPM_FILE)
	rm -rf $(BUILD)/rpmbuild
	@echo "built $(RPM_FILE)"

# The deb: `make install-files` into a staged tree as Debian lays it out, the library
# stripped with its debug information in src-vipa-dbgsym (as debhelper would make it),
# man pages and changelogs compressed, /etc/src_vipa.conf a conffile. Built by dpkg-deb
# from packaging/deb/ (control, copyright, lintian overrides); file times are
# SOURCE_DATE_EPOCH (dpkg-deb clamps to it), so two builds of a commit are identical.
DEB_ROOT := $(BUILD)/deb
DEB_DBG_ROOT := $(BUILD)/deb-dbgsym
DEB_DOC := /usr/share/doc/$(PKG_NAME)
# $(call deb_control,PACKAGE-ROOT,TEMPLATE): DEBIAN/control and DEBIAN/md5sums
define deb_control
	sed -e 's|@VERSION@|$(VERSION)-$(PKG_RELEASE)|' -e 's|@ARCH@|$(DEB_ARCH)|' \
	  -e 's|@MAINTAINER@|$(MAINTAINER)|' \
	  -e "s|@SIZE@|$$(du -sk --apparent-size --exclude=DEBIAN $(1) | cut -f1)|" \
	  -e "s|@LIBC@|$$(objdump -T $(NATIVE_INSTALLED) | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)|" \
	  -e "s|@BUILD_IDS@|$$(cat $(BUILD)/deb-build-ids)|" \
	  -e '$(if $(HOMEPAGE),s|@HOMEPAGE@|$(HOMEPAGE)|,/@HOMEPAGE@/d)' $(2) > $(1)/DEBIAN/control
	cd $(1) && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum > DEBIAN/md5sums
endef
DPKG_DEB := dpkg-deb --root-owner-group -Zxz --build
deb: all deps-package
	rm -rf $(DEB_ROOT) $(DEB_DBG_ROOT)
	@$(MAKE) --no-print-directory install-files DESTDIR=$(abspath $(DEB_ROOT)) PREFIX=/usr \
	  LIBDIR=/usr/lib/$(MULTIARCH) SYSCONFDIR=/etc DOCDIR=$(DEB_DOC) LICENSEDIR=$(DEB_DOC) \
	  NODE_SHEBANG=/usr/bin/node INSTALL_RECORD= >/dev/null
	@# every ELF file stripped, its debug information apart by build ID (as dh_strip does)
	packaging/deb-strip.sh $(DEB_ROOT) $(DEB_DBG_ROOT) > $(BUILD)/deb-build-ids
	find $(DEB_ROOT)/usr/share/man -type f -exec gzip -9n {} +
	gzip -9n < CHANGELOG.md > $(DEB_ROOT)$(DEB_DOC)/changelog.gz
	rm $(DEB_ROOT)$(DEB_DOC)/CHANGELOG.md $(DEB_ROOT)$(DEB_DOC)/LICENSE
	packaging/changelog.sh deb "$(MAINTAINER)" $(PKG_RELEASE) | gzip -9n > $(DEB_ROOT)$(DEB_DOC)/changelog.Debian.gz
	install -m 0644 packaging/deb/copyright $(DEB_ROOT)$(DEB_DOC)/copyright
	install -D -m 0644 packaging/deb/lintian-overrides $(DEB_ROOT)/usr/share/lintian/overrides/$(PKG_NAME)
	install -d $(DEB_ROOT)/DEBIAN $(DEB_DBG_ROOT)/DEBIAN $(DEB_DBG_ROOT)/usr/share/doc
	ln -s $(PKG_NAME) $(DEB_DBG_ROOT)/usr/share/doc/$(PKG_NAME)-dbgsym
	echo /etc/src_vipa.conf > $(DEB_ROOT)/DEBIAN/conffiles
	@# a library in a library directory: the dynamic loader's cache is refreshed
	echo "activate-noawait ldconfig" > $(DEB_ROOT)/DEBIAN/triggers
	$(call deb_control,$(DEB_ROOT),packaging/deb/control)
	$(call deb_control,$(DEB_DBG_ROOT),packaging/deb/control-dbgsym)
	$(DPKG_DEB) $(DEB_ROOT) $(DEB_FILE) >/dev/null
	$(DPKG_DEB) $(DEB_DBG_ROOT) $(DEB_DBG_FILE) >/dev/null
	rm -rf $(DEB_ROOT) $(DEB_DBG_ROOT) $(BUILD)/deb-build-ids
	@echo "built $(DEB_FILE) and $(DEB_DBG_FILE)"

TEST_TARGETS += test-package
test-package: all deps-package
	@$(MAKE) --no-print-directory deps-lint || echo "# the lint tools could not be installed: the package test skips them"
	@MAKE="$(MAKE)" bash test/package/run.sh

# the npm package as a user installs it: every export from ESM, CommonJS and TypeScript,
# and connections through agent/dispatcher/connect (test/npm/run.sh)
TEST_TARGETS += test-npm
test-npm: all deps-package
	bash test/npm/run.sh
