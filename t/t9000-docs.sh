#!/bin/sh
test_description='the documentation: man pages, their examples, completion

Checks, for the man pages in Documentation/:

 (a) every bin/gt-<cmd>.c has Documentation/gt-<cmd>.txt, titled
     "= gt-<cmd>(1)", with the sections NAME, SYNOPSIS, DESCRIPTION,
     OPTIONS, EXIT STATUS, EXAMPLES and SEE ALSO;
 (b) every long option that "gt-<cmd> -h" prints is mentioned in the page;
 (c) the EXAMPLES are run (see the convention below);
 (d) asciidoctor -b manpage renders every page without a warning (when
     asciidoctor is installed);
 (e) contrib/completion/gt.bash parses and completes (when bash is there).

The convention for EXAMPLES, which every page follows:

 * In the EXAMPLES section, every line of a literal block (between two
   "----" lines) that starts with "$ " is a command; the lines after it
   that do not start with "$ " are its output as a reader would see it
   (not compared: ids made from hashes and times differ from run to run).
   A command line ending in a backslash continues on the next line.
 * Each command must exit 0, unless the line ends with a comment
   "# exits <n>": then it must exit <n>.
 * Lines "// test: <command>" anywhere in the page are asciidoc comments,
   invisible in the rendered page: they are a hidden set-up, run first, in
   order, each of which must exit 0 (typically "gt create --id ..." to make
   the beads the examples refer to).
 * The commands of a page run in order, in one shell (a variable set by one
   is seen by the next), in a new repository made by "git init" for that
   page, with GT_ACTOR=tester and the build'\''s bin/ first in PATH.
 * A page is skipped while its program (bin/gt-<cmd>) is not built, and
   when it uses jq and jq is missing.
'
. "$(dirname "$0")/test-lib.sh"

DOC=$SRC_DIR/Documentation
BIN=${GT_BIN_DIR:-$SRC_DIR/bin}
SECTIONS='NAME SYNOPSIS DESCRIPTION OPTIONS EXIT_STATUS EXAMPLES SEE_ALSO'

command -v asciidoctor >/dev/null && test_set_prereq ASCIIDOCTOR
command -v bash >/dev/null && test_set_prereq BASH

# prerequisite name for a page: letters, digits and _ only
prereq_name() { echo "$1" | tr -c 'A-Za-z0-9_\n' _; }

# The man pages: Documentation/*.txt whose first line is "= <name>(<n>)".
man_pages() {
	for f in "$DOC"/*.txt; do
		test -f "$f" || continue
		head -n 1 "$f" | grep -q '^= [a-z0-9][a-z0-9-]*([0-9])$' && echo "$f"
	done
}

# Print the hidden set-up and the example commands of a page, one per
# record: "<expected status> <command>" (set-up lines expect 0).
extract_examples() {
	awk '
	/^\/\/ test: / { sub(/^\/\/ test: /, ""); print "0 " $0; next }
	/^== / { in_ex = ($0 == "== EXAMPLES"); block = 0; next }
	!in_ex { next }
	/^----$/ { block = !block; next }
	!block { next }
	cont != "" { cmd = cont $0; cont = "" }
	cont == "" && cmd == "" && /^\$ / { cmd = substr($0, 3) }
	cmd != "" {
		if (cmd ~ /\\$/) { cont = substr(cmd, 1, length(cmd) - 1); cmd = ""; next }
		status = 0
		if (match(cmd, /#[ \t]*exits? [0-9]+[ \t]*$/)) {
			status = substr(cmd, RSTART)
			gsub(/[^0-9]/, "", status)
		}
		print status " " cmd
		cmd = ""
	}
	' "$1"
}

# Run the examples of page $1 in the current directory (a new repository).
run_examples() {
	extract_examples "$1" >examples &&
	test -s examples || { echo >&2 "no examples in $1"; return 1; }
	(
		# each command in this shell, in order; stdin empty. The
		# transcript's path is absolute: an example may cd elsewhere.
		transcript=$PWD/transcript
		while read -r want cmd; do
			printf '$ %s\n' "$cmd" >>"$transcript"
			eval "$cmd" </dev/null >>"$transcript" 2>&1
			got=$?
			if test "$got" != "$want"; then
				echo >&2 "example exited with $got, not $want: $cmd"
				cat >&2 "$transcript"
				exit 1
			fi
		done <examples
	)
}

# --- (a) every command has a page with every section --------------------

for src in "$SRC_DIR"/bin/gt-*.c; do
	test -f "$src" || continue
	cmd=$(basename "$src" .c)
	cmd=${cmd#gt-}
	test_expect_success "gt-$cmd has a man page with the required sections" '
		page="$DOC/gt-$cmd.txt" &&
		test -f "$page" || { echo >&2 "missing: Documentation/gt-$cmd.txt"; false; } &&
		head -n 1 "$page" >title &&
		echo "= gt-$cmd(1)" >expect &&
		test_cmp expect title &&
		grep -q "^gt-$cmd - " "$page" || { echo >&2 "NAME is not \"gt-$cmd - ...\""; false; } &&
		for s in $SECTIONS; do
			grep -q "^== $(echo "$s" | tr _ " ")\$" "$page" ||
			{ echo >&2 "gt-$cmd.txt has no section $s"; return 1; }
		done
	'
done

test_expect_success 'gt.txt has the required sections' '
	for s in $SECTIONS; do
		grep -q "^== $(echo "$s" | tr _ " ")\$" "$DOC/gt.txt" || return 1
	done
'

test_expect_success 'the sections come in git'\''s order' '
	for page in $(man_pages); do
		grep "^== " "$page" | sed "s/^== //" | tr " " _ >order &&
		prev=0 &&
		while read -r s; do
			n=0 i=0
			for k in NAME SYNOPSIS DESCRIPTION OPTIONS OUTPUT EXIT_STATUS EXAMPLES SEE_ALSO; do
				i=$((i + 1))
				test "$k" = "$s" && n=$i
			done
			test $n = 0 && continue
			test $n -gt $prev ||
			{ echo >&2 "$page: section ${s} out of order"; return 1; }
			prev=$n
		done <order || return 1
	done
'

# --- (b) every long option of -h is in the page --------------------------

for src in "$SRC_DIR"/bin/gt-*.c; do
	test -f "$src" || continue
	cmd=$(basename "$src" .c)
	cmd=${cmd#gt-}
	p=$(prereq_name "BUILT_$cmd")
	test -x "$BIN/gt-$cmd" && test -f "$DOC/gt-$cmd.txt" && test_set_prereq "$p"
	test_expect_success "$p" "gt-$cmd: every option of -h is documented" '
		test_expect_code 129 "$BIN/gt-$cmd" -h >usage &&
		sed -n "s/^ \{1,\}\(-[A-Za-z0-9], \)\{0,1\}--\([a-z0-9][a-z0-9-]*\).*/\2/p" usage >opts &&
		while read -r opt; do
			grep -q -E -e "--$opt([^a-z0-9-]|\$)" "$DOC/gt-$cmd.txt" ||
			{ echo >&2 "--$opt is not in gt-$cmd.txt"; return 1; }
		done <opts
	'
done

test_expect_success 'gt: the options of its usage are documented' '
	gt -h >usage &&
	sed -n "1s/.*usage: //p" usage | tr " " "\n" | sed -n "s/^\[\{0,1\}\(--[a-z-]*\).*/\1/p" >opts &&
	test_line_count -ge 2 opts &&
	while read -r opt; do
		grep -q -e "^$opt::" "$DOC/gt.txt" || { echo >&2 "$opt not in gt.txt"; return 1; }
	done <opts
'

# --- (c) the examples run -------------------------------------------------

test_expect_success 'the example extractor follows the convention' '
	cat >page.txt <<-\EOF &&
	= gt-x(1)
	// test: gt create --id gt-a a
	== DESCRIPTION
	----
	$ not an example
	----
	== EXAMPLES
	$ not in a block
	----
	$ gt one
	output
	$ gt two \
	  --long   # exits 4
	----
	== SEE ALSO
	----
	$ not an example either
	----
	EOF
	extract_examples page.txt >actual &&
	cat >expect <<-\EOF &&
	0 gt create --id gt-a a
	0 gt one
	4 gt two   --long   # exits 4
	EOF
	test_cmp expect actual
'

for page in $(man_pages); do
	name=$(basename "$page" .txt)
	grep -q "^== EXAMPLES$" "$page" || continue
	p=$(prereq_name "EXAMPLES_$name")
	case "$name" in
	gt-*) test -x "$BIN/$name" && test_set_prereq "$p" ;;
	*) test_set_prereq "$p" ;;
	esac
	grep -q "jq " "$page" && ! test_have_prereq JQ && eval "test_prereq_$p="
	test_expect_success "$p" "the examples of $name run" '
		git init -q "ex-$name" && cd "ex-$name" &&
		run_examples "$page"
	'
done

# --- (d) asciidoctor renders every page cleanly ---------------------------

for page in $(man_pages); do
	name=$(basename "$page" .txt)
	test_expect_success ASCIIDOCTOR "asciidoctor renders $name without warnings" '
		asciidoctor -b manpage -o "$name.man" "$page" 2>err &&
		test_must_be_empty err &&
		test -s "$name.man"
	'
done

# --- (e) bash completion ---------------------------------------------------

COMPLETION=$SRC_DIR/contrib/completion/gt.bash

test_expect_success BASH 'the completion script parses' '
	bash -n "$COMPLETION"
'

# complete.sh <words...>: COMP_WORDS as given, the cursor on the last word
write_completion_driver complete.sh

test_expect_success BASH 'completion: commands, options, subcommands, values' '
	bash complete.sh gt cre >actual &&
	echo create >expect &&
	test_cmp expect actual &&
	bash complete.sh gt "" >actual &&
	test_grep "^show$" actual &&
	test_grep "^dep$" actual &&
	test_grep "^help$" actual &&
	bash complete.sh gt create --pa >actual &&
	echo --parent >expect &&
	test_cmp expect actual &&
	bash complete.sh gt show --j >actual &&
	echo --json >expect &&
	test_cmp expect actual &&
	bash complete.sh gt dep "" >actual &&
	printf "%s\n" add rm list tree >expect &&
	test_cmp expect actual &&
	bash complete.sh gt update -s in >actual &&
	echo in_progress >expect &&
	test_cmp expect actual &&
	bash complete.sh gt dep add --type = par >actual &&
	echo parent-child >expect &&
	test_cmp expect actual
'

test_expect_success BASH 'completion: bead ids, for gt and git gt' '
	git init -q comp && cd comp &&
	gt create --id gt-4kq2 "one" >/dev/null &&
	gt create --id gt-4kz9 "two" >/dev/null &&
	gt create --id gt-b0 "three" >/dev/null &&
	bash ../complete.sh gt show gt-4k >actual &&
	printf "%s\n" gt-4kq2 gt-4kz9 >expect &&
	test_cmp expect actual &&
	bash ../complete.sh git gt close gt-b >actual &&
	echo gt-b0 >expect &&
	test_cmp expect actual &&
	bash ../complete.sh gt dep add gt-4kq2 gt-b >actual &&
	test_cmp expect actual &&
	bash ../complete.sh gt create --parent gt-b >actual &&
	test_cmp expect actual &&
	bash ../complete.sh gt comment gt-b0 gt- >actual &&
	test_must_be_empty actual &&
	bash ../complete.sh git gt sh >actual &&
	echo show >expect &&
	test_cmp expect actual
'

test_expect_success BASH 'completion: a gt-<cmd> of your own in PATH is offered' '
	mkdir -p ext &&
	printf "#!/bin/sh\necho hi\n" >ext/gt-zzhello &&
	chmod +x ext/gt-zzhello &&
	PATH="$PWD/ext:$PATH" bash complete.sh gt zz >actual &&
	echo zzhello >expect &&
	test_cmp expect actual
'

test_done
