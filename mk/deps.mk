# Installs what the build needs. As root it installs Debian packages itself; otherwise it
# prints the exact command and stops.
DEBIAN_PKGS := wabt gcc make python3 iproute2 util-linux procps curl netcat-openbsd
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: deps deps-debian deps-npm
deps: deps-debian deps-npm

# Shell text: installs the packages listed in the shell variable `missing` (as root), or
# prints the exact command and fails. Shared by every target that needs Debian tools.
APT_INSTALL_MISSING = if [ -n "$$missing" ]; then if [ "$$(id -u)" = 0 ]; then echo "installing Debian packages:$$missing"; $(APT_GET) update -qq && $(APT_GET) install -y -qq $$missing >/dev/null; else echo "missing Debian packages; run: sudo apt-get install -y$$missing"; exit 1; fi; fi

deps-debian:
	@missing=""; \
	for p in $(DEBIAN_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	$(APT_INSTALL_MISSING)

deps-npm: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@
