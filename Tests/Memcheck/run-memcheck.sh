#!/usr/bin/env bash
# valgrind memcheck over every codec path: `kimi-media prepare` of the whole Fixtures/ folder
# (every image and video format, the converted formats, the quirks, the damaged files) and `probe`
# of it, on the release build with its debug info stripped (valgrind 3.19 cannot read the static
# binary's DWARF 5; the symbol table names the functions). Reports not in the reviewed suppression
# file (Tests/Memcheck/valgrind.supp) fail the run. Slow: ~10 minutes.
set -uo pipefail
cd "$(dirname "$0")/../.."
work=.build-memcheck
rm -rf "$work" && mkdir -p "$work"
strip --strip-debug -o "$work/kimi-media" "$(swift build -c release --static-swift-stdlib --show-bin-path)/kimi-media"
failed=0
for command in "probe Fixtures" "prepare --quiet --out $work/out Fixtures"; do
  name=${command%% *}
  valgrind --tool=memcheck --error-exitcode=99 --num-callers=30 --suppressions=Tests/Memcheck/valgrind.supp \
    --log-file="$work/$name.log" "$work/kimi-media" $command >"$work/$name.out" 2>&1
  rc=$?
  summary=$(grep -h "ERROR SUMMARY" "$work/$name.log" | sed 's/^==[0-9]*== //')
  echo "memcheck kimi-media $command: exit $rc; $summary"
  # Exit 1 is kimi-media's own "some inputs failed" (Fixtures/invalid): expected. 99 is valgrind's.
  if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then failed=1; grep -m1 -A30 -E "^==[0-9]+== [A-Z]" "$work/$name.log" | tail -31 >&2; fi
done
exit $failed
