#!/bin/bash
# make bench: gt sync beside plain git (one ref per bead) and Fossil tickets.
#
#   bench/sync.sh [N...]      (default: 10000 100000)
#
# For each ledger size N it prints, as medians on a warm cache:
#   - the first sync into an empty clone, beside git fetching N refs into
#     an empty repository and fossil cloning a repository of N tickets;
#   - a sync after 110 beads changed on each side (A pushes, B merges
#     and pushes, A fetches B's), beside plain git doing the same with
#     110 of its N refs and fossil syncing 110 ticket changes each way;
#     the same 110 beads each round, then (gt only) new ones each round,
#     changed for the first time since the import;
#   - gt only: the same exchange with 11 and with 1,100 beads changed on
#     each side, so that growth with the change shows beside growth with
#     the ledger;
#   - a sync with nothing to do, beside a no-op git fetch + push and a
#     no-op fossil sync;
#   - the bytes on the wire for each (both directions added up).
# Then the design's targets with the figures measured against them.
#
# Remotes: git (for gt and plain git) uses a bare repository by path,
# git's local transport (an upload-pack/receive-pack process over pipes).
# After the first publish each gets what a served repository's first
# gc gives it: packed refs and a commit-graph.
# Fossil uses `fossil server --localhost` over HTTP on 127.0.0.1, since a
# fossil clone of a file path copies the database instead of syncing.
# No other network is used.
#
# Environment: BENCH_FOSSIL_MAX (default 100000) skips Fossil above that
# size; BENCH_ROUNDS (default 5) timed rounds of the 110-change exchange.
set -e
export LC_ALL=C TZ=UTC GT_ACTOR=bench USER=bench
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
export PATH="$top/bin:$PATH" GT_EXEC_PATH="$top/bin"
sizes=${*:-10000 100000}
fossil_max=${BENCH_FOSSIL_MAX:-100000}
rounds=${BENCH_ROUNDS:-5}
changes=110
b_first=$((changes * 2 + 1)) # clone B changes the 110 beads from here on
work=$(mktemp -d "${TMPDIR:-/tmp}/gt-bench-sync.XXXXXX")
log="$work/log"
fossil_pid=
cleanup() {
	test -z "$fossil_pid" || kill "$fossil_pid" 2>/dev/null || :
	rm -rf "$work"
}
trap cleanup EXIT

. "$here/lib.sh" # now_ns (median_ms is redefined below)

# run <command...>: run it quietly; on failure show what it said and fail
run() {
	: >"$log.last"
	if ! "$@" >"$log.last" 2>&1; then
		cat "$log.last" >>"$log"
		{ echo "FAILED: $*"; tail -n 20 "$log.last"; } >&2
		return 1
	fi
	cat "$log.last" >>"$log"
}

# cpu_us: user+sys CPU of this shell's finished children so far, in us.
# bash's times must run in this shell (a $(...) subshell has no children
# yet), so it writes to a file that awk then reads.
cpu_us() {
	times >"$work/times.$BASHPID"
	awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); n += a[1] * 60 + a[2] }
		printf "%d\n", n * 1000000 }' "$work/times.$BASHPID"
}

# us <command...>: wall time of one run, in microseconds; with CPU_LOG
# set, its user+sys CPU (every process it ran) is appended there
us() {
	local t0 t1 me=$BASHPID
	cpu_us >"$work/cpu0.$me"; t0=$(now_ns); run "$@" || return; t1=$(now_ns)
	cpu_us >"$work/cpu1.$me"
	test -z "$CPU_LOG" ||
		echo $(( $(cat "$work/cpu1.$me") - $(cat "$work/cpu0.$me") )) >>"$CPU_LOG"
	rm -f "$work/cpu0.$me" "$work/cpu1.$me" "$work/times.$me"
	echo $(( (t1 - t0) / 1000 ))
}

# cpu_ms <file>: the median of the CPU times logged there, in ms
cpu_ms() { test -s "$1" && median_ms $(cat "$1") || echo -; }

# median_ms <us...>: the median of some timings in ms (the lower middle
# one of an even count); "-" for none
median_ms() {
	test $# -gt 0 || { echo -; return; }
	printf '%s\n' "$@" | sort -n |
		awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1000 }'
}

# repeat_ms <runs> <command...>: median wall time of runs runs, in ms
repeat_ms() {
	local runs=$1 i x t=(); shift
	for i in $(seq "$runs"); do x=$(us "$@") || { echo FAILED; return; }; t+=("$x"); done
	median_ms "${t[@]}"
}

row() { printf '  %-40s %12s   %-34s %12s\n' "$@"; }

# Wire bytes of git's local transport: remote.<name>.uploadpack and
# .receivepack point at this wrapper, which runs the real server side and
# appends "bytes-from-client bytes-to-client" to its log.
cat >"$work/wire" <<'EOF'
#!/bin/bash
log=$1; shift
i=$(mktemp) o=$(mktemp)
tee "$i" | "$@" | tee "$o"
echo "$(stat -c %s "$i") $(stat -c %s "$o")" >>"$log"
rm -f "$i" "$o"
EOF
chmod +x "$work/wire"

# wire_on <repo>: count the bytes to and from its origin from now on
wire_on() {
	: >"$work/wire.log"
	git -C "$1" config remote.origin.uploadpack "$work/wire $work/wire.log git-upload-pack"
	git -C "$1" config remote.origin.receivepack "$work/wire $work/wire.log git-receive-pack"
}
wire_off() {
	git -C "$1" config --unset remote.origin.uploadpack
	git -C "$1" config --unset remote.origin.receivepack
}
# wire_kib: bytes counted since wire_on, both ways, in KiB
wire_kib() { awk '{ s += $1 + $2 } END { printf "%.1f", s / 1024 }' "$work/wire.log"; }
# wired <repo> <command...>: run it with the bytes counted, print the KiB
wired() {
	local repo=$1; shift
	wire_on "$repo"; run "$@" || { wire_off "$repo"; echo FAILED; return; }
	wire_off "$repo"; wire_kib
}

# quiet_repo <dir>: no automatic gc or maintenance, so that none lands in
# a timed run (in real use one would, now and then, on either side)
quiet_repo() {
	git -C "$1" config gc.auto 0
	git -C "$1" config maintenance.auto false
	git -C "$1" config receive.autogc false
}

# --- gt ---------------------------------------------------------------------

# gt_clone <dir>: an empty clone of the gt remote, ready for a first sync
gt_clone() {
	rm -rf "$1"
	git init -q "$1"
	quiet_repo "$1"
	git -C "$1" remote add origin "$work/remote.git"
	(cd "$1" && run gt init -q --prefix bn)
}

# gt_change <dir> <first> <value> [<count>]: set bench_n on 110 (or
# count) beads from <first>, one gt update process each (as agents and
# hooks do)
gt_change() {
	local i
	for i in $(seq "$2" $(($2 + ${4:-$changes} - 1))); do
		(cd "$1" && run gt-update "$(printf 'bn-%05x' "$i")" --set "bench_n=$3")
	done
}

gt_sync() { (cd "$1" && gt sync -q origin); }
ledger() { git -C "$1" rev-parse refs/gastown/ledger; }

# gt_check <round> [<count>]: A, B and the remote hold one ledger, with
# all the changes of both sides (110 or count each)
gt_check() {
	local each=${2:-$changes}
	test "$(ledger "$A")" = "$(ledger "$B")" &&
		test "$(ledger "$A")" = "$(ledger "$work/remote.git")" ||
		{ echo "FAILED: round $1: A, B and the remote hold different ledgers" >&2; return 1; }
	local got
	got=$(cd "$A" && gt list --all --json | grep -c "\"bench_n\":\"$1\"")
	test "$got" = $((each * 2)) ||
		{ echo "FAILED: round $1: A has $got beads with bench_n=$1, not $((each * 2))" >&2; return 1; }
}

# --- plain git: one ref per bead, no ledger -------------------------------

# The remote's bead refs are fetched into remote-tracking refs
# (refs/remotes/origin/beads/*), then local refs that did not move since
# the last fetch fast-forward to them: what a plain-git sync of one ref
# per bead must do when both sides changed different beads (a fetch
# straight into refs/gastown/beads/* would try to rewind the beads changed
# here). The tracking refspec is not configured: with it, every push
# rewrites all N tracking refs as loose files (git's opportunistic update),
# which would make plain git look worse than it need be.
spec='refs/gastown/beads/*:refs/gastown/beads/*'
track='+refs/gastown/beads/*:refs/remotes/origin/beads/*'
# plain_refs <repo> <prefix>: "beads/<id> <oid>" lines
plain_refs() {
	local strip=2
	case $2 in refs/remotes/*) strip=3 ;; esac
	git -C "$1" for-each-ref --format="%(refname:lstrip=$strip) %(objectname)" "$2"
}
plain_fetch() {
	plain_refs "$1" refs/remotes/origin/beads/ >"$work/before" &&
	git -C "$1" fetch -q --no-tags origin "$track" &&
	plain_refs "$1" refs/remotes/origin/beads/ >"$work/after" &&
	plain_refs "$1" refs/gastown/beads/ |
		awk -v B="$work/before" -v A="$work/after" '
			BEGIN { while ((getline l < B) > 0) { split(l, f, " "); before[f[1]] = f[2] }
				while ((getline l < A) > 0) { split(l, f, " "); after[f[1]] = f[2] } }
			{ here[$1] = $2 }
			END { for (id in after) if (after[id] != before[id]) {
				if (!(id in here)) print "create refs/gastown/" id " " after[id]
				else if (here[id] == before[id])
					print "update refs/gastown/" id " " after[id] " " here[id] } }' |
		git -C "$1" update-ref --stdin
}
# plain_check <round>: both plain clones and the remote agree
plain_check() {
	local a
	a=$(plain_refs "$work/p1" refs/gastown/beads/ | md5sum)
	test "$a" = "$(plain_refs "$work/p2" refs/gastown/beads/ | md5sum)" &&
		test "$a" = "$(plain_refs "$work/plain.git" refs/gastown/beads/ | md5sum)" ||
		{ echo "FAILED: round $1: the plain clones and remote disagree" >&2; return 1; }
}
plain_push() { git -C "$1" push -q origin "$spec"; }
plain_sync() { plain_fetch "$1" && plain_push "$1"; }
plain_clone() {
	rm -rf "$1" && git init -q "$1" && quiet_repo "$1"
	git -C "$1" remote add origin "$work/plain.git"
}

# plain_change <dir> <first> <value>: one new commit on 110 bead refs,
# written by a single git fast-import (the cost under test is the push)
plain_change() {
	local i id
	for i in $(seq "$2" $(($2 + changes - 1))); do
		id=$(printf 'bn-%05x' "$i")
		printf 'commit refs/gastown/beads/%s\n' "$id"
		printf 'committer bench <bench> %d +0000\n' "$(date +%s)"
		printf 'data 12\nbead.update\nfrom refs/gastown/beads/%s^0\n' "$id"
		printf 'M 100644 inline op.json\ndata <<END\n{"set":{"bench_n":"%s"}}\nEND\n\n' "$3"
	done | git -C "$1" fast-import --quiet
}

# --- Fossil -------------------------------------------------------------------

# fossil_repo <n> <file>: a repository of n tickets, like the beads. The
# ticket artifacts are written as files and loaded by one `fossil
# reconstruct`: `fossil ticket add` costs ~40 ms a ticket, an hour for 100k.
fossil_repo() {
	rm -rf "$work/art" && mkdir "$work/art"
	perl -MDigest::MD5=md5_hex -MDigest::SHA=sha1_hex -e '
		my ($n, $dir) = @ARGV;
		my @st = qw(Open Open Open Open Closed Closed Fixed Deferred);
		my @ty = qw(Code_Defect Code_Defect Feature_Request Documentation Incident);
		srand(42);
		mkdir sprintf("%s/%03d", $dir, $_) for 0..255;
		for my $i (1..$n) {
			my $desc = "Generated bead $i. Lorem ipsum dolor sit amet, consectetur " .
				"adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.";
			my $title = "Bead number $i: do the thing " . $i * 7;
			s/ /\\s/g for $desc, $title;
			# cards in the order fossil requires: D, J (by field), K, U, Z
			my $c = "D 2026-01-01T00:00:00.000\nJ comment $desc\n" .
				"J priority " . int(rand(5)) . "\nJ status $st[int(rand(8))]\n" .
				"J title $title\nJ type $ty[int(rand(5))]\n" .
				"K " . sha1_hex("bench-ticket-$i") . "\nU bench\n";
			$c .= "Z " . md5_hex($c) . "\n";
			open(my $f, ">", sprintf("%s/%03d/t%d", $dir, $i % 256, $i)) or die $!;
			print $f $c; close $f;
		}' "$1" "$work/art"
	rm -f "$2"
	run fossil reconstruct "$2" "$work/art"
	rm -rf "$work/art"
	# a password, so that clones may push over HTTP
	run fossil user password bench bench -R "$2"
}

fossil_url=
fossil_serve() {
	local port
	test -z "$fossil_pid" || { kill "$fossil_pid"; wait "$fossil_pid" 2>/dev/null || :; }
	port=$((20000 + RANDOM % 20000))
	fossil server --port "$port" --localhost "$1" >>"$log" 2>&1 &
	fossil_pid=$!
	fossil_url="http://bench:bench@127.0.0.1:$port/"
	# wait until it answers
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.1
	done
}

fossil_clone() { rm -f "$1"; fossil clone --save-http-password "$fossil_url" "$1" </dev/null; }
fossil_sync() { fossil sync -R "$1" </dev/null; }
# fossil_wire <command...>: run it, print the KiB fossil says it moved
fossil_wire() {
	"$@" 2>&1 | tr '\r' '\n' | tee -a "$log" |
		awk '/wire bytes sent:/ { for (i = 1; i < NF; i++) {
			if ($i == "sent:" || $i == "received:") s += $(i + 1) } }
			END { printf "%.1f", s / 1024 }'
}
# fossil_change <repo> <offset> <value>: set a field of 110 tickets, one
# fossil process each
fossil_change() {
	local u
	for u in $(fossil sql -R "$1" "SELECT tkt_uuid FROM ticket ORDER BY tkt_id LIMIT $changes OFFSET $2" | tr -d "'"); do
		run fossil ticket set "$u" foundin "bench $3" -R "$1"
	done
}
fossil_check() {
	local got
	got=$(fossil sql -R "$work/fa.fossil" "SELECT count(*) FROM ticket WHERE foundin = 'bench $1'")
	test "$got" = $((changes * 2)) ||
		{ echo "FAILED: round $1: fossil A has $got tickets changed, not $((changes * 2))" >&2; return 1; }
}

# --- the runs -----------------------------------------------------------------

# results for the summary, by "<n>,<what>"
declare -A R

echo "gt sync beside plain git and fossil: $(nproc) cores, git $(git --version | cut -d' ' -f3)," \
	"fossil $(command -v fossil >/dev/null && fossil version | cut -d" " -f5 || echo "not installed: skipped")," \
	"open files limit $(ulimit -n)"
echo "targets (DESIGN.md, Sync): first sync of 10k <= 1.8 s; 110 changes both ways <= 0.2 s;"
echo "  no-op <= 50 ms; cost growing with the change, not with the ledger"
echo "wire: bytes both ways, ref advertisement and negotiation included (git: counted"
echo "  around upload-pack/receive-pack; fossil: as its sync reports them)"

for n in $sizes; do
	echo "== $n beads: gt sync; plain git, one ref per bead; fossil, $n tickets"
	runs=3; test "$n" -le 20000 || runs=2
	with_fossil=1; test "$n" -le "$fossil_max" && command -v fossil >/dev/null || with_fossil=0
	rm -rf "$work"/*.git "$work"/seed "$work"/c[0-9]* "$work"/p[0-9]* "$work"/*.fossil

	# the seed clone imports N beads and publishes the ledger; the same
	# N bead refs go to a plain remote of their own
	"$here/gen-beads.sh" "$n" bn >"$work/beads.jsonl"
	git init -q "$work/seed" && quiet_repo "$work/seed"
	(cd "$work/seed" && run gt init -q --prefix bn && run gt import -q "$work/beads.jsonl")
	git init -q --bare "$work/remote.git" && quiet_repo "$work/remote.git"
	git -C "$work/seed" remote add origin "$work/remote.git"
	(cd "$work/seed" && run gt remote-setup origin)
	t_pub=$(cd "$work/seed" && us gt sync -q origin)
	git init -q --bare "$work/plain.git" && quiet_repo "$work/plain.git"
	git -C "$work/seed" remote add plain "$work/plain.git"
	t_ppub=$(us git -C "$work/seed" push -q plain "$spec")
	# packed, as a served repository's are after its first gc (else every
	# fetch and push reads N loose ref files; kinder to plain git), and
	# with the commit-graph that gc writes (both remotes)
	git -C "$work/plain.git" pack-refs --all
	git -C "$work/plain.git" commit-graph write --reachable --no-progress
	git -C "$work/remote.git" commit-graph write --reachable --no-progress
	row "first publish, empty remote (ms)" "$(median_ms "$t_pub")" \
		"git push N refs, empty remote (ms)" "$(median_ms "$t_ppub")"

	# 1. first sync into empty clones c1..c<runs>; c1 and c2 are then
	# clones A and B. The bytes are counted in each run (tee's cost is
	# small beside a transfer of the whole ledger).
	t=(); tp=(); gt_ok=1; rm -f "$work"/cpu-*
	for i in $(seq "$runs"); do
		gt_clone "$work/c$i"
		wire_on "$work/c$i"
		if ! x=$(cd "$work/c$i" && CPU_LOG="$work/cpu-first" us gt sync -q origin); then
			gt_ok=0; wire_off "$work/c$i"; break
		fi
		t+=("$x")
		w_first=$(wire_kib); wire_off "$work/c$i"
		got=$(git -C "$work/c$i" for-each-ref refs/gastown/beads/ | wc -l)
		test "$got" = "$n" || { echo "FAILED: first sync gave $got beads of $n" >&2; exit 1; }
	done
	for i in $(seq "$runs"); do
		plain_clone "$work/p$i"
		wire_on "$work/p$i"
		tp+=("$(us git -C "$work/p$i" fetch -q --no-tags origin "$spec")")
		w_pfirst=$(wire_kib); wire_off "$work/p$i"
		# untimed: the remote-tracking refs too; all packed, as git clone
		# would leave them (kinder to plain git)
		run git -C "$work/p$i" fetch -q --no-tags origin "$track"
		git -C "$work/p$i" pack-refs --all
	done
	if test $gt_ok = 1; then
		R[$n,first]=$(median_ms "${t[@]}")
		A=$work/c1 B=$work/c2
	else
		# the rest needs two clones holding the ledger: copy the seed
		R[$n,first]=FAILED w_first=-
		A=$work/cA B=$work/cB
		cp -a "$work/seed" "$A" && cp -a "$work/seed" "$B"
	fi
	R[$n,cfirst]=$(cpu_ms "$work/cpu-first")
	row "first sync, empty clone (ms)" "${R[$n,first]}" \
		"git fetch N refs, empty repo (ms)" "$(median_ms "${tp[@]}")"
	if test $with_fossil = 1; then
		t0=$(now_ns); fossil_repo "$n" "$work/f.fossil"; t1=$(now_ns)
		fossil_gen_s=$(( (t1 - t0) / 1000000000 ))
		fossil_serve "$work/f.fossil"
		tf=()
		for i in $(seq "$runs"); do tf+=("$(us fossil_clone "$work/fc$i.fossil")"); done
		row "" "" "fossil clone (ms)" "$(median_ms "${tf[@]}")"
	fi
	row "  wire (KiB)" "$w_first" "  git fetch wire (KiB)" "$w_pfirst"
	test $with_fossil = 0 ||
		row "" "" "  fossil clone wire (KiB)" "$(fossil_wire fossil_clone "$work/fc9.fossil")"
	test $gt_ok = 1 || echo "  (first sync failed, see above; A and B below are copies of the seed clone)"

	# 2. 110 beads changed on each side: A syncs (a push), B syncs (fetch
	# A's, merge, push its own), A syncs again (fetch B's). One more round,
	# untimed, counts the bytes.
	ta=(); tb=(); ta2=(); wa=- wb=- wa2=- gt_ok=1
	for r in $(seq $((rounds + 1))); do
		gt_change "$A" 1 "$r"
		gt_change "$B" "$b_first" "$r"
		if test "$r" -gt "$rounds"; then
			wa=$(wired "$A" gt_sync "$A"); wb=$(wired "$B" gt_sync "$B"); wa2=$(wired "$A" gt_sync "$A")
		elif x=$(CPU_LOG="$work/cpu-a" us gt_sync "$A") &&
			y=$(CPU_LOG="$work/cpu-b" us gt_sync "$B") &&
			z=$(CPU_LOG="$work/cpu-a2" us gt_sync "$A"); then
			ta+=("$x"); tb+=("$y"); ta2+=("$z")
		else
			gt_ok=0; break
		fi
		gt_check "$r" || { gt_ok=0; break; }
	done
	# the same exchange when the 110 beads of each side change for the
	# first time since the import (new ones each round), as when agents
	# take up other work: git's walks then reach back to the import
	fa_=(); fb_=(); fa2_=()
	for r in $(seq "$rounds"); do
		first=$(( 1000 + r * 2 * changes ))
		test $gt_ok = 1 && test $((first + 2 * changes)) -le "$n" || break
		gt_change "$A" "$first" "f$r"
		gt_change "$B" $((first + changes)) "f$r"
		x=$(us gt_sync "$A") && y=$(us gt_sync "$B") && z=$(us gt_sync "$A") &&
			gt_check "f$r" || { gt_ok=0; break; }
		fa_+=("$x"); fb_+=("$y"); fa2_+=("$z")
	done
	R[$n,fb]=$(median_ms "${fb_[@]}")
	pa=(); pb=(); pa2=()
	for r in $(seq $((rounds + 1))); do
		plain_change "$work/p1" 1 "$r"
		plain_change "$work/p2" "$b_first" "$r"
		if test "$r" -gt "$rounds"; then
			wpa=$(wired "$work/p1" plain_push "$work/p1")
			wpb=$(wired "$work/p2" plain_sync "$work/p2")
			wpa2=$(wired "$work/p1" plain_fetch "$work/p1")
		else
			pa+=("$(us plain_push "$work/p1")")
			pb+=("$(us plain_sync "$work/p2")")
			pa2+=("$(us plain_fetch "$work/p1")")
		fi
		plain_check "$r"
	done
	fa=(); fb=(); fa2=()
	if test $with_fossil = 1; then
		for c in fa fb; do
			run fossil_clone "$work/$c.fossil"
			run fossil settings autosync off -R "$work/$c.fossil"
		done
		for r in $(seq $((rounds + 1))); do
			fossil_change "$work/fa.fossil" 0 "$r"
			fossil_change "$work/fb.fossil" "$b_first" "$r"
			if test "$r" -gt "$rounds"; then
				wfa=$(fossil_wire fossil_sync "$work/fa.fossil")
				wfb=$(fossil_wire fossil_sync "$work/fb.fossil")
				wfa2=$(fossil_wire fossil_sync "$work/fa.fossil")
			else
				fa+=("$(us fossil_sync "$work/fa.fossil")")
				fb+=("$(us fossil_sync "$work/fb.fossil")")
				fa2+=("$(us fossil_sync "$work/fa.fossil")")
			fi
			fossil_check "$r"
		done
	fi
	R[$n,a]=$(median_ms "${ta[@]}"); R[$n,b]=$(median_ms "${tb[@]}"); R[$n,a2]=$(median_ms "${ta2[@]}")
	R[$n,wb]=$wb
	R[$n,ca]=$(cpu_ms "$work/cpu-a"); R[$n,cb]=$(cpu_ms "$work/cpu-b"); R[$n,ca2]=$(cpu_ms "$work/cpu-a2")
	row "A: sync, $changes local changes (ms)" "${R[$n,a]}" "A: git push (ms)" "$(median_ms "${pa[@]}")"
	test $with_fossil = 0 || row "" "" "A: fossil sync (ms)" "$(median_ms "${fa[@]}")"
	row "B: sync, $changes each way, merge (ms)" "${R[$n,b]}" "B: git fetch + ff + push (ms)" "$(median_ms "${pb[@]}")"
	test $with_fossil = 0 || row "" "" "B: fossil sync (ms)" "$(median_ms "${fb[@]}")"
	# every round of B, in order (the first changes the beads for the first
	# time since the import): the spread behind the median
	printf '    B, each round (ms): %s\n' "$(for x in "${tb[@]}"; do printf '%.0f ' "$((x / 1000))"; done)"
	row "A: sync, fetch B's $changes (ms)" "${R[$n,a2]}" "A: git fetch + ff (ms)" "$(median_ms "${pa2[@]}")"
	test $with_fossil = 0 || row "" "" "A: fossil sync (ms)" "$(median_ms "${fa2[@]}")"
	row "  wire A / B / A again (KiB)" "$wa / $wb / $wa2" "  git wire (KiB)" "$wpa / $wpb / $wpa2"
	test $with_fossil = 0 || row "" "" "  fossil wire (KiB)" "$wfa / $wfb / $wfa2"
	row "first change of 110 beads: A / B / A again (ms)" \
		"$(median_ms "${fa_[@]}") / ${R[$n,fb]} / $(median_ms "${fa2_[@]}")" "" ""
	test $gt_ok = 1 || echo "  (gt sync failed or disagreed in round $r, see above)"

	# growth with the change: B's exchange with 11 and 1,100 beads changed
	# on each side (A: from bead 1, B: the next ones), one untimed round
	# first so that the timed ones change the same beads again, as above
	for k in 11 1100; do
		tk=()
		for r in $(seq 0 3); do
			test $gt_ok = 1 && test $((2 * k)) -le "$n" || break
			gt_change "$A" 1 "k$k-$r" "$k"
			gt_change "$B" $((k + 1)) "k$k-$r" "$k"
			gt_sync "$A" && y=$(us gt_sync "$B") && gt_sync "$A" &&
				gt_check "k$k-$r" "$k" || { gt_ok=0; break; }
			test "$r" = 0 || tk+=("$y")
		done
		R[$n,k$k]=$(median_ms "${tk[@]}")
	done
	row "B: sync, 11 / $changes / 1100 each way (ms)" \
		"${R[$n,k11]} / ${R[$n,b]} / ${R[$n,k1100]}" "" ""
	test $gt_ok = 1 || echo "  (gt sync failed or disagreed, see above)"

	# 3. nothing changed anywhere
	R[$n,noop]=$(CPU_LOG="$work/cpu-noop" repeat_ms 10 gt_sync "$A")
	R[$n,cnoop]=$(cpu_ms "$work/cpu-noop")
	row "no-op sync (ms)" "${R[$n,noop]}" "git fetch + push, no-op (ms)" "$(repeat_ms 10 plain_sync "$work/p1")"
	test $with_fossil = 0 || row "" "" "fossil sync, no-op (ms)" "$(repeat_ms 10 fossil_sync "$work/fa.fossil")"
	R[$n,wnoop]=$(wired "$A" gt_sync "$A")
	row "  wire (KiB)" "${R[$n,wnoop]}" "  git wire (KiB)" "$(wired "$work/p1" plain_sync "$work/p1")"
	test $with_fossil = 0 || row "" "" "  fossil wire (KiB)" "$(fossil_wire fossil_sync "$work/fa.fossil")"

	if test $with_fossil = 1; then
		echo "  (fossil: $n tickets made as artifact files + fossil reconstruct in ${fossil_gen_s} s;" \
			"served over HTTP on 127.0.0.1)"
		kill "$fossil_pid"; wait "$fossil_pid" 2>/dev/null || :; fossil_pid=
	else
		if command -v fossil >/dev/null; then
			echo "  (fossil skipped at $n tickets: BENCH_FOSSIL_MAX=$fossil_max)"
		else
			echo "  (fossil skipped: not installed; make bench-deps installs it)"
		fi
	fi
done

# the design's targets and the figures measured against them
verdict() {
	awk -v v="$1" -v max="$2" 'BEGIN { print (v == v + 0 && v <= max ? "met" : "MISSED") }'
}
echo "== targets"
for n in $sizes; do
	test "$n" = 10000 || continue
	printf '  %-46s %10s ms   %s\n' "first sync of 10k <= 1800 ms" "${R[$n,first]}" \
		"$(verdict "${R[$n,first]}" 1800)"
	both=$(awk -v b="${R[$n,b]}" -v a="${R[$n,a2]}" 'BEGIN { printf "%.1f", (a > b ? a : b) }')
	printf '  %-46s %10s ms   %s\n' "110 changes both ways (B; A again) <= 200 ms" "$both" \
		"$(verdict "$both" 200)"
	printf '  %-46s %10s ms   %s\n' "  the same, beads changed for the first time" "${R[$n,fb]}" \
		"$(verdict "${R[$n,fb]}" 200)"
	printf '  %-46s %10s ms   %s\n' "no-op <= 50 ms" "${R[$n,noop]}" "$(verdict "${R[$n,noop]}" 50)"
done
echo "  user+sys CPU of every process each gt sync ran (median ms; the machine may be shared,"
echo "  wall time is noisier):"
printf '    %-8s %12s %12s %12s %12s %12s\n' beads "first" "A" "B" "A again" "no-op"
for n in $sizes; do
	printf '    %-8s %12s %12s %12s %12s %12s\n' "$n" "${R[$n,cfirst]}" "${R[$n,ca]}" "${R[$n,cb]}" \
		"${R[$n,ca2]}" "${R[$n,cnoop]}"
done
echo "  growth with the ledger (the same change at each size):"
printf '    %-8s %12s %12s %12s %12s %14s %12s %16s\n' beads "A (ms)" "B (ms)" "A again" "no-op (ms)" \
	"B wire (KiB)" "no-op (KiB)" "B, first change"
for n in $sizes; do
	printf '    %-8s %12s %12s %12s %12s %14s %12s %16s\n' "$n" "${R[$n,a]}" "${R[$n,b]}" "${R[$n,a2]}" \
		"${R[$n,noop]}" "${R[$n,wb]}" "${R[$n,wnoop]}" "${R[$n,fb]}"
done
echo "  growth with the change (B, beads changed on each side):"
printf '    %-8s %12s %12s %12s %24s\n' beads 11 "$changes" 1100 "ms a changed bead, 110 to 1100"
for n in $sizes; do
	printf '    %-8s %12s %12s %12s %24s\n' "$n" "${R[$n,k11]}" "${R[$n,b]}" "${R[$n,k1100]}" \
		"$(awk -v a="${R[$n,b]}" -v b="${R[$n,k1100]}" -v k="$changes" 'BEGIN {
			if (a == a + 0 && b == b + 0) printf "%.2f", (b - a) / (2 * (1100 - k)); else print "-" }')"
done
