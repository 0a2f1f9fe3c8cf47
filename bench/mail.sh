#!/bin/bash
# make bench: a large mailbox, beside plain git reading the same blob.
#
#   bench/mail.sh [N...]      (default: 1000 10000)
#
# For each size N it builds a mailbox of N messages in bulk (gt mail send
# --stdin: one transaction, one commit), then prints the time of gt mail
# inbox (the requirement: 10k messages list in under 50 ms) beside git
# cat-file of the same snapshot blob and the bare process start-up of
# gt (gt whoami), the time of one more gt mail send to that mailbox and
# the size of the objects that send writes (the snapshot is rewritten
# at every send), and the time of gt mail archive of one message.
# Figures are medians over repeated runs on a warm cache.
set -e
export LC_ALL=C TZ=UTC GT_ACTOR=bench
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
export PATH="$top/bin:$PATH" GT_EXEC_PATH="$top/bin"
sizes=${*:-1000 10000}
work=$(mktemp -d "${TMPDIR:-/tmp}/gt-bench-mail.XXXXXX")
trap 'rm -rf "$work"' EXIT

. "$here/lib.sh"

row() { printf '  %-36s %10s   %-28s %10s\n' "$@"; }

# N messages of a realistic size (subject ~45 bytes, body ~110 bytes)
gen_messages() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"to\":\"mayor\",\"subject\":\"Status report %d about the login work\",\"body\":\"Finished step %d. Tests pass. Next: wire the retry logic into the client and re-run the suite.\",\"priority\":2}\n", i, i
	}'
}

for n in $sizes; do
	echo "== a mailbox of $n messages"
	rm -rf "$work/repo"
	git init -q "$work/repo"
	cd "$work/repo"
	gen_messages "$n" >"$work/msgs.jsonl"
	t0=$(now_ns)
	GT_ACTOR=gastown/polecats/nux gt mail send --stdin <"$work/msgs.jsonl" >"$work/ids"
	t1=$(now_ns)
	# half of them read
	head -n $((n / 2)) "$work/ids" | xargs gt mail mark-read --mailbox mayor
	ref=refs/gastown/mail/mayor
	size=$(git cat-file -s "$ref:mail.json")
	row "bulk delivery (one commit)" "$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.0f ms", d / 1e6 }')" \
		"snapshot blob" "$((size / 1024)) KiB"
	row "gt mail inbox" "$(median_ms 11 gt mail inbox mayor) ms" \
		"git cat-file blob (same blob)" "$(median_ms 11 git cat-file blob "$ref:mail.json") ms"
	row "gt mail inbox --unread" "$(median_ms 11 gt mail inbox --unread mayor) ms" \
		"gt whoami (start-up floor)" "$(median_ms 11 gt whoami) ms"
	lines=$(gt mail inbox mayor | wc -l)
	test "$lines" -eq "$n" || { echo "inbox listed $lines of $n" >&2; exit 1; }
	before=$(du -sk .git/objects | cut -f1)
	t=$(median_ms 5 gt mail send mayor -s "one more" -m "a body")
	after=$(du -sk .git/objects | cut -f1)
	row "gt mail send (to this mailbox)" "$t ms" \
		"objects written per send" "$(( (after - before) / 5 )) KiB"
	id=$(gt mail inbox mayor | sed -n 1p | cut -d' ' -f1)
	row "gt mail archive (one message)" "$(median_ms 1 gt mail archive --mailbox mayor "$id") ms" "" ""
	cd "$work"
done
