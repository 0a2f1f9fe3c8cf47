# bash completion for gt and git gt (gastown).
#
# Install: source this file from ~/.bashrc, or copy it to
# /usr/share/bash-completion/completions/gt ("make install" puts it in
# $PREFIX/share/bash-completion/completions/gt). bash-completion loads
# that copy only once "gt" is completed; to complete "git gt" from the
# start, source the file from ~/.bashrc.
#
# What is completed:
#   gt <TAB>            the gt-* programs in the exec path and in PATH
#   gt <cmd> -<TAB>     the options that "gt-<cmd> -h" lists
#   gt <cmd> <TAB>      bead ids, for the commands that take them
#   gt dep <TAB>        add, rm, list, tree
#   gt formula|mol <TAB> their subcommands; formula names, proto and
#                       molecule ids where they take them
#   some option values: --parent (ids), --status, --type of dep

# The gt-* commands: the exec path first, then PATH; sorted, unique.
__gt_commands()
{
	local dir execpath IFS=:
	execpath=$(gt --exec-path 2>/dev/null)
	for dir in $execpath $PATH; do
		test -d "$dir" || continue
		for f in "$dir"/gt-*; do
			test -x "$f" && test -f "$f" && printf '%s\n' "${f##*/gt-}"
		done
	done | LC_ALL=C sort -u
}

# The options of a command, from its usage (cached per command).
# Prints "name" for switches and "name=" for options that take a value.
declare -gA __gt_option_cache 2>/dev/null || declare -A __gt_option_cache
__gt_options()
{
	local cmd=$1
	if test -z "${__gt_option_cache[$cmd]+set}"; then
		__gt_option_cache[$cmd]=$(gt "$cmd" -h 2>/dev/null </dev/null |
			sed -n -e 's/^ \{1,\}\(-[A-Za-z0-9], \)\{0,1\}\(--[a-z0-9][a-z0-9-]*\)\(=\{0,1\}\).*/\2\3/p' \
			       -e 's/^ \{1,\}\(-[A-Za-z0-9]\)\( <[^>]*>\)\{0,1\}  .*/\1/p')
	fi
	printf '%s\n' "${__gt_option_cache[$cmd]}"
}

# The bead ids of the repository (nothing outside one).
__gt_ids()
{
	git for-each-ref --format='%(refname:strip=3)' refs/gastown/beads/ \
		refs/gastown-local/beads/ 2>/dev/null
}

# Formula names of the search path, and the ids of stored protos.
__gt_formulas()
{
	gt formula list 2>/dev/null </dev/null | cut -f1
	test "$1" = protos &&
		git for-each-ref --format='%(refname:strip=3)' refs/gastown/protos/ 2>/dev/null
}

# Commands whose arguments are bead ids.
__gt_takes_ids()
{
	case "$1" in
	show|update|close|reopen|comment|dep|trail|sling) return 0 ;;
	esac
	return 1
}

# Does option $2 of command $1 take a value (as "-x <v>" or "--name <v>")?
__gt_option_takes_value()
{
	local cmd=$1 opt=$2 o
	case "$opt" in
	--*)
		for o in $(__gt_options "$cmd"); do
			test "$o" = "$opt=" && return 0
		done
		return 1 ;;
	-?)
		# a short option takes a value when "gt-<cmd> -h" shows "-x, --name=<v>"
		# or "-x <v>"
		gt "$cmd" -h 2>/dev/null </dev/null |
			grep -q -e "^ *$opt, --[a-z0-9-]*=" -e "^ *$opt <"
		return ;;
	esac
	return 1
}

__gt_reply()
{
	local cur=$1 IFS=$'\n'
	shift
	COMPREPLY=($(compgen -W "$*" -- "$cur"))
}

# The values of an option, if we know them; returns 1 otherwise.
__gt_option_values()
{
	local cmd=$1 opt=$2 cur=$3
	case "$cmd:$opt" in
	*:--parent|log:--id|mol:--attach)
		__gt_reply "$cur" "$(__gt_ids)" ;;
	*:-s|*:--status)
		__gt_reply "$cur" "$(printf '%s\n' open in_progress blocked hooked pinned deferred closed)" ;;
	dep:-t|dep:--type)
		__gt_reply "$cur" "$(printf '%s\n' blocks parent-child related discovered-from conditional-blocks waits-for)" ;;
	create:-t|create:--type|update:-t|update:--type)
		__gt_reply "$cur" "$(printf '%s\n' task bug feature epic chore)" ;;
	*)
		COMPREPLY=() ;;
	esac
}

# Complete the words of COMP_WORDS from index $1 on (the command name).
__gt_complete_at()
{
	local i=$1 cur=${COMP_WORDS[COMP_CWORD]} cmd prev word
	local -a args=()

	if test "$COMP_CWORD" -le "$i"; then
		case "$cur" in
		-*) __gt_reply "$cur" "$(printf '%s\n' --version --exec-path --help)" ;;
		*) __gt_reply "$cur" "$(__gt_commands; echo help)" ;;
		esac
		return
	fi
	cmd=${COMP_WORDS[i]}
	if test "$cmd" = help; then
		__gt_reply "$cur" "$(__gt_commands)"
		return
	fi

	prev=${COMP_WORDS[COMP_CWORD-1]}
	# "--name=value": bash splits at "=" (COMP_WORDBREAKS)
	if test "$cur" = "=" && test "$COMP_CWORD" -gt $((i + 1)); then
		__gt_option_values "$cmd" "$prev" ""
		return
	fi
	if test "$prev" = "=" && test "$COMP_CWORD" -gt $((i + 2)); then
		__gt_option_values "$cmd" "${COMP_WORDS[COMP_CWORD-2]}" "$cur"
		return
	fi
	if test "$COMP_CWORD" -gt $((i + 1)) && __gt_option_takes_value "$cmd" "$prev"; then
		__gt_option_values "$cmd" "$prev" "$cur"
		return
	fi

	case "$cur" in
	-*)
		local opts
		opts=$(__gt_options "$cmd")
		__gt_reply "$cur" "${opts//=/}"
		return ;;
	esac

	# the non-option words typed so far, after the command
	local j
	for ((j = i + 1; j < COMP_CWORD; j++)); do
		word=${COMP_WORDS[j]}
		case "$word" in
		-*|=) continue ;;
		esac
		test "${COMP_WORDS[j-1]}" = "=" && continue
		__gt_option_takes_value "$cmd" "${COMP_WORDS[j-1]}" && continue
		args+=("$word")
	done

	if test "$cmd" = dep && test ${#args[@]} -eq 0; then
		__gt_reply "$cur" "$(printf '%s\n' add rm list tree)"
		return
	fi
	if test "$cmd" = formula || test "$cmd" = mol || test "$cmd" = cook; then
		local sub=${args[0]}
		if test "$cmd" != cook && test ${#args[@]} -eq 0; then
			if test "$cmd" = formula; then
				__gt_reply "$cur" "$(printf '%s\n' list show validate publish)"
			else
				__gt_reply "$cur" "$(printf '%s\n' pour wisp squash burn list status next)"
			fi
			return
		fi
		case "$cmd:$sub" in
		cook:*|formula:show|formula:validate|formula:publish)
			__gt_reply "$cur" "$(__gt_formulas)" ;;
		mol:pour|mol:wisp)
			__gt_reply "$cur" "$(__gt_formulas protos)" ;;
		mol:squash|mol:burn|mol:status|mol:next)
			__gt_reply "$cur" "$(gt mol list 2>/dev/null </dev/null | cut -f1)" ;;
		*)
			COMPREPLY=() ;;
		esac
		return
	fi
	if __gt_takes_ids "$cmd"; then
		# "gt comment <id> <text>": only the first argument is an id
		if test "$cmd" = comment && test ${#args[@]} -ge 1; then
			COMPREPLY=()
			return
		fi
		__gt_reply "$cur" "$(__gt_ids)"
		return
	fi
	COMPREPLY=()
}

# "gt ..." (and "gt-<cmd> ..." called directly is left to the default)
_gt()
{
	COMPREPLY=()
	if test "${COMP_WORDS[0]}" = git || test "${COMP_WORDS[0]##*/}" = git; then
		_git_gt
		return
	fi
	__gt_complete_at 1
}

# "git gt ...": git's completion calls _git_gt; we find "gt" ourselves so
# that "git -C <dir> gt ..." works as well.
_git_gt()
{
	local i
	COMPREPLY=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		if test "${COMP_WORDS[i]}" = gt; then
			__gt_complete_at $((i + 1))
			return
		fi
	done
}

complete -o default -o bashdefault -F _gt gt 2>/dev/null ||
	complete -o default -F _gt gt
