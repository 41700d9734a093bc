#!/usr/bin/env bash
# Runs each libFuzzer harness for FUZZ_SECONDS (default 60) on the binary `make fuzz` built in
# .build-fuzz, corpora seeded from Fixtures/ and the harnesses' built-in seeds, kept between runs in
# .build-fuzz/corpus/TARGET. Every crash, leak, out-of-memory or timeout lands in
# .build-fuzz/findings/TARGET/ and makes this script fail; reproduce one with
#   .build/debug/kimi-media-fuzz TARGET FILE      (or the fuzz binary with the file as its argument)
# Usage: Tests/Fuzz/run-fuzz.sh [TARGET…]   (default: probe image video manifest api)
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-60}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(probe image video manifest api)
bin=$(swift build -c release --scratch-path .build-fuzz --show-bin-path)/kimi-media-fuzz
replay=$(swift build --show-bin-path)/kimi-media-fuzz
[ -x "$bin" ] || { echo "no fuzz binary at $bin: run make fuzz" >&2; exit 2; }
failed=0
summary=()
for target in "${targets[@]}"; do
  corpus=.build-fuzz/corpus/$target findings=.build-fuzz/findings/$target
  mkdir -p "$corpus" "$findings"
  "$replay" seeds "$target" Fixtures "$corpus"   # the Fixtures/ folders and built-in seeds it names
  log=.build-fuzz/$target.log
  # 10 s an input (a hang is a finding), 2 GiB of memory, inputs up to 256 KiB (our fixtures'
  # size: the clips and photos are small), leaks reported (but the reviewed ones in lsan.supp).
  KIMI_MEDIA_FUZZ_TARGET=$target SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 \
    LSAN_OPTIONS=suppressions=Tests/Fuzz/lsan.supp:print_suppressions=0 \
    "$bin" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
    -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  found=$(find "$findings" -type f | wc -l)
  summary+=("$(printf '%-9s %6s s  %9s inputs  %-10s corpus %5s files  findings %s' "$target" "$seconds" "${runs:-?}" "${cov:-cov: ?}" "$(ls "$corpus" | wc -l)" "$found")")
  if [ $rc -ne 0 ] || [ "$found" -gt 0 ]; then
    failed=1
    echo "== $target: FAILED (exit $rc); the report:" >&2
    grep -A12 -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|==ERROR|deadly signal|Fatal error' "$log" >&2 || tail -20 "$log" >&2
    ls "$findings" >&2
  fi
done
printf '%s\n' "${summary[@]}"
exit $failed
