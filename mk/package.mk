# Installation and packages: make install / uninstall, make rpm, make deb (packaging/).
#
#   make install                      everything under /usr/local, config in /etc
#   make install PREFIX=/usr          as a distribution package would
#   make install DESTDIR=/tmp/stage   the same paths, below a staging directory
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
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/src-vipa
# the src-vipa CLI (Node): the files of the npm package, and a link in BINDIR
NODEDIR ?= $(PREFIX)/lib/src-vipa
# its bash completion (made by `src-vipa completion bash`, mk/node.mk)
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc

SHIM_LIB := $(BUILD)/src_vipa.so
SHIM_WRAPPER := shim/src_vipa.sh
MAN_PAGES := docs/src_vipa.8 docs/src-vipa.1
EXAMPLE_CONF := examples/src_vipa.conf
# the example policy tests (src-vipa test), installed with the documentation
POLICY_TEST_EXAMPLES := $(wildcard examples/policy-tests/*)
# what the CLI needs at run time (the same files as the npm package)
CLI_FILES := package.json dist build/engine.wasm

RPM_ARCH = $(shell rpm --eval '%{_arch}')
RPM_FILE = $(BUILD)/src_vipa-$(VERSION)-1.$(RPM_ARCH).rpm
DEB_ARCH = $(shell dpkg --print-architecture)
DEB_FILE = $(BUILD)/src-vipa_$(VERSION)-1_$(DEB_ARCH).deb

.PHONY: install install-files uninstall rpm deb deps-package test-package

install: all
	@$(MAKE) --no-print-directory install-files

# Copies what `all` built; builds nothing (the rpm spec calls it from rpmbuild).
install-files:
	@set -e; \
	for f in $(SHIM_LIB) $(SHIM_WRAPPER) $(MAN_PAGES) $(EXAMPLE_CONF); do \
	  [ -f "$$f" ] || { echo "install: $$f is missing; run make first" >&2; exit 1; }; \
	done
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(SHIM_LIB) $(DESTDIR)$(LIBDIR)/src_vipa.so
	sed -e 's|@LIBDIR@|$(LIBDIR)|g' $(SHIM_WRAPPER) > $(DESTDIR)$(SBINDIR)/src_vipa.sh
	chmod 0755 $(DESTDIR)$(SBINDIR)/src_vipa.sh
	install -m 0644 docs/src_vipa.8 $(DESTDIR)$(MANDIR)/man8/src_vipa.8
	install -m 0644 docs/src-vipa.1 $(DESTDIR)$(MANDIR)/man1/src-vipa.1
	install -m 0644 README.md $(EXAMPLE_CONF) docs/policy-tests.md $(DESTDIR)$(DOCDIR)/
	install -d $(DESTDIR)$(DOCDIR)/policy-tests
	install -m 0644 $(POLICY_TEST_EXAMPLES) $(DESTDIR)$(DOCDIR)/policy-tests/
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/src_vipa.conf ]; then \
	  echo "keeping the existing $(DESTDIR)$(SYSCONFDIR)/src_vipa.conf (example: $(DOCDIR)/src_vipa.conf)"; \
	else \
	  echo "install -m 0644 $(EXAMPLE_CONF) $(DESTDIR)$(SYSCONFDIR)/src_vipa.conf"; \
	  install -m 0644 $(EXAMPLE_CONF) $(DESTDIR)$(SYSCONFDIR)/src_vipa.conf; \
	fi
	@set -e; if [ -f dist/cli.js ] && [ -f build/engine.wasm ] && [ -f $(CLI_COMPLETION) ]; then \
	  echo "installing the src-vipa CLI in $(DESTDIR)$(NODEDIR)"; \
	  rm -rf $(DESTDIR)$(NODEDIR); install -d $(DESTDIR)$(NODEDIR) $(DESTDIR)$(BINDIR); \
	  cp -R --parents $(CLI_FILES) $(DESTDIR)$(NODEDIR)/; \
	  chmod 0755 $(DESTDIR)$(NODEDIR)/dist/cli.js; \
	  ln -sfn "$$(realpath -m --relative-to=$(BINDIR) $(NODEDIR)/dist/cli.js)" $(DESTDIR)$(BINDIR)/src-vipa; \
	  install -D -m 0644 $(CLI_COMPLETION) $(DESTDIR)$(BASHCOMPDIR)/src-vipa; \
	else \
	  echo "dist/cli.js not built: the src-vipa CLI is not installed"; \
	fi

# Removes what install-files put there. The configuration file goes only if it is still
# the unchanged example.
uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/src_vipa.so $(DESTDIR)$(SBINDIR)/src_vipa.sh \
	  $(DESTDIR)$(MANDIR)/man8/src_vipa.8 $(DESTDIR)$(MANDIR)/man1/src-vipa.1 \
	  $(DESTDIR)$(DOCDIR)/README.md $(DESTDIR)$(DOCDIR)/src_vipa.conf $(DESTDIR)$(DOCDIR)/policy-tests.md
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/policy-tests/,$(notdir $(POLICY_TEST_EXAMPLES)))
	rmdir $(DESTDIR)$(DOCDIR)/policy-tests $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	@if [ -L $(DESTDIR)$(BINDIR)/src-vipa ]; then rm -f $(DESTDIR)$(BINDIR)/src-vipa; fi
	rm -rf $(DESTDIR)$(NODEDIR)
	rm -f $(DESTDIR)$(BASHCOMPDIR)/src-vipa
	@if cmp -s $(EXAMPLE_CONF) $(DESTDIR)$(SYSCONFDIR)/src_vipa.conf; then \
	  rm -f $(DESTDIR)$(SYSCONFDIR)/src_vipa.conf; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/src_vipa.conf ]; then \
	  echo "keeping $(DESTDIR)$(SYSCONFDIR)/src_vipa.conf: it differs from the example"; \
	fi

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
  man:man-db unshare:util-linux $(DEMO_TOOLS)
.PHONY: deps-demo
deps-demo:
	$(call need_tools,$(DEMO_TOOLS))
deps-package:
	$(call need_tools,$(PACKAGE_TOOLS))

# src_vipa-VERSION-1.ARCH.rpm, built by rpmbuild from packaging/src_vipa.spec, whose
# %install runs `make install-files` from this checkout with the rpm directories.
rpm: all deps-package
	rm -rf $(BUILD)/rpmbuild
	rpmbuild -bb --quiet packaging/src_vipa.spec \
	  --define "_topdir $(abspath $(BUILD)/rpmbuild)" \
	  --define "srcdir $(CURDIR)" \
	  --define "version $(VERSION)"
	cp $(BUILD)/rpmbuild/RPMS/$(RPM_ARCH)/src_vipa-$(VERSION)-1.$(RPM_ARCH).rpm $(RPM_FILE)
	rm -rf $(BUILD)/rpmbuild
	@echo "built $(RPM_FILE)"

# src-vipa_VERSION-1_ARCH.deb (Debian package names cannot contain '_'), with dpkg-deb
# from a staged tree; /etc/src_vipa.conf is a conffile.
DEB_ROOT := $(BUILD)/deb
deb: all deps-package
	rm -rf $(DEB_ROOT)
	@$(MAKE) --no-print-directory install-files DESTDIR=$(abspath $(DEB_ROOT)) \
	  PREFIX=/usr LIBDIR=/usr/lib/$(MULTIARCH) SYSCONFDIR=/etc
	gzip -9n $(DEB_ROOT)/usr/share/man/man1/src-vipa.1 $(DEB_ROOT)/usr/share/man/man8/src_vipa.8
	install -D -m 0644 packaging/deb/copyright $(DEB_ROOT)/usr/share/doc/src-vipa/copyright
	install -d $(DEB_ROOT)/DEBIAN
	@# the newest glibc symbol version the library uses is the libc6 it needs
	sed -e 's|@VERSION@|$(VERSION)-1|' -e 's|@ARCH@|$(DEB_ARCH)|' \
	  -e "s|@SIZE@|$$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1)|" \
	  -e "s|@LIBC@|$$(objdump -T $(SHIM_LIB) | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)|" \
	  packaging/deb/control > $(DEB_ROOT)/DEBIAN/control
	echo /etc/src_vipa.conf > $(DEB_ROOT)/DEBIAN/conffiles
	cd $(DEB_ROOT) && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums
	dpkg-deb --root-owner-group -Zgzip --build $(DEB_ROOT) $(DEB_FILE)
	rm -rf $(DEB_ROOT)
	@echo "built $(DEB_FILE)"

TEST_TARGETS += test-package
test-package: all deps-package
	@MAKE="$(MAKE)" bash test/package/run.sh

# The npm package: packed from fresh sources, installed into a scratch project, used from
# ESM, CommonJS and TypeScript (test/npm/run.sh).
TEST_TARGETS += test-npm
test-npm: all deps-package
	bash test/npm/run.sh
