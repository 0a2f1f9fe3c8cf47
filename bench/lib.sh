# Helpers the bench scripts share (sync.sh keeps its own median_ms).

now_ns() { date +%s%N; }

# median_ms <runs> <command...>: median wall time of one run, in ms
median_ms() {
	local runs=$1; shift
	local i t0 t1
	for i in $(seq "$runs"); do
		t0=$(now_ns); "$@" >/dev/null 2>&1; t1=$(now_ns)
		echo $(( (t1 - t0) / 1000 ))
	done | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1000 }'
}
