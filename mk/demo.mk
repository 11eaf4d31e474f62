# `make demo`: builds everything, then demo/run.sh shows each policy at work on the
# loopback interface (a recording server on 127.0.0.1-5, VIPAs 127.0.0.11-13, curl, nc
# and python3 through shim/src_vipa.sh). No network namespace, nothing left behind.
.PHONY: demo
demo: all deps-demo
	@bash demo/run.sh
