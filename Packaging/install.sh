#!/bin/sh
# Installs kimi-media's files under DESTROOT/PREFIX: the one file layout that `make install` and
# `make deb` (with PREFIX=/usr) share.
#
#   Packaging/install.sh BINARY MANDIR COMPLETIONSDIR DESTROOT PREFIX [--gzip-man]
#
# BINARY       the release build of kimi-media
# MANDIR       the generated man pages (kimi-media.1 and one page per subcommand: `make man`)
# COMPLETIONSDIR  kimi-media.bash, _kimi-media and kimi-media.fish (`make completions`)
# --gzip-man   compress the pages (gzip -9n, as Debian policy asks; man reads either)
#
# PREFIX/bin/kimi-media, PREFIX/share/man/man1/kimi-media*.1, and the completions where each shell
# looks for them without configuration: bash-completion's completions/ (loaded on demand, by the
# command's name), zsh's site-functions (in the default $fpath, the file named after the #compdef
# function) and fish's vendor_completions.d.
set -eu
[ $# -ge 5 ] || { echo "usage: $0 BINARY MANDIR COMPLETIONSDIR DESTROOT PREFIX [--gzip-man]" >&2; exit 2; }
binary=$1 mandir=$2 completions=$3 root=$4 prefix=$5 gzip_man=${6:-}

for f in "$binary" "$completions/kimi-media.bash" "$completions/_kimi-media" "$completions/kimi-media.fish"; do
  [ -s "$f" ] || { echo "install.sh: $f is missing or empty" >&2; exit 1; }
done
set -- "$mandir"/*.1
[ -e "$1" ] || { echo "install.sh: no man pages in $mandir" >&2; exit 1; }

base=$root$prefix
install -d "$base/bin" "$base/share/man/man1" "$base/share/bash-completion/completions" \
  "$base/share/zsh/site-functions" "$base/share/fish/vendor_completions.d"
install -m 0755 "$binary" "$base/bin/kimi-media"
for page in "$@"; do
  install -m 0644 "$page" "$base/share/man/man1/"
  [ "$gzip_man" != --gzip-man ] || gzip -9nf "$base/share/man/man1/$(basename "$page")"
done
install -m 0644 "$completions/kimi-media.bash" "$base/share/bash-completion/completions/kimi-media"
install -m 0644 "$completions/_kimi-media" "$base/share/zsh/site-functions/_kimi-media"
install -m 0644 "$completions/kimi-media.fish" "$base/share/fish/vendor_completions.d/kimi-media.fish"
echo "installed kimi-media $("$base/bin/kimi-media" --version 2>/dev/null || echo '(not runnable here)') under $base"
